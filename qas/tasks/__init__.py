"""Tasks: what a circuit is trained and scored on (datasets, Hamiltonians, losses, metrics).

Each task is one module that registers itself in :data:`TASKS`; :func:`make_task` builds one
by name with keyword options.
"""

from typing import Any

from qas.tasks import classification, maxcut, state_prep, tfim, vqe_h2  # noqa: F401  (register tasks)
from qas.tasks.base import TASKS, Batch, Readout, Task

__all__ = ["TASKS", "Batch", "Readout", "Task", "make_task"]


def make_task(name: str, **options: Any) -> Task:
    """Build a registered task; options with value ``None`` are left at their defaults."""
    from qas.errors import QasError

    factory = TASKS.get(name)
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return factory(**options)
    except TypeError as exc:
        raise QasError(f"task {name!r}: {exc}") from None
