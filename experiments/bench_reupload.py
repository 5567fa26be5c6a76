"""Benchmark: a training step of re-uploaded (stacked) circuits on the torch backend.

Re-uploading puts feature gates between trainable cells, outside the product-state prefix, so
they are applied per input. This times one gradient step as the trainer takes it (batch 32,
cross-entropy of the task's logits, 1 torch thread) for stacked and one-pass circuits on
``fashion-2`` (4 qubits, the default space ``qml-4q-reup``) and ``fashion-10`` (10 qubits,
36 features), for our ``torch_sv`` and, with ``--compare-rev REV``, our backend as of another
git revision (its ``torch_sv``, ``torch_plan`` and ``torch_tables``). Both versions are
checked to agree first; rounds visit them in turn, so machine load hits both alike: compare
ratios, not absolute times.

    python experiments/bench_reupload.py --compare-rev HEAD~1

Writes ``experiments/results/bench_reupload.csv`` and ``bench_reupload.md``.

``--weighted``: what the weighted encoding of the re-uploading default (every angle ``w * x + b``)
costs per training step. A weighted circuit runs as its plain lowering (``qas.lower``) on virtual
features that depend on the parameters. One gradient step (batch 32 of fashion-2 features, sum of
the ``<Z>`` readout, 1 torch thread) is timed for three cases of ``u3cu3:2`` x3 in ``qml-4q-reup-w``:

- ``weighted``: the circuit as the trainer runs it;
- ``plain``: its lowering on fixed virtual features (no gradient into the feature gates);
- ``plain, grad into features``: the same with the virtual features as leaves that need a
  gradient: what any trainable encoding must pay.

``weighted / plain`` is the full price of trainable input scaling; ``weighted / (plain, grad
into features)`` is the lowering's own overhead. Rounds visit the cases in turn, so load hits
them alike: compare the ratios.

    python experiments/bench_reupload.py --weighted            # ~1 min -> results/bench_weighted.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from dataclasses import replace

import numpy as np
import torch
from common import RESULTS, init_params, machine_line, median_seconds, torch_backend_at, torch_step, write_rows

from qas import CircuitDAG, Readout, lower
from qas.backends import TorchCircuit, readout
from qas.tasks import make_task
from search_spaces import build_ansatz, load_space, sample_circuit


def circuits(task, cells: int = 0) -> dict[str, CircuitDAG]:
    """One-pass ``u3cu3:2`` in the task's one-block space, and the same cell stacked 3 times;
    with ``cells``, also that many random cells of the task's default space, lifted as the
    search trains them (the first ``cells`` draws with >= the median angle count of 100, as the
    default ``params`` pre-filter keeps the larger circuits)."""
    one = load_space(task.default_space).cell_space
    dag = build_ansatz("u3cu3:2", one)
    n = one.num_qubits
    out = {f"u3cu3:2 one pass ({n} qubits)": dag, f"u3cu3:2 x3 ({n} qubits)": replace(one, reuploads=3).lift(dag)}
    if cells:
        space = load_space(task.default_space)
        lifted = [space.lift(sample_circuit(space.cell_space, random.Random(s))) for s in range(100)]
        cut = statistics.median(d.num_params for d in lifted)
        for k, d in enumerate([d for d in lifted if d.num_params >= cut][:cells]):
            out[f"random cell {k} of {space.name} ({n} qubits)"] = d
    return out


def weighted(rounds: int, steps: int) -> list[dict]:
    """ms per step of the weighted ``u3cu3:2`` x3, its plain lowering, and the lowering with a gradient into its features."""
    dag = build_ansatz("u3cu3:2", load_space("qml-4q-reup-w"))
    low = lower(dag)
    x = torch.as_tensor(make_task("fashion-2").split("train").features[:32])
    p = torch.as_tensor(np.random.default_rng(0).uniform(-np.pi, np.pi, dag.num_params), dtype=torch.float32)
    virtual = low.features(p, x)
    cases = {
        "weighted": (TorchCircuit(dag), p.clone().requires_grad_(True), x),
        "plain": (TorchCircuit(low.plain), low.params(p).clone().requires_grad_(True), virtual),
        "plain, grad into features": (TorchCircuit(low.plain), low.params(p).clone().requires_grad_(True),
                                      virtual.clone().requires_grad_(True)),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, (circuit, params, feats) in cases.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                readout(circuit.state(params, feats), Readout("z"), 4).sum().backward()
            times[name].append((time.perf_counter() - t0) / steps * 1e3)
    ms = {k: statistics.median(v) for k, v in times.items()}
    return [{"case": k, "ms_per_step": round(v, 3), "vs_plain": round(v / ms["plain"], 3),
             "vs_plain_grad_features": round(v / ms["plain, grad into features"], 3)} for k, v in ms.items()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="fashion-2,fashion-10")
    ap.add_argument("--batch", type=int, default=32, help="the trainer's batch size")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cells", type=int, default=0, help="also this many random cells of the default space, lifted")
    ap.add_argument("--compare-rev", default=None, metavar="REV", help="also time our backend as of this git revision")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--weighted", action="store_true", help="the weighted encoding's cost instead (bench_weighted.csv)")
    ap.add_argument("--rounds", type=int, default=7, help="--weighted: rounds over the cases")
    ap.add_argument("--steps", type=int, default=300, help="--weighted: steps per case and round")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.weighted:
        rows = weighted(args.rounds, args.steps)
        print(*rows, sep="\n")
        if not args.no_write:
            write_rows(RESULTS / "bench_weighted.csv", rows)
        return 0
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = machine_line(1)
    compare = torch_backend_at(args.compare_rev) if args.compare_rev else None
    label = f"at {args.compare_rev}" if compare else ""
    rows = []
    for variant in args.variants.split(","):
        task = make_task(variant)
        train = task.split("train")
        idx = np.random.default_rng(0).permutation(len(train.targets))[: args.batch]
        feats, targets = train.features[idx], train.targets[idx]
        steps_per_epoch = len(train.targets) / args.batch
        for name, dag in circuits(task, args.cells).items():
            params = init_params(dag)
            backends = {"ours": torch_step(dag, task)}
            if compare is not None:
                backends[label] = torch_step(dag, task, module=compare)
                ref = torch_step(dag, task, torch.complex128)(params, feats, targets)
                for key, fn in backends.items():
                    loss, grad = fn(params, feats, targets)
                    if abs(loss - ref[0]) > 1e-4 or np.abs(grad - ref[1]).max() > 1e-3:
                        print(f"ERROR: {key} disagrees with complex128 on {name}", file=sys.stderr)
                        return 1
            med = median_seconds({k: (lambda fn=fn: fn(params, feats, targets), 0.5) for k, fn in backends.items()},
                                 args.repeats)
            ms = {k: v * 1e3 for k, v in med.items()}
            for key, value in ms.items():
                rows.append(dict(date=date, variant=variant, circuit=name, params=dag.num_params, gates=len(dag.gates),
                                 backend=key, ms_per_step=round(value, 3), epoch_s=round(value * steps_per_epoch / 1e3, 2),
                                 speedup_vs_this=round(ms.get(label, value) / value, 2) if compare else ""))
                print(rows[-1], flush=True)
    if not args.no_write:
        write_rows(RESULTS / "bench_reupload.csv", rows)
        lines = [f"# bench_reupload: one training step (batch {args.batch}) of stacked circuits", "",
                 f"Measured {date} in one run of `python experiments/bench_reupload.py"
                 + (f" --compare-rev {args.compare_rev}`" if compare else "`") + f" on {machine}.",
                 "Medians of rounds that visit both versions in turn; compare ratios.", "",
                 "| variant | circuit | params | backend | ms per step | epoch (s) | speed-up of this row over "
                 + (f"\"{label}\"" if compare else "-") + " |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['variant']} | {r['circuit']} | {r['params']} | {r['backend']} | {r['ms_per_step']:,.2f} | "
                  f"{r['epoch_s']:,.1f} | {r['speedup_vs_this']}{'x' if compare else ''} |" for r in rows]
        (RESULTS / "bench_reupload.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
