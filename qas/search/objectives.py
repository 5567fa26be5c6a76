"""The objective of a real search: train each circuit on torch and score it on qsim.

:class:`TrainingObjective` is what :func:`~qas.search.optimize.optimize` calls in a run, and
what the final round calls with its longer training. Where the evaluations run is its
``executor``: this process (the default) or a Dask cluster
(:class:`~qas.search.executors.DaskExecutor`), which sets how many circuits it takes at once.
Results are cached by the stage's result cache (a circuit is never trained twice for the
same task and training).
"""

from __future__ import annotations

from typing import Any, Sequence

from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord
from qas.search.executors import LocalExecutor, Stage


class TrainingObjective:
    """Train and score circuits of one :class:`~qas.search.executors.Stage` with one training."""

    def __init__(self, stage: Stage, train_config: Any, executor: Any = None) -> None:
        self.stage = stage
        self.train_config = train_config
        self.executor = executor or LocalExecutor()

    @property
    def batch_size(self) -> int:
        return self.executor.batch_size

    def __call__(self, dags: Sequence[CircuitDAG]) -> list[EvaluationRecord]:
        return self.executor.evaluate(self.stage, list(dags), self.train_config)

    def __repr__(self) -> str:
        return f"TrainingObjective(task={self.stage.task!r}, splits={self.stage.splits}, executor={type(self.executor).__name__})"
