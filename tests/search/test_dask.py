"""Candidate evaluations fanned out to local Dask workers land in the same study."""

from __future__ import annotations

from qas.search import SearchConfig, search
from qas.search.runner import completed_trials, prepare


def test_two_local_dask_workers(tmp_path):
    """... with multi-fidelity: the pruner's decisions travel to the workers with the curves."""
    cfg = SearchConfig(task="state-prep", agent="evolution", budget=8, seed=4, final=False, workers=2,
                       train={"steps": 60, "patience": 5, "lr": 0.1}, pruner="successive-halving")
    summary = search(cfg, tmp_path / "run", progress=False)
    state = prepare(cfg, tmp_path / "run")
    trials = completed_trials(state.study)
    assert summary.evaluated == len(trials) == 8
    assert len({t.user_attrs["key"] for t in trials}) == 8
    assert all("val_score" in t.user_attrs["metrics"] for t in trials)
    assert all(len(t.intermediate_values) == (1 if t.user_attrs.get("pruned") else 3) for t in trials)
    assert any(t.user_attrs.get("pruned") for t in trials)


def test_the_final_round_on_two_workers_matches_the_local_one(tmp_path, monkeypatch):
    """The final round's retrainings go to the workers too; the same seed gives the same round."""
    from qas.search.outputs import read_finalists

    train = {"steps": 15, "patience": 0, "lr": 0.1}
    local = SearchConfig(task="state-prep", agent="random", budget=4, seed=5, train=train,
                         final_train={"steps": 30, "patience": 0, "lr": 0.1})
    first = search(local, tmp_path / "local", progress=False)
    import qas.evaluation

    calls = []  # training in this (the driver) process; the workers are other processes
    real = qas.evaluation.train
    monkeypatch.setattr(qas.evaluation, "train", lambda *a, **k: calls.append(1) or real(*a, **k))
    summary = search(local.with_overrides(workers=2), tmp_path / "dask", progress=False)
    a, b = read_finalists(tmp_path / "local")["finalists"], read_finalists(tmp_path / "dask")["finalists"]
    assert [r["origin"] for r in a] == ["searched"] * 3  # the hand-designed ones are not in paper-4q: baselines only
    assert set(summary.baselines) == {"hand-designed u3cu3:2", "hand-designed hea:2"}
    assert summary.baselines == first.baselines
    assert [(r["key"], r["val_score"], r["chosen"]) for r in a] == [(r["key"], r["val_score"], r["chosen"]) for r in b]
    assert summary.final.score == max(r["val_score"] for r in b)
    assert calls == []


def _dying_worker_evaluation(counter: str, deaths: int):
    """An evaluation that SIGKILLs its own Dask worker the first ``deaths`` times (counted in a
    file), then evaluates; made in a function, so Dask ships it to the workers by value."""

    def run(dag_json, *args, **kwargs):
        import os
        import signal
        from pathlib import Path

        import qas.search.executors as on_worker  # the worker's own, unpatched

        path = Path(counter)
        done = int(path.read_text()) if path.exists() else 0
        if done < deaths:
            path.write_text(str(done + 1))
            os.kill(os.getpid(), signal.SIGKILL)
        return on_worker._evaluate_on_worker(dag_json, *args, **kwargs)

    return run


def _one_worker_dies(tmp_path, monkeypatch, deaths: int):
    import dask
    import distributed  # noqa: F401  (its defaults in dask's config first: set() below only overrides one key)

    import qas.search.executors as executors

    monkeypatch.setattr(executors, "_evaluate_on_worker", _dying_worker_evaluation(str(tmp_path / "deaths"), deaths))
    cfg = SearchConfig(task="state-prep", agent="random", budget=1, seed=4, final=False, workers=2,
                       train={"steps": 10, "patience": 0, "lr": 0.1})
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # Dask gives up at the first death
        return search(cfg, tmp_path / "run", progress=False)


def test_a_circuit_whose_workers_die_is_handed_over_again(tmp_path, monkeypatch):
    """Dask gives up on a task when its workers die (KilledWorker); the search does not: it
    submits the circuit again and goes on."""
    summary = _one_worker_dies(tmp_path, monkeypatch, deaths=2)
    assert summary.evaluated == 1 and (tmp_path / "deaths").read_text() == "2"


def test_a_circuit_that_kills_every_worker_ends_the_search_with_one_line(tmp_path, monkeypatch):
    import pytest

    from qas.core.errors import QasError
    from qas.search.executors import KILLED_WORKER_RESUBMITS

    with pytest.raises(QasError, match="killed every Dask worker that ran it, 4 times over; give the workers more memory"):
        _one_worker_dies(tmp_path, monkeypatch, deaths=100)
    assert (tmp_path / "deaths").read_text() == str(KILLED_WORKER_RESUBMITS + 1)


def test_a_local_cluster_left_without_workers_ends_the_search_instead_of_waiting(monkeypatch):
    import time

    import pytest

    import qas.search.executors as executors
    from qas.core.errors import QasError

    ex = executors.DaskExecutor(workers=1)
    try:
        assert ex._check_workers(None) is None  # a worker: nothing to watch
        ex.cluster.scale(0)
        deadline = time.monotonic() + 30
        while ex.client.scheduler_info().get("workers") and time.monotonic() < deadline:
            time.sleep(0.2)
        since = ex._check_workers(None)
        assert since is not None and ex._check_workers(since) == since  # not yet: a nanny may bring one back
        monkeypatch.setattr(executors, "WORKERLESS_SECONDS", 0.0)
        with pytest.raises(QasError, match="every local Dask worker died and none came back in 0 s; run the same command again"):
            ex._check_workers(since)
    finally:
        ex.close()
