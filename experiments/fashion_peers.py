"""FashionMNIST against the peers (issue 6 §3): searched ansatz vs hand-designed vs logistic regression.

For each variant: run `qas search` (default agent, budget B), retrain the winner from scratch with
the final training config over 3 seeds, and do the same for hand-designed u3cu3:4 and hea:4; all
scored on qsim. Writes experiments/results/fashion_peers.csv. Published peer numbers are quoted
in experiments/README.md, not rerun.

    python experiments/fashion_peers.py --variants fashion-2,fashion-4 --budget 100
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from results_io import write_rows

from qas.api import build_task
from qas.evaluation import evaluate
from qas.search import SearchConfig, search
from qas.search.config import FINAL_TRAIN
from qas.tasks.baselines import logistic_regression_accuracy
from qas.trainer import TrainConfig
from search_spaces import load_space
from search_spaces.ansatze import build_ansatz

OUT = Path(__file__).parent / "results" / "fashion_peers.csv"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="fashion-2,fashion-4")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--runs", default="runs/fashion_peers")
    args = ap.parse_args()
    rows = []
    for variant in args.variants.split(","):
        t0 = time.perf_counter()
        search(SearchConfig(task="fashionmnist", variant=variant, budget=args.budget, final=False),
                         Path(args.runs) / variant, progress=False)
        search_s = time.perf_counter() - t0
        task = build_task("fashionmnist", variant=variant)
        space = load_space(task.default_space)
        from qas.circuit import CircuitDAG
        from qas.search.runner import completed_trials, prepare

        state = prepare(SearchConfig(task="fashionmnist", variant=variant, budget=args.budget, final=False),
                        Path(args.runs) / variant)
        best = max(completed_trials(state.study), key=lambda t: t.value)
        candidates = {"searched": CircuitDAG.from_json(best.user_attrs["circuit"]),
                      "u3cu3:4": build_ansatz("u3cu3:4", space), "hea:4": build_ansatz("hea:4", space)}
        for name, dag in candidates.items():
            tests = [evaluate(dag, task, TrainConfig(**{**FINAL_TRAIN, "seed": s}), splits=("val", "test")).metrics["test_accuracy"]
                     for s in range(3)]
            rows.append({"variant": variant, "model": name, "test_mean": round(statistics.mean(tests), 4),
                         "test_std": round(statistics.stdev(tests), 4), "evaluations": args.budget if name == "searched" else 0,
                         "search_cpu_s": round(search_s, 1) if name == "searched" else 0})
            print(rows[-1], flush=True)
        lr = logistic_regression_accuracy(task.data)
        rows.append({"variant": variant, "model": "logistic regression", "test_mean": round(lr["test_acc"], 4),
                     "test_std": 0.0, "evaluations": 0, "search_cpu_s": 0})
        print(rows[-1], flush=True)
    write_rows(OUT, rows)


if __name__ == "__main__":
    main()
