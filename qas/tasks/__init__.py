"""Tasks: what a circuit is trained and scored on (datasets, Hamiltonians, losses, metrics).

Each task is one module that registers itself in :data:`TASKS`; :func:`make_task` builds one
by name with keyword options.
"""

from pathlib import Path
from typing import Any

from qas.tasks import classification, maxcut, state_prep, supervised, tfim, vqe, vqe_h2  # noqa: F401  (register tasks)
from qas.core.lazy import lazy_names
from qas.core.readout import Readout
from qas.tasks.base import TASKS, Batch, Task, TaskPreset

#: names of the task modules, imported on first use (PEP 562)
_LAZY = {
    "VQE": "qas.tasks.vqe",
    "read_hamiltonian": "qas.tasks.vqe",
    "molecule": "qas.tasks.chemistry",
    "uccsd_reference": "qas.tasks.chemistry",
    "Classification": "qas.tasks.supervised",
    "Regression": "qas.tasks.supervised",
    "DataTask": "qas.tasks.supervised",
    "DataError": "qas.tasks.user_data",
    "Preprocessing": "qas.tasks.user_data",
    "read_data": "qas.tasks.user_data",
    "ImageClassification": "qas.tasks.classification",
    "VARIANTS": "qas.tasks.classification",
    "EnergyTask": "qas.tasks.hamiltonian",
    "load_classification": "qas.tasks.datasets",
    "logistic_regression_accuracy": "qas.tasks.baselines",
}

__all__ = sorted(["TASKS", "Batch", "Readout", "Task", "TaskPreset", "build_task", "make_task", *_LAZY])


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


def make_task(name: str, **options: Any) -> Task:
    """Build a registered task; options with value ``None`` are left at their defaults."""
    from qas.core.errors import QasError

    factory = TASKS.get(name)
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return factory(**options)
    except TypeError as exc:
        raise QasError(f"task {name!r}: {exc}") from None


def build_task(task: str, *, variant: str | None = None, data_dir: str | Path | None = None,
               train_limit: int | None = None, **options: Any) -> Task:
    """A task by name as the CLI and runs describe it: ``data_dir`` and ``train_limit`` go to
    tasks that read a dataset, and are an error for the others."""
    from qas.core.errors import QasError

    if TASKS.get(task).uses_data:
        options.update(data_dir=None if data_dir is None else str(data_dir), train_limit=train_limit)
    elif data_dir is not None:
        raise QasError(f"task {task!r} has no dataset: --data-dir does not apply")
    return make_task(task, variant=variant, **options)
