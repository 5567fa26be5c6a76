"""A run opened read-only: what tools beside a run see and retrain is what the run itself holds."""

from __future__ import annotations

import pytest

from qas.core.errors import QasError
from qas.search import SearchConfig, TrainingObjective, open_run, search

TINY = {"steps": 15, "patience": 0, "lr": 0.1}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run"
    config = SearchConfig(task="state-prep", agent="random", budget=4, seed=2, train=dict(TINY),
                          final_candidates=2, final_train=dict(TINY, steps=25))
    search(config, path, progress=False)
    return open_run(path)


def test_it_reads_the_trials_and_ranks_what_the_agent_found(run):
    trials = run.trials()
    assert [t.number for t in trials] == [0, 1, 2, 3] and run.config.budget == 4
    found = run.found()
    assert [t.value for t in found] == sorted((t.value for t in trials), reverse=True)
    assert run.circuit("top").key == found[0].user_attrs["key"]
    assert run.circuit("trial:1").key == trials[1].user_attrs["key"]
    assert len(run.circuit("u3cu3:2")) > 0
    with pytest.raises(QasError, match="no completed trial 'trial:9'"):
        run.circuit("trial:9")
    with pytest.raises(QasError, match="holds no run"):
        open_run(run.path / "nothing")


def test_its_final_round_is_the_runs_own_from_the_cache(run):
    before = len(run.cache)
    again = run.final_round()
    assert len(run.cache) == before  # every retraining is a cache hit: the same stage, training and keys
    finalists = run.finalists()["finalists"]
    assert [(f["key"], f["val_score"]) for f in again.finalists] == [(f["key"], f["val_score"]) for f in finalists]
    assert again.retrained == 2 + 2  # the top two and the two hand-designed ansätze
    record = run.objective(final=True)([run.circuit("top")])[0]
    assert record.cached and record.metrics["val_score"] == finalists[0]["val_score"]


def test_the_objective_of_a_config_is_the_runs(run):
    mine = TrainingObjective.of_run(run.config, final=True)
    theirs = run.objective(final=True)
    assert mine.train_config == theirs.train_config and mine.stage.task_args == theirs.stage.task_args
    search_time = TrainingObjective.of_run(run.config)
    assert search_time.stage.splits == ("val",) and search_time.train_config.steps == TINY["steps"]


def test_a_run_on_the_users_data_knows_the_space_its_task_made(tmp_path):
    """A data task's space is made from the data, not a built-in name: the run still reads it."""
    from sklearn.datasets import load_iris

    from qas.tasks import DataTask

    x, y = load_iris(return_X_y=True)
    task = DataTask(x, y, label="iris")
    result = search(task=task, agent="evolution", budget=2, seed=0, final=False, workers=1,
                    train={"epochs": 1}, run_dir=tmp_path / "iris", progress=False)
    ran = open_run(tmp_path / "iris")
    assert ran.space == task.space and ran.space.name.startswith("data-")
    assert ran.circuit("top") == result.circuit
