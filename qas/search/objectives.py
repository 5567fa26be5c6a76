"""The objective of a real search: train each circuit on torch and score it on qsim.

:class:`TrainingObjective` is what :func:`~qas.search.optimize.optimize` calls in a run, and
what the final round calls with its longer training. Where the evaluations run is its
``executor``: this process (the default) or a Dask cluster
(:class:`~qas.search.executors.DaskExecutor`), which sets how many circuits it takes at once.
Results are cached by the stage's result cache (a circuit is never trained twice for the
same task and training). It takes part in multi-fidelity search: given a
:class:`~qas.search.pruning.Pruning`, each training asks it after every epoch whether to go on.
"""

from __future__ import annotations

from typing import Any, Sequence

from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord
from qas.search.executors import LocalExecutor, Stage, final_stage_for, search_stage_for


class TrainingObjective:
    """Train and score circuits of one :class:`~qas.search.executors.Stage` with one training."""

    def __init__(self, stage: Stage, train_config: Any, executor: Any = None) -> None:
        self.stage = stage
        self.train_config = train_config
        self.executor = executor or LocalExecutor()

    @classmethod
    def of_run(cls, config: Any, *, final: bool = False, cache: Any = None, noise: Any = None, seed: int | None = None,
               executor: Any = None) -> "TrainingObjective":
        """The training a run with ``config`` gives a circuit (without opening the run): at search
        time, its task scored on validation after the resolved search training; with ``final``,
        its final round's (the full task, scored on validation and test, ``final_train``). ``seed``
        defaults to the run's; ``cache`` (a :class:`~qas.cache.ResultCache`) keeps the records."""
        from qas.trainer import TrainConfig

        if final:
            stage = final_stage_for(config, cache, noise)
            train = config.resolved_final_train(stage.task)
        else:
            stage = search_stage_for(config, cache, noise)
            train = config.resolved_train(stage.task)
        return cls(stage, TrainConfig.from_dict({**train, "seed": config.seed if seed is None else seed}), executor)

    @property
    def batch_size(self) -> int:
        return self.executor.batch_size

    def __call__(self, dags: Sequence[CircuitDAG], pruning: Any = None) -> list[EvaluationRecord]:
        """Records in order; with ``pruning`` (a :class:`~qas.search.pruning.Pruning`, which
        :func:`~qas.search.optimize.optimize` passes when the study has a pruner) weak
        candidates stop training early."""
        return self.executor.evaluate(self.stage, list(dags), self.train_config, pruning)

    def __repr__(self) -> str:
        return f"TrainingObjective(task={self.stage.task!r}, splits={self.stage.splits}, executor={type(self.executor).__name__})"
