"""The task interface: what a circuit is trained on and how it is scored.

A task never simulates. It declares a :class:`Readout` (what a simulator must return for a
batch of inputs) and turns those outputs into a training loss (torch) and into metrics
(numpy). Any backend that implements the readout can train or score it: the torch
statevector for training, qsim for every reported number.

``metrics`` always holds ``"score"``, the one number search maximises (higher is better).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Literal, Mapping

import numpy as np

from qas.core.readout import Readout
from qas.core.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path

    import torch

    from search_spaces.spec import SearchSpace

Split = Literal["train", "val", "test"]


@dataclass(frozen=True)
class Batch:
    """Inputs of one step: features ``(B, F)`` (``None`` for tasks without data) and targets."""

    features: np.ndarray | None
    targets: np.ndarray | None


class Task(ABC):
    """One task. Subclasses are small: data or Hamiltonian, readout, loss, metrics."""

    #: registry name of the task family, e.g. ``"fashionmnist"``
    name: str = ""
    num_qubits: int
    num_features: int = 0
    readout: Readout
    #: a short human description of what ``score`` means
    score_name: str = "score"
    #: search-time training this task needs other than ``SEARCH_TRAIN`` (a user's ``[search.train]``
    #: still wins); e.g. a lower learning rate where the default misranks circuits
    search_train: dict[str, Any] = {}
    #: the final round's training this task needs other than ``FINAL_TRAIN`` (a user's
    #: ``[search.final_train]`` still wins); e.g. more epochs on a small dataset
    final_train: dict[str, Any] = {}
    #: the pre-filter of the default search on this task (``qas.search.prefilter``; a user's
    #: ``--prefilter`` or ``--agent`` still wins): ``"params"``, the quarter of the pool with the
    #: most trainable angles, or ``"none"``, the whole pool
    default_prefilter: ClassVar[str] = "params"
    #: the task reads a dataset: :func:`qas.tasks.build_task` passes it ``data_dir`` and
    #: ``train_limit`` (and refuses ``data_dir`` for every other task)
    uses_data: ClassVar[bool] = False
    #: the named variant of the task family, e.g. ``"fashion-2"`` (``None``: the family has none)
    variant: str | None = None
    #: the space searched when the user names none: a built-in space's name, or a space made
    #: for this task (a user's data); ``None``: the user must give one
    default_space: "str | SearchSpace | None" = None
    #: the readout has classical parameters fitted on the training split's outputs (a
    #: regression's scale and offset): scoring calls :meth:`fit_readout` and passes its result
    #: to ``metrics(outputs, batch, fit)``
    fits_readout: ClassVar[bool] = False

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Everything that defines the task (variant, sizes, seeds): keys the result cache."""

    @abstractmethod
    def loss(self, outputs: "torch.Tensor", batch: Batch) -> "torch.Tensor":
        """Training loss (lower is better) from the readout of a batch, differentiable."""

    @abstractmethod
    def metrics(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        """Metrics from the readout of a whole split; must include ``"score"``."""

    def batches(self, split: Split, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Mini-batches of a split (shuffled when ``rng`` is given). Tasks without data have one."""
        yield Batch(None, None)

    def split(self, split: Split) -> Batch:
        """The whole split as one batch."""
        return Batch(None, None)

    @property
    def has_data(self) -> bool:
        return self.num_features > 0

    @property
    def title(self) -> str:
        """``name`` and ``variant``, for people: ``"classification fashion-2"``."""
        return f"{self.name} {self.variant}" if self.variant else self.name

    def check_space(self, space: "SearchSpace") -> None:
        """Raise :class:`~qas.core.errors.QasError` unless circuits of ``space`` can run this task."""
        from qas.core.errors import QasError

        if space.num_qubits != self.num_qubits:
            raise QasError(f"task {self.title} needs {self.num_qubits} qubits but space {space.name} has {space.num_qubits}")

    def io(self) -> dict[str, Any]:
        """How raw inputs become the circuit's features and its readout becomes predictions,
        as plain values a run stores in ``best.json`` (a data task's columns, classes and fitted
        preprocessing); empty for tasks without inputs."""
        return {}

    def targets(self, raw: Any) -> np.ndarray:
        """Raw target values (labels, numbers) as this task's training targets."""
        from qas.core.errors import QasError

        raise QasError(f"task {self.title} has no targets to encode")

    def describe(self) -> list[str]:
        """Sentences for the report: what the task is and what was chosen for it (none by default)."""
        return []

    def saved(self, folder: "str | Path") -> tuple[str, dict[str, Any]]:
        """Save what this task needs in ``folder`` (a run directory) and return how to build it
        again: a registered task name and its options. Tasks built by name need nothing saved."""
        from qas.core.errors import QasError

        raise QasError(f"a {type(self).__name__} object cannot be saved with a run; pass the task by name")

    def inputs(self, rows: Any) -> np.ndarray:
        """New rows of raw data as the circuit's features (the task's own scaling and PCA)."""
        from qas.core.errors import QasError

        raise QasError(f"task {self.title} does not take rows of data")

    def predictions(self, outputs: np.ndarray, fit: Mapping[str, float]) -> np.ndarray:
        """What the readout of a batch predicts (class labels, values); ``fit`` from :meth:`fit_readout`."""
        from qas.core.errors import QasError

        raise QasError(f"task {self.title} makes no predictions from rows of data")

    def with_circuit(self, dag: Any, metrics: dict[str, float]) -> dict[str, float]:
        """Metrics that also judge the circuit itself, e.g. a score that counts its CNOTs; by
        default ``metrics`` unchanged (the score is the readout's alone)."""
        return metrics

    def fit_readout(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        """The readout's classical parameters, fitted on the training split's outputs."""
        return {}

    def classical_baselines(self) -> dict[str, dict[str, float]]:
        """Classical models on the same inputs, as ``{label: {"val_score": .., "test_score": ..}}``:
        the bar the report puts next to the circuit. Tasks without data have none."""
        return {}

    @property
    def fingerprint(self) -> str:
        text = json.dumps({"task": self.name, **self.config()}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def minibatches(whole: Batch, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[Batch]:
    """A split's rows in batches of ``batch_size`` (shuffled when ``rng`` is given)."""
    order = rng.permutation(len(whole.targets)) if rng is not None else np.arange(len(whole.targets))
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        yield Batch(whole.features[idx], whole.targets[idx])


@dataclass(frozen=True)
class TaskPreset:
    """A registered name for a task class with some options fixed: ``fashion-2`` is
    ``ImageClassification(variant="fashion-2")``. Called like the class; the class's contract
    (``uses_data``, ...) is the preset's."""

    cls: type[Task]
    options: Mapping[str, Any]

    def __call__(self, **options: Any) -> Task:
        return self.cls(**{**self.options, **options})

    @property
    def uses_data(self) -> bool:
        return self.cls.uses_data


#: task name -> a :class:`Task` subclass or a :class:`TaskPreset`, called with keyword options
TASKS: Registry[type[Task] | TaskPreset] = Registry("task")
