"""Benchmark: what a weighted encoding (every angle ``w * x + b``) costs per training step.

A weighted circuit runs as its plain lowering (``qas.core.feature_weights``) on virtual features
that depend on the parameters. One gradient step (batch 32 of fashion-2 features, sum of the
``<Z>`` readout, 1 torch thread) is timed for three cases of ``u3cu3:2`` x3 in ``qml-4q-reup-w``:

- ``weighted``: the circuit as the trainer runs it;
- ``plain``: its lowering on fixed virtual features (no gradient into the feature gates);
- ``plain, grad into features``: the same with the virtual features as leaves that need a
  gradient: what any trainable encoding must pay.

``weighted / plain`` is the full price of trainable input scaling; ``weighted / (plain, grad
into features)`` is the lowering's own overhead. Rounds visit the cases in turn, so load hits
them alike: compare the ratios.

    python experiments/bench_weighted.py            # ~1 min

Writes ``experiments/results/bench_weighted.csv``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from common import RESULTS, write_rows

from qas import Readout, lower
from qas.backends import TorchCircuit, readout
from qas.tasks import make_task
from search_spaces import build_ansatz, load_space


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
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
    for _ in range(args.rounds):
        for name, (circuit, params, feats) in cases.items():
            t0 = time.perf_counter()
            for _ in range(args.steps):
                readout(circuit.state(params, feats), Readout("z"), 4).sum().backward()
            times[name].append((time.perf_counter() - t0) / args.steps * 1e3)
    ms = {k: statistics.median(v) for k, v in times.items()}
    rows = [{"case": k, "ms_per_step": round(v, 3), "vs_plain": round(v / ms["plain"], 3),
             "vs_plain_grad_features": round(v / ms["plain, grad into features"], 3)} for k, v in ms.items()]
    for r in rows:
        print(r)
    write_rows(RESULTS / "bench_weighted.csv", rows)


if __name__ == "__main__":
    main()
