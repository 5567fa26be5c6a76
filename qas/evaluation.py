"""Turn a circuit plus a task into a trustworthy score: train on torch, score on qsim.

:func:`evaluate` is the one entry point search, the CLI and experiments use. Results are
cached by (canonical circuit, task config, training config incl. seed), so a circuit is never
trained twice for the same setting; asking a cached result for more splits (e.g. ``test``)
scores the stored parameters without retraining.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import numpy as np

from qas.backends.simulators import Simulator, get_simulator
from qas.cache import ResultCache, cache_key
from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord
from qas.tasks.base import Batch, Split, Task
from qas.trainer import Report, TrainConfig, check_compatible, cpu_clock, train

_DEFAULT_SIM: dict[str, Simulator] = {}


def score(dag: CircuitDAG, task: Task, params: np.ndarray, split: Split = "val",
          simulator: str | Simulator = "qsim", max_inputs: int | None = None) -> dict[str, float]:
    """Metrics of fixed parameters on one split, computed on ``simulator`` (qsim by default)."""
    sim = _simulator(simulator)
    batch = task.split(split)
    if max_inputs is not None and batch.features is not None and len(batch.features) > max_inputs:
        batch = Batch(batch.features[:max_inputs], batch.targets[:max_inputs])
    out = sim.readout(dag, params, batch.features, task.readout)
    if task.fits_readout:  # e.g. a regression's scale and offset, fitted on the training split
        train = task.split("train")
        metrics = task.metrics(out, batch, task.fit_readout(sim.readout(dag, params, train.features, task.readout), train))
    else:
        metrics = task.metrics(out, batch)
    return task.with_circuit(dag, metrics)


def predict(dag: CircuitDAG, task: Task, params: np.ndarray, rows: Any, metrics: dict[str, float] | None = None,
            simulator: str | Simulator = "qsim") -> np.ndarray:
    """What a trained circuit predicts for new rows of raw data (class labels or values):
    the task's preprocessing, the circuit on ``simulator`` (qsim), the task's readout; a fitted
    readout (a regression's scale and offset) comes from ``metrics`` (a record's ``*_readout_*``)."""
    out = _simulator(simulator).readout(dag, params, task.inputs(rows), task.readout)
    fit = {k.split("_", 1)[1]: v for k, v in (metrics or {}).items() if k.startswith("val_readout_")}
    if task.fits_readout and not fit:
        train = task.split("train")
        fit = task.fit_readout(_simulator(simulator).readout(dag, params, train.features, task.readout), train)
    return task.predictions(out, fit)


def _simulator(sim: str | Simulator) -> Simulator:
    if not isinstance(sim, str):
        return sim
    if sim not in _DEFAULT_SIM:
        _DEFAULT_SIM[sim] = get_simulator(sim)
    return _DEFAULT_SIM[sim]


def evaluate(
    dag: CircuitDAG,
    task: Task,
    config: TrainConfig = TrainConfig(),
    *,
    splits: Iterable[Split] = ("val",),
    cache: ResultCache | None = None,
    simulator: str | Simulator = "qsim",
    noise: Any = None,
    noise_inputs: int | None = 200,
    prune: Report | None = None,
) -> EvaluationRecord:
    """Train ``dag`` on ``task`` (or reuse the cached result) and score it on qsim.

    With ``prune`` (e.g. a :class:`~qas.search.pruning.Pruning`), the trainer asks it after
    every epoch whether to stop; a stopped candidate is scored as it stands and its record says
    ``pruned``. Such a record is cached apart from full trainings: a later evaluation without
    pruning trains the circuit fully, one with pruning reuses it (a resumed run decides alike).

    With ``noise`` (a :class:`~qas.backends.noise.NoiseSpec`), every split is also scored on
    qsim trajectories under that noise (``noisy_<split>_*`` metrics, on the first
    ``noise_inputs`` inputs of each split), and the record's ``score`` is the noisy
    validation score: search then optimises what a noisy device would give.
    """
    check_compatible(dag, task)
    splits = tuple(dict.fromkeys(("val", *splits)))
    key = result_key(dag, task, config, noise, noise_inputs)
    record = cached(cache, key, pruning=prune is not None)
    if record is not None:
        missing = [s for s in splits if f"{s}_score" not in record.metrics and (s == "val" or task.has_data)]
        if not missing:
            return dataclasses.replace(record, cached=True)
        t0 = cpu_clock()
        extra = _score_splits(dag, task, record.param_array, missing, simulator)
        if noise is not None:
            extra.update(_noisy_splits(dag, task, record.param_array, missing, noise, noise_inputs))
        record = record.with_metrics(extra, score_seconds=record.score_seconds + cpu_clock() - t0)
        store(cache, key, record)
        return dataclasses.replace(record, cached=True)

    result = train(dag, task, config, report=prune)
    t0 = cpu_clock()
    metrics = _score_splits(dag, task, result.params, splits, simulator)
    metrics["torch_val_score"] = result.val_score
    metrics["train_steps"] = float(result.steps)
    if noise is not None:
        metrics.update(_noisy_splits(dag, task, result.params, splits, noise, noise_inputs))
    record = EvaluationRecord(
        circuit_key=dag.key,
        circuit_json=dag.to_json(),
        task=task.name,
        task_config=task.config(),
        train_config=dataclasses.asdict(config),
        params=tuple(float(p) for p in result.params),
        score=metrics["noisy_val_score" if noise is not None else "val_score"],
        metrics=metrics,
        train_seconds=result.seconds,
        score_seconds=cpu_clock() - t0,
        curve=result.curve,
        pruned=result.pruned,
    )
    store(cache, key, record)
    return record


#: a pruned record's cache key is its full training's plus this
PRUNED = "|pruned"


def cached(cache: ResultCache | None, key: str, *, pruning: bool) -> EvaluationRecord | None:
    """The cached record under ``key``: a full training's, or (when ``pruning``) a pruned one's."""
    if cache is None:
        return None
    record = cache.get(key)
    if record is None and pruning:
        record = cache.get(key + PRUNED)
    return record


def store(cache: ResultCache | None, key: str, record: EvaluationRecord) -> None:
    """Cache ``record`` under ``key`` (under ``key + PRUNED`` if its training was pruned)."""
    if cache is not None:
        cache.put(key + PRUNED if record.pruned else key, record)


def result_key(dag: CircuitDAG, task: Task, config: TrainConfig, noise: Any = None,
               noise_inputs: int | None = 200) -> str:
    """The result-cache key: canonical circuit, task config, training config, noise setting."""
    noise_tag = "" if noise is None else f"|noise={noise}|reps={noise.repetitions}|n={noise_inputs}"
    return cache_key(dag.key, task.name + noise_tag, task.fingerprint, config.fingerprint)


def _score_splits(dag: CircuitDAG, task: Task, params: np.ndarray, splits: Iterable[Split],
                  simulator: str | Simulator) -> dict[str, float]:
    out: dict[str, float] = {}
    for split in splits:
        if split != "val" and not task.has_data:
            continue  # without data every split is the same circuit
        for name, value in score(dag, task, params, split, simulator).items():
            out[f"{split}_{name}"] = value
    return out


def _noisy_splits(dag: CircuitDAG, task: Task, params: np.ndarray, splits: Iterable[Split], noise: Any,
                  max_inputs: int | None) -> dict[str, float]:
    from qas.backends.simulators import NoisyQsimSimulator

    sim = NoisyQsimSimulator(noise)
    out: dict[str, float] = {}
    for split in splits:
        if split != "val" and not task.has_data:
            continue
        for name, value in score(dag, task, params, split, sim, max_inputs=max_inputs).items():
            out[f"noisy_{split}_{name}"] = value
    return out
