"""Benchmark: the rows the torch backend simulates together (``torch_sv.CHUNK_BYTES``).

``TorchCircuit.outputs(..., chunk=rows)`` runs a batch in chunks of rows: each chunk goes from
its product state to its readout, and only the outputs are joined. Without autograd (the
trainer's validation scoring) it takes chunks of ``CHUNK_BYTES`` of amplitudes, with autograd
(a training step) the batch whole; this measures both choices. It times, for each chunk size
(the states' bytes), on 10-qubit QNNs of fashion-10 (``u3cu3q:2`` and random ``qml-10q``
circuits):

- one training step (loss and gradient, as the trainer takes it) at batch 256, the batch of
  ``bench_peers.py``;
- one training step at the trainer's batch of 32 (no chunk is smaller: it must not change);
- the forward readout of the whole validation split (3,000 images, no gradient), as
  ``_torch_score`` runs it after every epoch.

"whole" is one chunk for the whole batch (the backend before ``outputs``). Rounds visit every
setting in turn (``common.median_seconds``), one torch thread; compare the ratios.

    python experiments/bench_chunks.py        # ~3 min -> results/bench_chunks.csv, .md
"""

from __future__ import annotations

import argparse
import datetime as dt
import random

import numpy as np
import torch
from common import RESULTS, machine_line, median_seconds, write_rows

from qas.backends import TorchCircuit
from qas.tasks import Batch, make_task
from search_spaces import build_ansatz, load_space, sample_circuit

SETTINGS = {"whole": 2**40, "512 KiB": 2**19, "1 MiB": 2**20, "2 MiB": 2**21, "4 MiB": 2**22, "8 MiB": 2**23}


def circuits(draws: int) -> list[tuple[str, object]]:
    space = load_space("qml-10q")
    rng = random.Random(0)
    return [("u3cu3q:2", build_ansatz("u3cu3q:2", space))] + [(f"random {i}", sample_circuit(space, rng)) for i in range(draws)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--draws", type=int, default=3, help="random qml-10q circuits besides u3cu3q:2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=0.3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    task = make_task("fashion-10")
    train, val = task.split("train"), task.split("val")
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for label, dag in circuits(args.draws):
        circ = TorchCircuit(dag)
        params = torch.as_tensor(np.random.default_rng(0).uniform(-np.pi, np.pi, dag.num_params), dtype=torch.float32)
        f = dag.num_features
        chunk_rows = lambda chunk_bytes: max(1, chunk_bytes // (2**dag.num_qubits * circ.state_dtype.itemsize))  # noqa: E731

        def step(batch: int, chunk: int) -> callable:
            x = torch.as_tensor(train.features[:batch, :f], dtype=torch.float32)
            b = Batch(train.features[:batch], train.targets[:batch])

            def run() -> None:
                p = params.clone().requires_grad_(True)
                task.loss(circ.outputs(p, x, task.readout, chunk=chunk_rows(chunk)), b).backward()
            return run

        def forward(chunk: int) -> callable:
            x = torch.as_tensor(val.features[:, :f], dtype=torch.float32)

            def run() -> None:
                with torch.no_grad():
                    circ.outputs(params, x, task.readout, chunk=chunk_rows(chunk))
            return run

        for what, make in (("training step, batch 256", lambda c: step(256, c)),
                           ("training step, batch 32", lambda c: step(32, c)),
                           (f"validation forward, {len(val.targets)} rows", forward)):
            secs = median_seconds({name: (make(c), args.min_seconds) for name, c in SETTINGS.items()}, args.repeats)
            row = {"circuit": label, "gates": len(dag.gates), "case": what}
            for name, s in secs.items():
                row[f"ms {name}"] = round(s * 1e3, 3)
            for name in SETTINGS:
                if name != "whole":
                    row[f"whole / {name}"] = round(secs["whole"] / secs[name], 3)
            rows.append(row)
            print(f"{label:10s} {what:32s} " + "  ".join(f"{k} {v:.2f}" for k, v in row.items() if k.startswith("whole /")),
                  flush=True)
    write_rows(RESULTS / "bench_chunks.csv", rows)
    lines = ["# bench_chunks: rows simulated together (CHUNK_BYTES)", "",
             f"Measured {started} by `python experiments/bench_chunks.py --repeats {args.repeats}` on {machine_line(1)}.", "",
             "Speed-up of each chunk size over one chunk for the whole batch (ms per call, medians over interleaved rounds).", "",
             "A chunk size at least as large as the batch's states is one chunk, the same code as 'whole': those cells show the machine's noise (batch 32, 256 KiB of states: every column; batch 256, 2 MiB: 2 MiB and up).", "",
             "| circuit | case | whole ms | " + " | ".join(n for n in SETTINGS if n != "whole") + " |",
             "|---|---|---|" + "---|" * (len(SETTINGS) - 1)]
    for r in rows:
        lines.append(f"| {r['circuit']} | {r['case']} | {r['ms whole']:.2f} | "
                     + " | ".join(f"{r[f'whole / {n}']:.2f}x" for n in SETTINGS if n != "whole") + " |")
    for case in dict.fromkeys(r["case"] for r in rows):
        sel = [r for r in rows if r["case"] == case]
        lines.append("")
        lines.append(f"- {case}: " + ", ".join(
            f"{n} {min(r[f'whole / {n}'] for r in sel):.2f}-{max(r[f'whole / {n}'] for r in sel):.2f}x"
            for n in SETTINGS if n != "whole"))
    (RESULTS / "bench_chunks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-3:]))


if __name__ == "__main__":
    main()
