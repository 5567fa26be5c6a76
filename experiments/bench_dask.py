"""Speed-up of Dask-distributed candidate evaluation: 2 local workers vs 1, on this machine.

``--stage search`` (default): the same search (random agent, fashion-2 search-time training,
budget B) three ways in one process: in-process (no Dask), Dask with 1 worker, Dask with 2
workers; each in a fresh run directory. The search loop's time is the span of its trials (first
start to last completion, as the run records it); cluster start-up is reported separately.

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

from common import RESULTS, write_rows

from qas.search import DaskExecutor, LocalExecutor, SearchConfig, open_run, search


def timed(stage: str, budget: int, final_epochs: int, executor_factory) -> tuple[float, float, int]:
    """(start-up s, search loop or final round s, evaluations) for one executor, in a fresh run."""
    cfg = SearchConfig(task="fashionmnist", agent="random", budget=budget, seed=11, final=False,
                       final_train={"epochs": final_epochs, "patience": final_epochs})
    with tempfile.TemporaryDirectory() as tmp:
        if stage == "final":
            search(cfg, tmp, progress=False)
        t0 = time.perf_counter()
        executor = executor_factory()
        startup = time.perf_counter() - t0
        try:
            if stage == "final":
                t1 = time.perf_counter()
                n = open_run(tmp).final_round(executor).retrained
                return startup, time.perf_counter() - t1, n
            search(cfg, tmp, executor=executor, progress=False)
            trials = open_run(tmp).trials()
            span = max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)
            return startup, span.total_seconds(), budget
        finally:
            if hasattr(executor, "close"):
                executor.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=("search", "final"), default="search")
    ap.add_argument("--budget", type=int, default=24)
    ap.add_argument("--final-epochs", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for name, factory in (("in-process", LocalExecutor), ("dask 1 worker", lambda: DaskExecutor(workers=1)),
                          ("dask 2 workers", lambda: DaskExecutor(workers=2))):
        startup, loop, n = timed(args.stage, args.budget, args.final_epochs, factory)
        rows.append({"mode": name, "budget": args.budget, "evaluations": n, "startup_s": round(startup, 2),
                     "loop_s": round(loop, 2), "per_eval_s": round(loop / n, 3)})
        print(rows[-1], flush=True)
    base = rows[1]["loop_s"]
    for r in rows:
        r["speedup_vs_dask1"] = round(base / r["loop_s"], 2)
        r["cores"] = os.cpu_count()
    out = RESULTS / ("bench_dask.csv" if args.stage == "search" else "bench_dask_final.csv")
    write_rows(out, rows)
    print(f"2 workers vs 1: {base / rows[2]['loop_s']:.2f}x  ({out})")


if __name__ == "__main__":
    main()
