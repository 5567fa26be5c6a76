"""The readout contract between tasks and simulators, and Pauli sums as matrices.

A task declares a :class:`Readout` (what a simulator must return for a batch of inputs); a
simulator implements it. Both sides import it from here, so neither depends on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


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


#: decimals a Hamiltonian's identity keeps: PySCF's integrals differ between runs by ~1e-14
HAMILTONIAN_DECIMALS = 10


def hamiltonian_digest(hamiltonian: tuple[tuple[float, str], ...]) -> str:
    """A Hamiltonian's identity for fingerprints: its Pauli words and coefficients rounded to
    ``HAMILTONIAN_DECIMALS``, so that the same molecule built twice is the same task."""
    import hashlib
    import json

    terms = [[round(float(c), HAMILTONIAN_DECIMALS) + 0.0, w] for c, w in hamiltonian]
    return hashlib.sha256(json.dumps(terms).encode()).hexdigest()[:16]
