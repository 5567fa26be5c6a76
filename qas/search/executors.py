"""Where candidate evaluations run: in this process, or fanned out to Dask workers.

Both take a :class:`Stage` (which task, which splits) and a batch of circuits, and return their
evaluation records in order: the search loop's batches, and the final round's retrainings (top
circuits and hand-designed ansätze, each a long training: on N workers the round takes about
1/N of the time). Results are cached by the driver, so a worker never needs the run directory
(remote machines work the same as local processes).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord


@dataclass(frozen=True)
class Stage:
    """One kind of evaluation in a run: the task, how a worker rebuilds it, the splits to score."""

    task: Any
    task_args: tuple            # see task_args()
    splits: tuple[str, ...]
    cache: Any
    noise: Any
    noise_inputs: int | None


def task_args(config: Any, *, final: bool = False) -> tuple:
    """How to build a run's task, as plain values a worker can receive: ``(task, variant,
    data_dir, train_limit, sorted options)``. The final round trains on every training input and
    scores the full validation split."""
    options = dict(config.task_options)
    if not final and config.val_limit is not None:
        options.setdefault("val_limit", config.val_limit)
    return (config.task, config.variant, config.data_dir, None if final else config.train_limit,
            tuple(sorted(options.items())))


def make_task(args: tuple) -> Any:
    """Build the task that :func:`task_args` describes."""
    from qas.tasks import build_task

    task, variant, data_dir, train_limit, options = args
    return build_task(task, variant=variant, data_dir=data_dir, train_limit=train_limit, **dict(options))


#: the task of a stage, built once per process (driver or worker)
build_stage_task = lru_cache(maxsize=4)(make_task)


def search_stage(state: Any) -> Stage:
    """Search-time evaluations: the run's (possibly subsampled) task, scored on validation."""
    return search_stage_for(state.config, state.cache, state.noise, task=state.task)


def search_stage_for(config: Any, cache: Any, noise: Any = None, *, task: Any = None) -> Stage:
    """:func:`search_stage` from a run's config and cache alone (``task``: the run's, if built)."""
    args = task_args(config)
    return Stage(task if task is not None else build_stage_task(args), args, ("val",), cache, noise, config.noise_inputs)


def final_stage(state: Any) -> Stage:
    """The final round: the full task, scored on validation and test."""
    return final_stage_for(state.config, state.cache, state.noise)


def final_stage_for(config: Any, cache: Any, noise: Any = None) -> Stage:
    """:func:`final_stage` from a run's config and cache alone (tools that retrain beside a live run)."""
    args = task_args(config, final=True)
    return Stage(build_stage_task(args), args, ("val", "test"), cache, noise, config.noise_inputs)


def default_workers() -> int:
    """Workers of ``qas search`` when none are asked for: one per core (1: in this process).
    Measured on 2 cores (experiments/bench_dask.py): 2 workers evaluate the search 1.68x and the
    final round 1.59x faster than 1."""
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class LocalExecutor:
    """Evaluate one circuit at a time in this process (the default)."""

    batch_size = 1

    def evaluate(self, stage: Stage, dags: list[CircuitDAG], train_cfg: Any, pruning: Any = None) -> list[EvaluationRecord]:
        """Records in order; ``pruning`` (a :class:`~qas.search.pruning.Pruning`) may stop
        trainings early. Each circuit gets its own copy: one batch's trials do not see each other."""
        import copy

        from qas.evaluation import evaluate

        return [evaluate(d, stage.task, train_cfg, splits=stage.splits, cache=stage.cache, noise=stage.noise,
                         noise_inputs=stage.noise_inputs, prune=copy.copy(pruning)) for d in dags]


def _evaluate_on_worker(dag_json: str, task_args: tuple, train: dict, splits: tuple[str, ...], noise: Any,
                        noise_inputs: int | None, pruning: Any = None) -> dict:
    """Runs on a Dask worker: build (once) the task, train and score one circuit."""
    from qas.evaluation import evaluate
    from qas.trainer import TrainConfig

    record = evaluate(CircuitDAG.from_json(dag_json), build_stage_task(task_args), TrainConfig(**train),
                      splits=splits, noise=noise, noise_inputs=noise_inputs, prune=pruning)
    return record.to_dict()


