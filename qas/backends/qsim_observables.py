"""Observables for the fast qsim path: qsim opsums, or batched ``<psi|O|psi>`` in numpy.

:class:`PauliEvaluator` evaluates Pauli sums on a batch of qsim's final states (the default up
to 14 qubits); :func:`build_opsums` builds qsim's own opsums for its per-input expectation
routine, exactly as ``qsimcirq.QSimSimulator`` does.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import cirq
import numpy as np
from qsimcirq import qsim

Observable = Union[cirq.PauliSum, cirq.PauliString]


def build_opsums(
    observables: Sequence[Observable], qubit_index: Dict[cirq.Qid, int]
) -> List[Tuple[List["qsim.OpString"], int]]:
    """Observables -> qsim opsums, exactly as ``QSimSimulator`` builds them."""
    kinds = {cirq.X: qsim.kX, cirq.Y: qsim.kY, cirq.Z: qsim.kZ}
    result = []
    for obs in observables:
        psum = cirq.PauliSum.wrap(obs)
        opsum = []
        touched = set()
        for pstr in psum:
            opstring = qsim.OpString()
            opstring.weight = pstr.coefficient
            for q, pauli in pstr.items():
                if q not in qubit_index:
                    raise ValueError(
                        f"Observable acts on qubit {q!r} which is not in `qubits`."
                    )
                touched.add(q)
                qsim.add_gate_to_opstring(kinds[pauli], [qubit_index[q]], opstring)
            opsum.append(opstring)
        result.append((opsum, len(touched)))
    return result


class PauliEvaluator:
    """Batched ``<psi|O|psi>`` for Pauli sums, straight from qsim's final states.

    Why: qsim's own expectation routine copies the state and applies each
    Pauli string separately (15 terms of H2 cost ~3x the simulation itself).
    Here a Pauli string is a bit-flip permutation ``i -> i ^ x_mask`` times a
    phase, so all terms sharing an ``x_mask`` collapse into one weight matrix
    ``W_x`` (dim x num_observables) and the whole batch needs one gather and one
    matmul per distinct ``x_mask`` (Z-only terms: just ``|psi|^2 @ W_0``).

    State layout: qsim's full state is indexed like cirq's (first qubit of the
    cirq order is the most significant bit), see ``QSimSimulator.simulate``.
    """

    def __init__(self, observables: Sequence[Observable], qubits: Sequence[cirq.Qid]):
        n = len(qubits)
        self.dim = dim = 2**n
        bit = {q: n - 1 - i for i, q in enumerate(qubits)}
        idx = np.arange(dim)
        weights: Dict[int, np.ndarray] = {}
        for k, obs in enumerate(observables):
            for pstr in cirq.PauliSum.wrap(obs):
                x_mask = z_mask = 0
                num_y = 0
                for q, pauli in pstr.items():
                    if q not in bit:
                        raise ValueError(
                            f"Observable acts on qubit {q!r} which is not in `qubits`."
                        )
                    b = 1 << bit[q]
                    if pauli == cirq.X:
                        x_mask |= b
                    elif pauli == cirq.Z:
                        z_mask |= b
                    else:  # Y = i X Z
                        x_mask |= b
                        z_mask |= b
                        num_y += 1
                parity = _popcount(idx & z_mask) & 1
                # P|i> = i^{num_y} (-1)^{popcount(i & z_mask)} |i ^ x_mask>
                phase = (1j**num_y) * (1 - 2 * parity)
                w = weights.setdefault(x_mask, np.zeros((dim, len(observables)), dtype=np.complex128))
                w[:, k] += complex(pstr.coefficient) * phase
        diagonal = weights.pop(0, None)  # Z-only terms: real weights on |psi_i|^2
        self.diagonal: Optional[np.ndarray] = None if diagonal is None else diagonal.real.copy()
        self.flips = [(idx ^ x_mask, w) for x_mask, w in weights.items()]
        self.num_observables = len(observables)

    def __call__(self, psi: np.ndarray) -> np.ndarray:
        """``psi``: (batch, dim) complex -> (batch, num_observables) float64.

        Uses ``einsum`` (no BLAS threads, see :class:`~qas.backends.qsim_plan.ParamTable`).
        """
        psi = psi.astype(np.complex128)
        out = np.zeros((psi.shape[0], self.num_observables))
        if self.diagonal is not None:
            out += np.einsum("bi,io->bo", psi.real**2 + psi.imag**2, self.diagonal)
        for perm, w in self.flips:
            prod = psi[:, perm].conj() * psi  # Re(prod @ w) = Re(prod) Re(w) - Im(prod) Im(w)
            out += np.einsum("bi,io->bo", prod.real, w.real) - np.einsum("bi,io->bo", prod.imag, w.imag)
        return out


def _popcount(a: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(a).astype(np.int64)
    count = np.zeros_like(a)
    while np.any(a):
        count += a & 1
        a = a >> 1
    return count
