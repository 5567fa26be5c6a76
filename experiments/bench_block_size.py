"""Benchmark: the torch backend's fused-block size, 3 qubits against 4, per kind of circuit.

Circuits of more than ``FULL_UNITARY_MAX_QUBITS`` qubits are fused into blocks of at most
``block_qubits`` qubits: bigger blocks mean fewer steps on the state but bigger matrices to
build. This times one training step (as the trainer takes it: real amplitudes where the
gates are real, 1 torch thread) of random circuits from the built-in spaces at both sizes and
at the default, rounds visiting them in turn, and prints the ratios. It is what sets
``BATCH_BLOCK_QUBITS`` (circuits that read features) and ``BLOCK_QUBITS`` (circuits without
data, a batch of one state: neither size wins alone, so both are compiled and the plan of
fewer steps is kept; the default column shows how well that choice does).

    python experiments/bench_block_size.py           # ~2 min -> results/bench_block_size.csv, .md
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

import numpy as np
import torch
from common import RESULTS, machine_line, ry_cnot_ladder, write_rows

from qas.backends import TorchCircuit, readout
from qas.tasks import Batch, make_task
from search_spaces import build_ansatz, load_space, sample_circuit


def cases(draws: int):
    """(label, circuit, task, features, targets): 10-qubit QNNs at batch 32 and 256, 8-qubit VQEs."""
    f10 = make_task("fashion-10")
    train = f10.split("train")
    for batch in (32, 256):
        x, y = train.features[:batch], train.targets[:batch]
        rng = random.Random(0)
        for i in range(draws):
            yield f"qml-10q random {i}, batch {batch}", sample_circuit(load_space("qml-10q"), rng), f10, x, y
        yield f"qml-10q-reup-w u3cu3:2, batch {batch}", build_ansatz("u3cu3:2", load_space("qml-10q-reup-w")), f10, x, y
    t8 = make_task("tfim-8")
    rng = random.Random(1)
    for i in range(draws):
        yield f"paper-8q random {i}, tfim-8", sample_circuit(load_space("paper-8q"), rng), t8, None, None
    yield "RY + CNOT ladder x4, tfim-8", ry_cnot_ladder(8, 4), t8, None, None


def step_fn(dag, task, x, y, block_qubits: int):
    circuit = TorchCircuit(dag, block_qubits=block_qubits)
    feats = None if x is None else torch.as_tensor(x[:, : dag.num_features], dtype=torch.float32)
    p0 = np.random.default_rng(0).uniform(-np.pi, np.pi, dag.num_params)

    def step() -> None:
        p = torch.tensor(p0, dtype=torch.float32, requires_grad=True)
        out = readout(circuit.state(p, feats, as_complex=False), task.readout, dag.num_qubits)
        task.loss(out, Batch(x, y)).backward()

    return step


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=3, help="random circuits per space")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    rows = []
    for label, dag, task, x, y in cases(args.draws):
        steps = {k: step_fn(dag, task, x, y, k) for k in (3, 4, None)}  # None: TorchCircuit's default
        for f in steps.values():
            f()
        times: dict[int, list[float]] = {k: [] for k in steps}
        for _ in range(args.rounds):
            for k, f in steps.items():
                t0 = time.perf_counter()
                f(), f(), f()
                times[k].append((time.perf_counter() - t0) / 3 * 1e3)
        ms = {k: statistics.median(v) for k, v in times.items()}
        rows.append(dict(date=date, circuit=label, qubits=dag.num_qubits, features=dag.num_features > 0,
                         ms_3=round(ms[3], 3), ms_4=round(ms[4], 3), speedup_4_over_3=round(ms[3] / ms[4], 2),
                         default_block_qubits=TorchCircuit(dag).block_qubits, ms_default=round(ms[None], 3),
                         speedup_default_over_3=round(ms[3] / ms[None], 2)))
        print(rows[-1], flush=True)
    if not args.no_write:
        write_rows(RESULTS / "bench_block_size.csv", rows)
        lines = ["# bench_block_size: one training step with 3- and 4-qubit fused blocks", "",
                 f"Measured {date} in one run of `python experiments/bench_block_size.py` on {machine_line(1)}.",
                 "Medians of rounds that visit both sizes in turn; compare ratios.", "",
                 "The default is 4-qubit blocks for a circuit that reads features; for one that does not, both sizes",
                 "are compiled and the plan of fewer steps is kept (`torch_plan.plan_cost`): its column says which.", "",
                 "| circuit | reads features | ms, 3-qubit blocks | ms, 4-qubit blocks | 4 over 3 | default (size kept) | default over 3 |",
                 "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['circuit']} | {'yes' if r['features'] else 'no'} | {r['ms_3']:,.2f} | {r['ms_4']:,.2f} | "
                  f"{r['speedup_4_over_3']}x | {r['ms_default']:,.2f} ({r['default_block_qubits']}) | "
                  f"{r['speedup_default_over_3']}x |" for r in rows]
        (RESULTS / "bench_block_size.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