#: how many times a circuit is handed to Dask again after every worker that ran it died (Dask
#: itself tries each task on ``distributed.scheduler.allowed-failures`` + 1 workers): one worker
#: lost to an out-of-memory kill or an operator must not end a search
KILLED_WORKER_RESUBMITS = 3


#: how often a waiting batch checks that the local cluster still has workers (s), and how long
#: it may have none before the search ends (a nanny restarts a killed worker in a few seconds)
WATCH_SECONDS = 10.0
WORKERLESS_SECONDS = 60.0


class DaskExecutor:
    """Fan a batch of evaluations out to a Dask cluster: ``tcp://host:port`` or ``N`` local workers."""

    def __init__(self, *, scheduler: str | None = None, workers: int | None = None, batch_size: int | None = None) -> None:
        from distributed import Client, LocalCluster

        from qas.core.errors import QasError

        if scheduler:
            try:
                self.client = Client(scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise QasError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            self.cluster = None
        else:
            self.cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
        n = len(self.client.scheduler_info().get("workers", {})) or (workers or 1)
        self.batch_size = batch_size or n

    def evaluate(self, stage: Stage, dags: list[CircuitDAG], train_cfg: Any, pruning: Any = None) -> list[EvaluationRecord]:
        from distributed import wait
        from distributed.scheduler import KilledWorker

        from qas.core.errors import QasError
        from qas.evaluation import cached, evaluate, result_key, store

        out: list[EvaluationRecord | None] = [None] * len(dags)
        keys = [result_key(d, stage.task, train_cfg, stage.noise, stage.noise_inputs) for d in dags]

        def submit(i: int) -> Any:
            return self.client.submit(
                _evaluate_on_worker, dags[i].to_json(), stage.task_args, dataclasses.asdict(train_cfg),
                stage.splits, stage.noise, stage.noise_inputs, pruning, pure=False,
            )

        pending, resubmitted = {}, [0] * len(dags)  # future -> circuit index
        for i, (dag, key) in enumerate(zip(dags, keys)):
            if cached(stage.cache, key, pruning=pruning is not None) is not None:
                # trained before: the driver returns it, scoring any split it lacks
                out[i] = evaluate(dag, stage.task, train_cfg, splits=stage.splits, cache=stage.cache,
                                  noise=stage.noise, noise_inputs=stage.noise_inputs, prune=pruning)
            else:
                pending[submit(i)] = i
        no_workers_since = None
        while pending:
            try:
                done, _ = wait(list(pending), timeout=WATCH_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                no_workers_since = self._check_workers(no_workers_since)
                continue
            no_workers_since = None
            for fut in done:  # cache each as it lands: a crash loses none
                i = pending.pop(fut)
                try:
                    result = fut.result()
                except KilledWorker:
                    # Dask gave up after its own retries: every worker that ran it died (killed, out
                    # of memory). Hand it over again a few times before calling the circuit the cause.
                    resubmitted[i] += 1
                    if resubmitted[i] > KILLED_WORKER_RESUBMITS:
                        raise QasError(
                            f"circuit {keys[i][:12]} killed every Dask worker that ran it, {resubmitted[i]} times over; "
                            "give the workers more memory (dask worker --memory-limit) or leave the circuit out"
                        ) from None
                    pending[submit(i)] = i
                    continue
                record = EvaluationRecord.from_dict(result)
                store(stage.cache, keys[i], record)
                out[i] = record
        return out  # type: ignore[return-value]

    def _check_workers(self, no_workers_since: float | None) -> float | None:
        """While a batch waits: a local cluster whose workers are all gone, and stay gone (its
        nannies gave up restarting them), would wait forever. End the search instead, with what
        to do; everything evaluated so far is in the study and the cache."""
        import time

        from qas.core.errors import QasError

        if self.cluster is None or self.client.scheduler_info().get("workers"):
            return None  # a remote cluster's workers are its operator's to bring back
        now = time.monotonic()
        if no_workers_since is None:
            return now
        if now - no_workers_since >= WORKERLESS_SECONDS:
            raise QasError(f"every local Dask worker died and none came back in {WORKERLESS_SECONDS:.0f} s; "
                           "run the same command again to resume (nothing evaluated is lost)")
        return no_workers_since

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
