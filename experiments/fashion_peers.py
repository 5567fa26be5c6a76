"""FashionMNIST against the peers (issue 6 §3): searched ansatz vs hand-designed vs logistic regression.

For each variant: run ``qas search`` with its defaults (default agent and space, budget ``B``; the
run retrains its top 3 and keeps the best on validation), then retrain that circuit from scratch
with the final training config over 3 seeds. The same 3-seed protocol trains hand-designed
ansätze: ``u3cu3:2`` stacked like the searched space (same re-uploading), and the one-pass
``u3cu3:4``/``hea:4`` after a single encoding (the QuantumNAS-style circuits of DESIGN.md §7).
Every accuracy is qsim's, on the official test split. Writes
``experiments/results/fashion_peers.csv``; published peer numbers are quoted in
experiments/README.md, not rerun.

    python experiments/fashion_peers.py --variants fashion-2,fashion-4 --budget 100
    python experiments/fashion_peers.py --variants fashion-10 --budget 50

Rerunning some variants keeps the other variants' rows in the CSV (re-read at every write, so
two processes may run different variants side by side).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from dataclasses import replace
from pathlib import Path

from results_io import write_rows

from qas.api import build_task, load_best
from qas.evaluation import evaluate
from qas.search import SearchConfig, search
from qas.search.config import FINAL_TRAIN
from qas.tasks.baselines import logistic_regression_accuracy
from qas.trainer import TrainConfig
from search_spaces import load_space
from search_spaces.ansatze import build_ansatz

OUT = Path(__file__).parent / "results" / "fashion_peers.csv"
SEEDS = (0, 1, 2)


def candidates(task, searched) -> dict[str, object]:
    space = load_space(task.default_space)
    one_pass = space.cell_space
    out = {f"searched ({space.name})": searched}
    if space.reuploads > 1:
        out[f"u3cu3:2 x{space.reuploads} ({space.name})"] = build_ansatz("u3cu3:2", space)
    if space.encoding is not None and space.encoding.weighted:  # the same without trainable input scaling
        plain = replace(space, encoding=replace(space.encoding, weighted=False))
        out[f"u3cu3:2 x{space.reuploads}, unweighted encoding"] = build_ansatz("u3cu3:2", plain)
    out["u3cu3:4 (one pass)"] = build_ansatz("u3cu3:4", one_pass)
    out["hea:4 (one pass)"] = build_ansatz("hea:4", one_pass)
    return out


def kept_rows(path: Path, variants: list[str]) -> list[dict]:
    """Rows of other variants already in ``path``: rerunning one variant keeps the others' results."""
    if not path.exists():
        return []
    with path.open() as fh:
        return [r for r in csv.DictReader(fh) if r["variant"] not in variants]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="fashion-2,fashion-4")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="search seed")
    ap.add_argument("--runs", default="experiments/results/runs/fashion_peers")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    variants = args.variants.split(",")
    rows: list[dict] = []
    for variant in variants:
        run_dir = Path(args.runs) / variant
        t0 = time.perf_counter()
        search(SearchConfig(task="fashionmnist", variant=variant, budget=args.budget, seed=args.seed), run_dir,
               progress=False)
        search_s = time.perf_counter() - t0
        task = build_task("fashionmnist", variant=variant)
        searched, _ = load_best(run_dir)
        for name, dag in candidates(task, searched).items():
            t1 = time.perf_counter()
            tests = [evaluate(dag, task, TrainConfig(**{**FINAL_TRAIN, "seed": s}), splits=("val", "test"))
                     .metrics["test_accuracy"] for s in SEEDS]
            is_searched = name.startswith("searched")
            rows.append({"variant": variant, "model": name, "test_mean": round(statistics.mean(tests), 4),
                         "test_std": round(statistics.stdev(tests), 4), "seeds": len(tests),
                         "gates": len(dag), "params": dag.num_params,
                         "evaluations": args.budget if is_searched else 0,
                         "search_cpu_h": round(search_s / 3600, 3) if is_searched else 0,
                         "retrain_s_per_seed": round((time.perf_counter() - t1) / len(tests), 1)})
            print(rows[-1], flush=True)
            write_rows(Path(args.out), kept_rows(Path(args.out), variants) + rows)
        lr = logistic_regression_accuracy(task.data)
        rows.append({"variant": variant, "model": "logistic regression", "test_mean": round(lr["test_acc"], 4),
                     "test_std": 0.0, "seeds": 1, "gates": 0, "params": (task.num_features + 1) * len(task.classes),
                     "evaluations": 0, "search_cpu_h": 0, "retrain_s_per_seed": round(lr["seconds"], 1)})
        print(rows[-1], flush=True)
        write_rows(Path(args.out), kept_rows(Path(args.out), variants) + rows)


if __name__ == "__main__":
    main()
