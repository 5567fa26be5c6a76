"""Retraining beside a run fills the run's cache under the final round's own keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qas.cache import ResultCache
from qas.search import SearchConfig, search
from qas.search.outputs import read_finalists

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "retrain_in_run.py"
TINY = {"steps": 15, "patience": 0, "lr": 0.1}


def test_what_it_retrains_the_final_round_reads_back_from_the_cache(tmp_path):
    run = tmp_path / "run"
    config = SearchConfig(task="state-prep", agent="random", budget=3, seed=4, train=dict(TINY),
                          final=False, final_candidates=1, final_train=dict(TINY, steps=25))
    search(config, run, progress=False)
    script = [sys.executable, str(SCRIPT), str(run), "top"]
    out = subprocess.run(script, capture_output=True, text=True, check=True).stdout
    assert "seed 4: val" in out and "cached" not in out  # trained now, with the run's seed
    again = subprocess.run(script + ["--seeds", "4"], capture_output=True, text=True, check=True).stdout
    val = out.split("val ")[1].split()[0]
    assert "(cached)" in again and again.split("val ")[1].split()[0] == val
    # the run's final round then finds the top circuit's retraining in the cache: it trains only
    # the two hand-designed ansätze
    before = len(ResultCache(run / "cache.sqlite"))
    search(config.with_overrides(final=True), run, progress=False)
    assert len(ResultCache(run / "cache.sqlite")) == before + 2
    top = next(r for r in read_finalists(run)["finalists"] if r["origin"] == "searched")
    assert f"{top['val_score']:.4f}" == val
