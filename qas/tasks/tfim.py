"""``tfim``: the transverse-field Ising ring, ``H = -J sum_i Z_i Z_{i+1} - h sum_i X_i``.

Periodic boundary (the bond ``(N-1, 0)`` closes the ring); the default ``N = 8, J = h = 1``
is the critical point, registered also as ``tfim-8``. Its exact ground energy comes from
dense diagonalisation; a test pins it to the free-fermion result
``E0 = -sum_k sqrt(J^2 + h^2 - 2 J h cos k)`` over the antiperiodic momenta
``k = pi (2m + 1) / N``, ``m = 0..N-1`` (the even-parity sector holds the ground state),
which at ``J = h = 1, N = 8`` is ``-2 / sin(pi / 16) = -10.251661790966...``.

A caution on ``score = E/E0``: a product state (all spins up, or all ``|+>``) already has
``E = -N`` at ``J = h = 1``, i.e. ``E/E0 = 0.780`` for ``N = 8``.
"""

from __future__ import annotations

from typing import Any

from qas.tasks.base import TASKS
from qas.tasks.hamiltonian import EnergyTask, Hamiltonian


def tfim_hamiltonian(num_qubits: int, J: float = 1.0, h: float = 1.0) -> Hamiltonian:
    """Pauli terms of the periodic TFIM ring: ``N`` ZZ bonds, then ``N`` X fields."""
    n = num_qubits
    terms: list[tuple[float, str]] = []
    for i in range(n):
        j = (i + 1) % n
        word = ["I"] * n
        word[i] = word[j] = "Z"
        terms.append((-float(J), "".join(word)))
    for i in range(n):
        word = ["I"] * n
        word[i] = "X"
        terms.append((-float(h), "".join(word)))
    return tuple(terms)


@TASKS.register("tfim", aliases=("tfim-8",))
class TFIM(EnergyTask):
    """Ground state of the periodic transverse-field Ising ring."""

    name = "tfim"

    def __init__(self, *, num_qubits: int = 8, J: float = 1.0, h: float = 1.0) -> None:
        if int(num_qubits) != num_qubits or num_qubits < 3:
            raise ValueError(f"tfim needs an integer ring of >= 3 qubits, got num_qubits={num_qubits!r}")
        self.num_qubits = int(num_qubits)
        self.J = float(J)
        self.h = float(h)
        self._set_hamiltonian(tfim_hamiltonian(self.num_qubits, self.J, self.h))

    def config(self) -> dict[str, Any]:
        return {"num_qubits": self.num_qubits, "J": self.J, "h": self.h}
