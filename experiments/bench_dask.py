"""Speed-up of Dask-distributed candidate evaluation: 2 local workers vs 1, on this machine.

Runs the same search (random agent, fashion-2 search-time training, budget B) three ways in one
process: in-process (no Dask), Dask with 1 worker, Dask with 2 workers; each in a fresh run
directory, timing the search loop only (cluster start-up is reported separately).

    python experiments/bench_dask.py --budget 24     # ~3 min on 2 cores
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
from qas.search.runner import prepare, run_loop

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=24)
    args = ap.parse_args()
    rows = []
    for name, factory in (("in-process", LocalExecutor), ("dask 1 worker", lambda: DaskExecutor(workers=1)),
                          ("dask 2 workers", lambda: DaskExecutor(workers=2))):
        startup, loop = timed(args.budget, factory)
        rows.append({"mode": name, "budget": args.budget, "startup_s": round(startup, 2), "loop_s": round(loop, 2),
                     "per_eval_s": round(loop / args.budget, 3)})
        print(rows[-1], flush=True)
    base = rows[1]["loop_s"]
    for r in rows:
        r["speedup_vs_dask1"] = round(base / r["loop_s"], 2)
        r["cores"] = os.cpu_count()
    write_rows(OUT, rows)
    print(f"2 workers vs 1: {base / rows[2]['loop_s']:.2f}x  ({OUT})")


if __name__ == "__main__":
    main()
