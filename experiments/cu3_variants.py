"""qas's ``CU3`` against the textbook ``CU3Q`` in the hand-designed U3+CU3 ansatz (fashion-2).

``u3cu3:L`` uses qas's Cirq-built ``CU3`` (= Qiskit's ``cu3`` then ``diag(1, exp(i theta/2))`` on
the control); ``u3cu3q:L`` is QuantumNAS's circuit exactly, with the textbook ``CU3Q``. At the
same parameters they compute different losses; this script measures that gap (batch of 256
training inputs, parameters drawn as the trainer draws them, several draws) and what it does to
the trained result: each ansatz trained with the default ``TrainConfig`` (3 epochs, batch 32,
Adam lr 0.05) per seed, then scored on qsim. Writes ``experiments/results/cu3_variants.csv``.

    python experiments/cu3_variants.py [--layers 2] [--seeds 0,1,2]     # ~10 min on 2 cores
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import RESULTS, init_params, torch_step, torch_threads, write_rows

from qas import TrainConfig, evaluate
from qas.tasks import make_task
from search_spaces import build_ansatz, load_space


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args(argv)
    torch_threads()
    space = load_space("qml-4q")
    task = make_task("fashion-2")
    specs = [f"u3cu3:{args.layers}", f"u3cu3q:{args.layers}"]
    dags = {s: build_ansatz(s, space) for s in specs}
    train = task.split("train")
    idx = np.random.default_rng(0).permutation(len(train.targets))[:256]
    feats, targets = train.features[idx], train.targets[idx]
    gaps = []
    for draw in range(5):
        params = init_params(dags[specs[0]], seed=draw)
        losses = [torch_step(dags[s], task, torch.complex128)(params, feats, targets)[0] for s in specs]
        gaps.append(abs(losses[0] - losses[1]))
    print(f"|loss(u3cu3) - loss(u3cu3q)| at the same parameters, 5 draws: mean {np.mean(gaps):.3f}, max {np.max(gaps):.3f}")
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for spec in specs:
            t0 = time.perf_counter()
            r = evaluate(dags[spec], task, TrainConfig(epochs=args.epochs, seed=seed), splits=("val", "test"))
            row = {"ansatz": spec, "cu3_kind": "CU3Q (textbook)" if spec.startswith("u3cu3q") else "CU3 (qas, Cirq-built)",
                   "seed": seed, "epochs": args.epochs, "val_accuracy": round(r.metrics["val_accuracy"], 4),
                   "test_accuracy": round(r.metrics["test_accuracy"], 4), "seconds": round(time.perf_counter() - t0, 1),
                   "loss_gap_same_params_mean": round(float(np.mean(gaps)), 4)}
            print(row, flush=True)
            rows.append(row)
    write_rows(RESULTS / "cu3_variants.csv", rows)
    for spec in specs:
        acc = [r["test_accuracy"] for r in rows if r["ansatz"] == spec]
        print(f"{spec}: test accuracy {np.mean(acc):.4f} +- {np.std(acc):.4f} over {len(acc)} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
