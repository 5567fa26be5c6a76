"""Multi-fidelity search: Optuna's pruners stop weak candidates' training early."""

from __future__ import annotations

import random

import optuna
import pytest

from qas import CircuitDAG, QasError, ResultCache, TrainConfig, evaluate
from qas.search import SearchConfig, search
from qas.search.pruning import Pruning, make_pruner, savings
from qas.search.runner import completed_trials, prepare
from qas.tasks import build_task
from search_spaces import load_space, sample_circuit


def test_pruner_names_and_options():
    sh = make_pruner("successive-halving")
    assert isinstance(sh, optuna.pruners.SuccessiveHalvingPruner)
    assert (sh._min_resource, sh._reduction_factor) == (1, 3)  # ours; Optuna's are "auto" and 4
    sh = make_pruner("successive-halving:reduction_factor=2,min_early_stopping_rate=1")
    assert (sh._min_resource, sh._reduction_factor, sh._min_early_stopping_rate) == (1, 2, 1)
    assert isinstance(make_pruner("median:n_startup_trials=3"), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner(None), optuna.pruners.NopPruner)
    for bad, words in [("hyperband", "unknown pruner 'hyperband'"), ("successive-halving:eta", "key=integer"),
                       ("successive-halving:rungs=3", "successive-halving")]:
        with pytest.raises(QasError, match=words):
            make_pruner(bad)
    with pytest.raises(QasError, match="unknown pruner"):
        SearchConfig(pruner="sometimes")


@pytest.mark.parametrize("pruner", ["successive-halving", "successive-halving:reduction_factor=2", "median"])
def test_a_worker_decides_as_optuna_does_in_the_study(pruner):
    """Pruning.of(study) replays the finished curves into a fresh study: for the next trial it
    answers at every step what Optuna's own should_prune answers in the real study."""
    rng = random.Random(3)
    study = optuna.create_study(direction="maximize", pruner=make_pruner(pruner))
    for _ in range(25):
        pruning = Pruning.of(study)
        trial = study.ask()
        level = rng.random()
        for step in range(1, 10):
            value = level + 0.02 * step + 0.05 * rng.random()
            trial.report(value, step)
            real = trial.should_prune()
            assert pruning(step, value) == real, (trial.number, step)
            if real:
                break
        study.tell(trial, value)
    assert sum(len(t.intermediate_values) < 9 for t in study.trials) >= 5  # it did prune


def test_the_trainer_stops_where_told_and_reports_every_epoch():
    task = build_task("fashionmnist", variant="fashion-2", train_limit=64, val_limit=40)
    dag = sample_circuit(load_space(task.default_space), random.Random(0))
    asked = []
    cfg = TrainConfig(epochs=4, patience=4, lr=0.05)
    full = evaluate(dag, task, cfg, prune=lambda step, value: asked.append((step, value)) or False)
    assert [s for s, _ in asked] == [1, 2, 3]  # never asked after the last epoch
    assert len(full.curve) == 4 and not full.pruned
    assert [v for _, v in asked] == pytest.approx(list(full.curve[:3]))
    assert max(full.curve) == pytest.approx(full.metrics["torch_val_score"])
    stopped = evaluate(dag, task, cfg, prune=lambda step, value: step == 2)
    assert stopped.pruned and len(stopped.curve) == 2
    assert stopped.curve == pytest.approx(full.curve[:2], abs=1e-6)  # the same training, cut short


def test_tasks_without_data_report_minus_the_loss_every_twenty_steps():
    task = build_task("state-prep")
    dag = sample_circuit(load_space(task.default_space), random.Random(1))
    rec = evaluate(dag, task, TrainConfig(steps=100, patience=10, lr=0.1), prune=lambda step, value: step == 3)
    assert rec.pruned and len(rec.curve) == 3 and rec.metrics["train_steps"] == 60
    assert all(v <= 0 for v in rec.curve) and list(rec.curve) == sorted(rec.curve)  # -best loss only rises


def test_a_pruned_record_is_cached_apart_from_a_full_training(tmp_path):
    task = build_task("state-prep")
    dag = sample_circuit(load_space(task.default_space), random.Random(2))
    cache, cfg = ResultCache(tmp_path / "c.sqlite"), TrainConfig(steps=80, patience=10, lr=0.1)
    pruned = evaluate(dag, task, cfg, cache=cache, prune=lambda step, value: True)
    assert pruned.pruned and not pruned.cached
    again = evaluate(dag, task, cfg, cache=cache, prune=lambda step, value: False)
    assert again.cached and again.pruned and again.score == pruned.score  # a resumed run decides alike
    full = evaluate(dag, task, cfg, cache=cache)  # no pruning: a full training, never the pruned one
    assert not full.cached and not full.pruned and len(full.curve) == 4
    assert evaluate(dag, task, cfg, cache=cache, prune=lambda step, value: True).curve == full.curve


