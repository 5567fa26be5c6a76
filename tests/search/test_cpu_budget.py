"""A search bounded by CPU time: ``cpu_minutes`` (``--cpu-minutes``) next to the budget."""

from __future__ import annotations

import pytest

from qas import QasError
from qas.search import SearchConfig, search
from qas.search.optimize import spent_seconds
from qas.search.runner import completed_trials, prepare


def _seconds(trials):
    return [t.user_attrs["train_seconds"] + t.user_attrs["score_seconds"] for t in trials]


def test_a_search_stops_at_its_cpu_time_and_resumes_with_more(tmp_path):
    cfg = SearchConfig(task="state-prep", agent="evolution", budget=200, cpu_minutes=0.02, seed=0, final=False,
                       workers=1, train={"steps": 30, "patience": 0, "lr": 0.1})
    result = search(cfg, tmp_path / "run", progress=False)
    trials = completed_trials(prepare(cfg, tmp_path / "run").study)
    spent = _seconds(trials)
    assert result.evaluated < 200
    assert sum(spent) >= 1.2 > sum(spent[:-1])  # it stopped at the first candidate past 0.02 CPU-minutes
    assert "or 0.02 CPU-minutes" in (tmp_path / "run" / "report.md").read_text()
    later = (sum(spent) + 1.0) / 60
    more = search(cfg.with_overrides(cpu_minutes=later), tmp_path / "run", progress=False)
    study = prepare(cfg, tmp_path / "run").study
    assert more.evaluated > result.evaluated and spent_seconds(study) >= 60 * later
    assert _seconds(completed_trials(study))[: len(spent)] == spent  # the first part was not redone


def test_cpu_minutes_must_be_positive():
    with pytest.raises(QasError, match="cpu_minutes must be positive"):
        SearchConfig(cpu_minutes=0)


def test_a_candidates_cost_is_cpu_time_not_the_wall_time_it_waited(monkeypatch):
    """The budget counts CPU (``qas.trainer.cpu_clock``): a scoring that waits 0.4 s (a paused or
    loaded machine) costs its CPU only."""
    import time

    import qas.evaluation
    from qas.evaluation import evaluate
    from qas.tasks import build_task
    from qas.trainer import TrainConfig
    from search_spaces import load_space, sample_pool

    real = qas.evaluation._score_splits
    monkeypatch.setattr(qas.evaluation, "_score_splits", lambda *a, **k: time.sleep(0.4) or real(*a, **k))
    dag = next(iter(sample_pool(load_space("paper-4q"), 1, seed=0)))
    t0 = time.perf_counter()
    record = evaluate(dag, build_task("state-prep"), TrainConfig(steps=200, patience=1000))
    wall = time.perf_counter() - t0
    assert record.score_seconds < 0.3 and wall > 0.4 + record.train_seconds
    assert 0 < record.train_seconds
