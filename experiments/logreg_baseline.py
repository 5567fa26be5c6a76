"""Logistic regression on the QNN features: the classical bar a QNN should be compared with.

Runs :func:`qas.tasks.logistic_regression_accuracy` on the standard Fashion-MNIST tasks (the
QuantumNAS class subsets, 4x4 = 16 features for 4 qubits, and the 10-class task with 6x6 = 36
features for 10 qubits), prints a table, and writes ``experiments/results/logreg_baseline.csv``.
Each row also shows the reference accuracy measured earlier on this protocol, so a change in
preprocessing shows up here as a gap.

    python experiments/logreg_baseline.py [--dataset fashion-mnist] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import RESULTS, write_rows

from qas.tasks import load_classification, logistic_regression_accuracy

#: (classes, pooled side, test accuracy measured earlier on this protocol with fashion-mnist)
TASKS = (((3, 6), 4, 0.903), ((0, 1, 2, 3), 4, 0.879), (tuple(range(10)), 4, 0.737), (tuple(range(10)), 6, 0.767))


def run(dataset: str, data_dir: str | None, seed: int) -> list[dict]:
    rows = []
    for classes, side, reference in TASKS:
        start = time.perf_counter()
        data = load_classification(dataset, classes, pool=side, data_dir=data_dir, seed=seed)
        load_s = time.perf_counter() - start
        result = logistic_regression_accuracy(data, seed=seed)
        many = classes == tuple(range(len(classes))) and len(classes) > 4
        rows.append({
            "dataset": dataset, "classes": f"0-{len(classes) - 1}" if many else "{" + ",".join(map(str, classes)) + "}",
            "features": side * side, "n_train": result["n_train"], "n_val": result["n_val"], "n_test": result["n_test"],
            "l2": result["l2"], "train_acc": round(result["train_acc"], 4), "val_acc": round(result["val_acc"], 4),
            "test_acc": round(result["test_acc"], 4), "reference_test_acc": reference if dataset == "fashion-mnist" else "",
            "load_s": round(load_s, 3), "fit_s": round(result["seconds"], 2),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "logreg_baseline.csv")
    args = parser.parse_args()
    rows = run(args.dataset, args.data_dir, args.seed)
    print(f"{'classes':>10} {'feats':>5} {'train':>6} {'l2':>8} {'val acc':>8} {'test acc':>8} {'reference':>9} {'diff':>8}")
    for r in rows:
        ref = r["reference_test_acc"]
        print(f"{r['classes']:>10} {r['features']:>5} {r['n_train']:>6} {r['l2']:>8g} {r['val_acc']:>8.2%} {r['test_acc']:>8.2%} "
              + (f"{ref:>9.1%} {100 * (r['test_acc'] - ref):>+6.2f}pt" if ref != "" else f"{'-':>9} {'-':>8}"))
    write_rows(args.out, rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