def test_a_pruned_search_keeps_curves_skips_pruned_finalists_and_reports_the_saving(tmp_path):
    train = {"steps": 100, "patience": 10, "lr": 0.1}
    cfg = SearchConfig(task="state-prep", agent="random", budget=10, seed=3, workers=1, pruner="successive-halving",
                       train=train, final_candidates=2, final_train={"steps": 40, "patience": 0, "lr": 0.1})
    summary = search(cfg, tmp_path / "run", progress=False)
    trials = completed_trials(prepare(cfg, tmp_path / "run").study)
    assert summary.evaluated == len(trials) == 10
    pruned = [t for t in trials if t.user_attrs.get("pruned")]
    full = [t for t in trials if not t.user_attrs.get("pruned")]
    assert pruned and full
    assert all(len(t.intermediate_values) == 5 for t in full)
    assert all(len(t.intermediate_values) in (1, 3) for t in pruned)  # stopped at a rung: 20 or 60 steps
    assert trials[0] in full  # the first trial has nothing to lose to
    from qas.search.outputs import read_finalists

    searched = [r["key"] for r in read_finalists(tmp_path / "run")["finalists"] if r["origin"] == "searched"]
    by_score = [t.user_attrs["key"] for t in sorted(full, key=lambda t: -t.value)]
    assert len(searched) == 2 and searched[: len(full)] == by_score[:2]  # pruned ones only fill up
    count, saved = savings(trials, train, has_data=False)
    assert count == len(pruned) and saved > 0
    report = (tmp_path / "run" / "report.md").read_text()
    assert f"{len(pruned)} of 10 candidates stopped early by the pruner" in report

    again = search(cfg, tmp_path / "again", progress=False)  # same seed, same config: same decisions
    trials2 = completed_trials(prepare(cfg, tmp_path / "again").study)
    assert [(t.user_attrs["key"], t.user_attrs.get("pruned", False), t.value) for t in trials2] == \
        [(t.user_attrs["key"], t.user_attrs.get("pruned", False), t.value) for t in trials]
    assert again.best_key == summary.best_key


def test_optimize_prunes_only_when_the_study_has_a_pruner():
    """optimize's own study has no pruner (Optuna's default would be a MedianPruner)."""
    from qas.search import AGENTS, SearchContext, TrainingObjective, optimize
    from qas.search.executors import Stage

    task = build_task("state-prep")
    space = load_space(task.default_space)
    seen = []

    class Spy(TrainingObjective):
        def __call__(self, dags, pruning=None):
            seen.append(pruning)
            return super().__call__(dags, pruning)

    objective = Spy(Stage(task, ("state-prep", None, None, None, ()), ("val",), None, None, None),
                    TrainConfig(steps=40, patience=2, lr=0.1))
    agent = AGENTS.get("random")(SearchContext(space=space, seed=0))
    study = optimize(agent, objective, 3)
    assert seen == [None] * 3 and isinstance(study.pruner, optuna.pruners.NopPruner)
    pruned = optuna.create_study(direction="maximize", pruner=make_pruner("successive-halving"))
    optimize(AGENTS.get("random")(SearchContext(space=space, seed=0)), objective, 3, study=pruned)
    assert all(isinstance(p, Pruning) for p in seen[3:]) and len(seen) == 6


def test_runs_from_before_pruners_resume(tmp_path):
    cfg = SearchConfig(task="state-prep", agent="random", budget=2, seed=0, final=False, workers=1,
                       train={"steps": 10, "patience": 0, "lr": 0.1})
    search(cfg, tmp_path / "run", progress=False)
    path = tmp_path / "run" / "config.toml"
    assert 'pruner = "none"' in path.read_text()
    path.write_text(path.read_text().replace('pruner = "none"\n', ""))  # as written before pruners
    assert search(cfg.with_overrides(budget=3), tmp_path / "run", progress=False).evaluated == 3
    with pytest.raises(QasError, match="pruner"):
        search(cfg.with_overrides(budget=4, pruner="successive-halving"), tmp_path / "run", progress=False)
