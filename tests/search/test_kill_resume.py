"""A search killed with SIGKILL at random moments and resumed loses and repeats nothing."""

from __future__ import annotations

import random
import subprocess
import sys
import time

from qas.cache import ResultCache
from qas.search import SearchConfig
from qas.search.runner import completed_trials, prepare

BUDGET = 14
SCRIPT = """
import sys
from qas.search import SearchConfig, search
cfg = SearchConfig(task="state-prep", agent=sys.argv[2], budget={budget}, seed=5,
                   train={{"steps": 15, "patience": 0, "lr": 0.1}}, final=False)
search(cfg, sys.argv[1], progress=False)
"""


def _run(run_dir, agent, kill_after: float | None) -> int:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(budget=BUDGET), str(run_dir), agent])
    if kill_after is None:
        return proc.wait(timeout=600)
    try:
        return proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


def test_sigkill_and_resume_loses_nothing(tmp_path):
    rng = random.Random(0)
    run_dir = tmp_path / "run"
    kills = 0
    for _ in range(5):
        if _run(run_dir, "evolution", kill_after=rng.uniform(2.5, 5.0)) == -9:
            kills += 1
    assert _run(run_dir, "evolution", kill_after=None) == 0
    state = prepare(SearchConfig(task="state-prep", agent="evolution", budget=BUDGET, seed=5,
                                 train={"steps": 15, "patience": 0, "lr": 0.1}, final=False), run_dir)
    trials = completed_trials(state.study)
    keys = [t.user_attrs["key"] for t in trials]
    assert kills >= 1
    assert len(trials) == BUDGET and len(set(keys)) == BUDGET  # 0 lost, 0 duplicated
    # every trained circuit is in the cache exactly once: nothing was trained twice
    cache = ResultCache(run_dir / "cache.sqlite")
    assert len(cache) == BUDGET
