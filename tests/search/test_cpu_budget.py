"""A search bounded by CPU time: ``cpu_minutes`` (``--cpu-minutes``) next to the budget."""

from __future__ import annotations

import pytest

from qas import QasError
from qas.search import SearchConfig, search
from qas.search.optimize import spent_seconds, trial_seconds
from qas.search.runner import completed_trials, prepare


def _seconds(trials):
    return [trial_seconds(t) for t in trials]


def test_a_search_stops_at_its_cpu_time_and_resumes_with_more(tmp_path):
    cfg = SearchConfig(task="state-prep", agent="evolution", budget=200, cpu_minutes=0.02, seed=0, final=False,
                       workers=1, train={"steps": 30, "patience": 0, "lr": 0.1})
    result = search(cfg, tmp_path / "run", progress=False)
    trials = completed_trials(prepare(cfg, tmp_path / "run").study)
    spent = _seconds(trials)
    assert result.evaluated < 200
    assert sum(spent) >= 1.2 > sum(spent[:-1])  # it stopped at the first candidate past 0.02 CPU-minutes
    work = [t.user_attrs["train_seconds"] + t.user_attrs["score_seconds"] for t in trials]
    assert all(s > w > 0 for s, w in zip(spent, work))  # proposing costs something too
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


def test_an_agent_pays_for_its_own_thinking_from_the_same_budget():
    """``agent_seconds`` (the driver's CPU proposing a candidate) counts toward ``seconds``: an
    agent that spends 0.1 CPU-s per proposal gets fewer trainings than a cheap one."""
    from qas.search import AGENTS, SearchContext, TrainingObjective, optimize
    from qas.search.executors import Stage
    from qas.tasks import build_task
    from qas.trainer import TrainConfig, cpu_clock
    from search_spaces import load_space

    task = build_task("state-prep")
    space = load_space(task.default_space)
    objective = TrainingObjective(Stage(task, ("state-prep", None, None, None, ()), ("val",), None, None, None),
                                  TrainConfig(steps=40, patience=2, lr=0.1))
    Random = AGENTS.get("random")

    class Pondering(Random):
        def propose(self, trial, visited):
            t0 = cpu_clock()
            while cpu_clock() - t0 < 0.1:
                pass
            return super().propose(trial, visited)

    def run(agent):
        trials = completed_trials(optimize(agent(SearchContext(space=space, seed=0)), objective, 200, seconds=0.6))
        return trials, _seconds(trials)

    slow, slow_s = run(Pondering)
    cheap, cheap_s = run(Random)
    assert all(t.user_attrs["agent_seconds"] >= 0.1 for t in slow)
    assert sum(slow_s) >= 0.6 > sum(slow_s[:-1]) and len(slow) <= 6
    assert sum(cheap_s) >= 0.6 > sum(cheap_s[:-1]) and len(cheap) > len(slow)
    assert max(t.user_attrs["agent_seconds"] for t in cheap) < 0.1
