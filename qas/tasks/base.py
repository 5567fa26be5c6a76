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
from typing import TYPE_CHECKING, Any, Iterator, Literal

import numpy as np

from qas.registry import Registry

if TYPE_CHECKING:
    import torch

Split = Literal["train", "val", "test"]


@dataclass(frozen=True)
class Readout:
    """What the simulator returns per input.

    - ``kind="z"``: ``<Z_q>`` for every qubit, shape ``(batch, num_qubits)``;
    - ``kind="energy"``: ``<H>`` for ``hamiltonian`` (``[(coefficient, "XZIY..."), ...]``,
      one Pauli letter per qubit, qubit 0 first), shape ``(batch,)``;
    - ``kind="state"``: the final state vector, shape ``(batch, 2**num_qubits)`` (Cirq's
      big-endian order: qubit 0 is the most significant bit).
    """

    kind: Literal["z", "energy", "state"]
    hamiltonian: tuple[tuple[float, str], ...] = ()


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
    def fingerprint(self) -> str:
        text = json.dumps({"task": self.name, **self.config()}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


#: task name -> factory taking keyword options (variant, data_dir, ...)
TASKS: Registry[Any] = Registry("task")


def pauli_matrix(hamiltonian: tuple[tuple[float, str], ...], num_qubits: int) -> np.ndarray:
    """Dense Hermitian matrix of a Pauli sum, big-endian (qubit 0 is the leftmost factor)."""
    mats = {
        "I": np.eye(2, dtype=complex),
        "X": np.array([[0, 1], [1, 0]], dtype=complex),
        "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
        "Z": np.diag([1.0, -1.0]).astype(complex),
    }
    dim = 2**num_qubits
    out = np.zeros((dim, dim), dtype=complex)
    for coeff, word in hamiltonian:
        if len(word) != num_qubits or set(word) - set("IXYZ"):
            raise ValueError(f"Pauli word {word!r} must have {num_qubits} letters from IXYZ")
        term = np.ones((1, 1), dtype=complex)
        for letter in word:
            term = np.kron(term, mats[letter])
        out += coeff * term
    return out


def ground_energy(hamiltonian: tuple[tuple[float, str], ...], num_qubits: int) -> float:
    """Exact ground-state energy by dense diagonalisation."""
    return float(np.linalg.eigvalsh(pauli_matrix(hamiltonian, num_qubits))[0])
