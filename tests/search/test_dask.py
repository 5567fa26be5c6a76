"""Candidate evaluations fanned out to local Dask workers land in the same study."""

from __future__ import annotations

from qas.search import SearchConfig, search
from qas.search.runner import completed_trials, prepare


def test_two_local_dask_workers(tmp_path):
    cfg = SearchConfig(task="state-prep", agent="evolution", budget=8, seed=4, final=False, workers=2,
                       train={"steps": 15, "patience": 0, "lr": 0.1})
    summary = search(cfg, tmp_path / "run", progress=False)
    state = prepare(cfg, tmp_path / "run")
    trials = completed_trials(state.study)
    assert summary.evaluated == len(trials) == 8
    assert len({t.user_attrs["key"] for t in trials}) == 8
    assert all("val_score" in t.user_attrs["metrics"] for t in trials)
