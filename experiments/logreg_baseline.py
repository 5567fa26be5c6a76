"""Logistic regression on the QNN features: the classical bar a QNN should be compared with.

Runs :func:`qas.tasks.baselines.logistic_regression_accuracy` on the standard
Fashion-MNIST tasks (the QuantumNAS class subsets, 4x4 = 16 features for 4 qubits, and the
10-class task with 6x6 = 36 features for 10 qubits), prints a table, and writes
``experiments/results/logreg_baseline.csv``. Each row also shows the reference accuracy
measured earlier on this protocol, so a change in preprocessing shows up here as a gap.

    python experiments/logreg_baseline.py [--dataset fashion-mnist] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing qas

from qas.tasks.baselines import logistic_regression_accuracy  # noqa: E402
from qas.tasks.datasets import load_classification  # noqa: E402
from results_io import write_rows

RESULTS = Path(__file__).resolve().parent / "results" / "logreg_baseline.csv"


@dataclass(frozen=True)
class Task:
    classes: tuple[int, ...]
    side: int
    reference_test_acc: float | None  # measured earlier on this protocol (fashion-mnist)


TASKS = (
    Task((3, 6), 4, 0.903),
    Task((0, 1, 2, 3), 4, 0.879),
    Task(tuple(range(10)), 4, 0.737),
    Task(tuple(range(10)), 6, 0.767),
)


def run(dataset: str, data_dir: str | None, seed: int) -> list[dict]:
    rows = []
    for task in TASKS:
        start = time.perf_counter()
        data = load_classification(
            dataset, task.classes, pool=task.side, data_dir=data_dir, seed=seed
        )
        load_s = time.perf_counter() - start
        result = logistic_regression_accuracy(data, seed=seed)
        reference = task.reference_test_acc if dataset == "fashion-mnist" else None
        rows.append({
            "dataset": dataset,
            "classes": _classes_label(task.classes),
            "features": task.side * task.side,
            "n_train": result["n_train"],
            "n_val": result["n_val"],
            "n_test": result["n_test"],
            "l2": result["l2"],
            "train_acc": round(result["train_acc"], 4),
            "val_acc": round(result["val_acc"], 4),
            "test_acc": round(result["test_acc"], 4),
            "reference_test_acc": reference if reference is not None else "",
            "load_s": round(load_s, 3),
            "fit_s": round(result["seconds"], 2),
        })
    return rows


def _classes_label(classes: tuple[int, ...]) -> str:
    if classes == tuple(range(len(classes))) and len(classes) > 4:
        return f"0-{len(classes) - 1}"
    return "{" + ",".join(map(str, classes)) + "}"


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Logistic regression on QNN features")
    for column in ("classes", "feats", "train", "l2", "val acc", "test acc", "reference", "diff"):
        table.add_column(column, justify="right")
    for row in rows:
        ref = row["reference_test_acc"]
        table.add_row(
            row["classes"], str(row["features"]), str(row["n_train"]), f"{row['l2']:g}",
            f"{row['val_acc']:.2%}", f"{row['test_acc']:.2%}",
            f"{ref:.1%}" if ref != "" else "-",
            f"{100 * (row['test_acc'] - ref):+.2f}pt" if ref != "" else "-",
        )
    Console().print(table)


def write_csv(rows: list[dict], path: Path) -> None:
    write_rows(path, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = run(args.dataset, args.data_dir, args.seed)
    print_table(rows)
    write_csv(rows, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
