"""Where candidate evaluations run: in this process, or fanned out to Dask workers.

Both take a batch of circuits and return their evaluation records in order; the runner
records them in the Optuna study. Results are cached by the driver, so a worker never needs
the run directory (remote machines work the same as local processes).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from qas.circuit import CircuitDAG
from qas.records import EvaluationRecord


class LocalExecutor:
    """Evaluate one circuit at a time in this process (the default)."""

    batch_size = 1

    def evaluate(self, state: Any, dags: list[CircuitDAG], train_cfg: Any) -> list[EvaluationRecord]:
        from qas.evaluation import evaluate

        return [evaluate(d, state.task, train_cfg, cache=state.cache, noise=state.noise,
                         noise_inputs=state.config.noise_inputs) for d in dags]


def _task_args(state: Any) -> tuple:
    cfg = state.config
    return (cfg.task, cfg.variant, cfg.data_dir, cfg.train_limit,
            tuple(sorted({**cfg.task_options, **({"val_limit": cfg.val_limit} if cfg.val_limit else {})}.items())))


@lru_cache(maxsize=4)
def _worker_task(args: tuple) -> Any:
    from qas.api import build_task

    task, variant, data_dir, train_limit, options = args
    return build_task(task, variant=variant, data_dir=data_dir, train_limit=train_limit, **dict(options))


def _evaluate_on_worker(dag_json: str, task_args: tuple, train: dict, noise: Any, noise_inputs: int) -> dict:
    """Runs on a Dask worker: build (once) the task, train and score one circuit."""
    from qas.evaluation import evaluate
    from qas.trainer import TrainConfig

    record = evaluate(CircuitDAG.from_json(dag_json), _worker_task(task_args), TrainConfig(**train),
                      noise=noise, noise_inputs=noise_inputs)
    return record.to_dict()


class DaskExecutor:
    """Fan a batch of evaluations out to a Dask cluster: ``tcp://host:port`` or ``N`` local workers."""

    def __init__(self, *, scheduler: str | None = None, workers: int | None = None, batch_size: int | None = None) -> None:
        from distributed import Client, LocalCluster

        from qas.errors import QasError

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

    def evaluate(self, state: Any, dags: list[CircuitDAG], train_cfg: Any) -> list[EvaluationRecord]:
        from qas.evaluation import result_key

        out: list[EvaluationRecord | None] = [None] * len(dags)
        futures = {}
        keys = [result_key(d, state.task, train_cfg, state.noise, state.config.noise_inputs) for d in dags]
        for i, (dag, key) in enumerate(zip(dags, keys)):
            hit = state.cache.get(key)
            if hit is not None and "val_score" in hit.metrics:
                out[i] = dataclasses.replace(hit, cached=True)
            else:
                futures[i] = self.client.submit(
                    _evaluate_on_worker, dag.to_json(), _task_args(state), dataclasses.asdict(train_cfg),
                    state.noise, state.config.noise_inputs, pure=False,
                )
        for i, fut in futures.items():
            record = EvaluationRecord.from_dict(fut.result())
            state.cache.put(keys[i], record)
            out[i] = record
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
