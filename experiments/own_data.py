"""The default ``qas search`` on the user's own data: five tabular datasets that ship inside
scikit-learn (no downloads), three search seeds each.

Each run is exactly what a user gets from ``qas.search(task=DataTask(X, y))`` with no other
option: the qubits, encoding, scaling and readout chosen from the data, the default agent
and budget (100), the final round, the classical baselines. The splits are fixed
(``split_seed = 0``: 20% test, 20% of the rest for validation, stratified for classes); the
search seed changes. Reported per dataset: the chosen circuit's qsim test score (mean ±
std over the seeds) next to a logistic regression (ridge for the regression), a small MLP
and the best hand-designed ansatz of the space (``u3cu3:2`` or ``hea:2``, whichever scored
higher on validation, retrained like the finalists), and the CPU-minutes of each run
(process CPU time: pretraining on first use, search and final round).

    python experiments/own_data.py                      # everything (resumable; about 2 CPU-hours)
    python experiments/own_data.py --datasets iris --seeds 1 --budget 10    # a quick look
    python experiments/own_data.py --summary-only        # the table from the committed rows
    python experiments/own_data.py --write-examples      # experiments/data/*.csv for the README

Results: ``experiments/results/own_data.csv`` (one row per dataset and seed) and
``own_data_summary.md``.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROWS = RESULTS / "own_data.csv"
SUMMARY = RESULTS / "own_data_summary.md"


def _digits_16() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits, average-pooled 2x2 to 4x4 = 16 features."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images.reshape(-1, 4, 2, 4, 2).mean((2, 4)).reshape(-1, 16)
    return x, d.target


def datasets() -> dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]]:
    from sklearn import datasets as sk

    def plain(loader: Callable[..., Any]) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        return lambda: loader(return_X_y=True)

    return {"iris": plain(sk.load_iris), "wine": plain(sk.load_wine), "breast_cancer": plain(sk.load_breast_cancer),
            "digits16": _digits_16, "diabetes": plain(sk.load_diabetes)}


def run_one(name: str, seed: int, budget: int | None, runs: Path) -> dict[str, Any]:
    import qas

    x, y = datasets()[name]()
    task = qas.tasks.DataTask(x, y, label=name)
    options = {} if budget is None else {"budget": budget}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = qas.search(task=task, seed=seed, run_dir=runs / f"{name}-seed{seed}", progress=False, **options)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    hand = {k: v for k, v in result.baselines.items() if k.startswith("hand-designed")}
    best_hand = max(hand, key=lambda k: (hand[k].get("val_score", -np.inf), k)) if hand else None
    linear = next(k for k in result.baselines if k in ("logistic regression", "ridge regression"))
    mlp = next(k for k in result.baselines if k.startswith("MLP"))
    cfg = task.config()
    return {
        "dataset": name, "seed": seed, "kind": task.kind, "score": task.score_name, "rows": len(x),
        "features": x.shape[1], "qubits": cfg["qubits"], "circuit_features": cfg["circuit_features"],
        "readout": cfg["readout"], "space": task.space.name, "agent": _agent(result.run_dir),
        "evaluated": result.evaluated, "chosen": result.origin,
        "qnn_val": result.scores["val_score"], "qnn_test": result.scores["test_score"],
        "hand_designed": best_hand, "hand_val": hand[best_hand]["val_score"] if best_hand else float("nan"),
        "hand_test": hand[best_hand]["test_score"] if best_hand else float("nan"),
        "linear": linear, "linear_test": result.baselines[linear]["test_score"],
        "mlp_test": result.baselines[mlp]["test_score"],
        "cpu_minutes": round(cpu / 60, 2), "wall_minutes": round(wall / 60, 2),
    }


def _agent(run_dir: Path) -> str:
    from qas.search import SearchConfig, load_config

    return str(SearchConfig(**load_config(Path(run_dir) / "config.toml")).agent)


def read_rows() -> list[dict[str, str]]:
    if not ROWS.exists():
        return []
    with ROWS.open(newline="") as fh:
        return list(csv.DictReader(fh))


def upsert(row: dict[str, Any]) -> None:
    rows = [r for r in read_rows() if (r["dataset"], r["seed"]) != (row["dataset"], str(row["seed"]))]
    rows.append({k: str(v) for k, v in row.items()})
    rows.sort(key=lambda r: (r["dataset"], int(r["seed"])))
    fields = list(dict.fromkeys(k for r in rows for k in r))
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    tmp = ROWS.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    tmp.replace(ROWS)


def summary(rows: list[dict[str, str]]) -> str:
    def ms(values: list[float], pct: bool) -> str:
        f = (lambda v: 100 * v) if pct else (lambda v: v)
        mean = f(statistics.mean(values))
        sd = f(statistics.stdev(values)) if len(values) > 1 else 0.0
        return f"{mean:.1f} ± {sd:.1f}" if pct else f"{mean:.3f} ± {sd:.3f}"

    lines = ["| dataset | rows x features | circuit | score | searched QNN (qsim test) | best hand-designed | "
             "linear | MLP (32) | CPU-min per run | seeds |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["dataset"] for r in rows):
        rs = [r for r in rows if r["dataset"] == name]
        pct = rs[0]["kind"] == "classification"
        col = lambda k: [float(r[k]) for r in rs]  # noqa: E731
        unit = "accuracy %" if pct else "R^2"
        circuit = f"{rs[0]['qubits']} qubits, {rs[0]['circuit_features']} features, {rs[0]['readout']}"
        lines.append(
            f"| {name} | {rs[0]['rows']} x {rs[0]['features']} | {circuit} | {unit} | {ms(col('qnn_test'), pct)} | "
            f"{ms(col('hand_test'), pct)} | {ms(col('linear_test'), pct)} | {ms(col('mlp_test'), pct)} | "
            f"{statistics.mean(col('cpu_minutes')):.1f} | {len(rs)} |")
    return "\n".join(lines) + "\n"


def write_examples() -> None:
    """The small files the README's "Your own data" commands use (experiments/data)."""
    from sklearn.datasets import load_diabetes, load_iris

    out = HERE / "data"
    out.mkdir(exist_ok=True)
    d = load_iris()
    order = np.random.default_rng(0).permutation(150)
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    for fname, idx, label in (("iris.csv", order[:120], True), ("iris_test.csv", order[120:], True),
                              ("iris_new.csv", order[120:126], False)):
        with (out / fname).open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(names + (["species"] if label else []))
            for i in idx:
                w.writerow([*map(float, d.data[i])] + ([d.target_names[d.target[i]]] if label else []))
    dd = load_diabetes()
    with (out / "diabetes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(dd.feature_names) + ["progression"])
        for xr, yr in zip(dd.data, dd.target):
            w.writerow([*(round(float(v), 6) for v in xr), float(yr)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default=",".join(datasets()))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budget", type=int, default=None, help="default: qas search's own (100)")
    p.add_argument("--runs", type=Path, default=RESULTS / "runs" / "own_data")
    p.add_argument("--summary-only", action="store_true")
    p.add_argument("--write-examples", action="store_true")
    args = p.parse_args(argv)
    if args.write_examples:
        write_examples()
        return 0
    if not args.summary_only:
        done = {(r["dataset"], r["seed"]) for r in read_rows()}
        for seed in range(args.seeds):  # every dataset's seed 0 first: a stopped run has something of each
            for name in args.datasets.split(","):
                if (name, str(seed)) in done and args.budget is None:
                    continue
                row = run_one(name, seed, args.budget, args.runs)
                print(f"{name} seed {seed}: QNN test {row['qnn_test']:.4f} ({row['chosen']}), linear "
                      f"{row['linear_test']:.4f}, MLP {row['mlp_test']:.4f}, {row['cpu_minutes']} CPU-min", flush=True)
                if args.budget is None:
                    upsert(row)
    text = summary(read_rows())
    SUMMARY.write_text("# The default `qas search` on five scikit-learn datasets (`experiments/own_data.py`)\n\n" + text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
