"""Speed-up of Dask-distributed candidate evaluation: 2 local workers vs 1, on this machine.

``--stage search`` (default): the same search (random agent, fashion-2 search-time training,
budget B) three ways in one process: in-process (no Dask), Dask with 1 worker, Dask with 2
workers; each in a fresh run directory, timing the search loop only (cluster start-up is
reported separately).

``--stage final``: the final round (the top 3 of a budget-B search and the 2 hand-designed
ansätze, retrained on all fashion-2 training images for ``--final-epochs``, plus the logistic
regression baseline), the same three ways, each in a fresh run directory (the search itself runs
in-process and is not timed).

    python experiments/bench_dask.py --budget 24                 # ~3 min on 2 cores
    python experiments/bench_dask.py --stage final --budget 6    # ~2 min on 2 cores
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from results_io import write_rows

from qas.search import SearchConfig
from qas.search.executors import DaskExecutor, LocalExecutor
from qas.search.run import BASELINE_ANSATZE, final_round
from qas.search.runner import completed_trials, prepare, run_loop

OUT = Path(__file__).parent / "results" / "bench_dask.csv"


def timed(budget: int, executor_factory) -> tuple[float, float]:
    cfg = SearchConfig(task="fashionmnist", agent="random", budget=budget, seed=11, final=False)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        executor = executor_factory()
        startup = time.perf_counter() - t0
        state = prepare(cfg, Path(tmp) / "run")
        t1 = time.perf_counter()
        run_loop(state, executor=executor)
        loop = time.perf_counter() - t1
        if hasattr(executor, "close"):
            executor.close()
    return startup, loop


def timed_final(budget: int, final_epochs: int, executor_factory) -> tuple[float, float, int]:
    """(start-up s, final round s, circuits retrained) for one executor, in a fresh run."""
    cfg = SearchConfig(task="fashionmnist", agent="random", budget=budget, seed=11,
                       final_train={"epochs": final_epochs, "patience": final_epochs})
    with tempfile.TemporaryDirectory() as tmp:
        state = prepare(cfg, Path(tmp) / "run")
        run_loop(state)
        ranked = sorted(completed_trials(state.study), key=lambda t: (-t.value, t.number))
        t0 = time.perf_counter()
        executor = executor_factory()
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        final_round(state, ranked, None, executor)
        seconds = time.perf_counter() - t1
        if hasattr(executor, "close"):
            executor.close()
    return startup, seconds, min(budget, cfg.final_candidates) + len(BASELINE_ANSATZE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=("search", "final"), default="search")
    ap.add_argument("--budget", type=int, default=24)
    ap.add_argument("--final-epochs", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for name, factory in (("in-process", LocalExecutor), ("dask 1 worker", lambda: DaskExecutor(workers=1)),
                          ("dask 2 workers", lambda: DaskExecutor(workers=2))):
        if args.stage == "search":
            startup, loop = timed(args.budget, factory)
            n = args.budget
        else:
            startup, loop, n = timed_final(args.budget, args.final_epochs, factory)
        rows.append({"mode": name, "budget": args.budget, "evaluations": n, "startup_s": round(startup, 2),
                     "loop_s": round(loop, 2), "per_eval_s": round(loop / n, 3)})
        print(rows[-1], flush=True)
    base = rows[1]["loop_s"]
    for r in rows:
        r["speedup_vs_dask1"] = round(base / r["loop_s"], 2)
        r["cores"] = os.cpu_count()
    out = OUT if args.stage == "search" else OUT.with_name("bench_dask_final.csv")
    write_rows(out, rows)
    print(f"2 workers vs 1: {base / rows[2]['loop_s']:.2f}x  ({out})")


if __name__ == "__main__":
    main()
