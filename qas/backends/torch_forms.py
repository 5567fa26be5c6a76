"""The fast-path form of each gate kind on the torch backend, derived from its own matrix.

:class:`~qas.backends.torch_sv.TorchCircuit` reads every gate entry from flat real tables,
and two families of kinds have entries it can compute for all gates at once:

- one-angle rotations, ``exp(-i t/2 G)`` with ``G^2 = 1``, possibly controlled (RX, RY, RZ,
  RZZ, CRX, CRY, CRZ): the real and the imaginary part of each entry is one of ``0, 1, -1,
  +-cos(t/2), +-sin(t/2)`` (:func:`rotation_codes`);
- U3 as Cirq builds it, U3 controlled by one qubit, and the textbook controlled U3 (OpenQASM's
  ``u3`` phase, ``CU3Q``) (:func:`u3_form`).

Both are derived numerically from the kind's ``torch_matrix`` the first time a kind is
compiled, so a kind registered after import gets its fast path too; any other kind is
computed by its own matrix function on every forward (the generic path).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from qas.core import gate_matrices
from qas.core.gates import GateKind

CODE_ZERO, CODE_ONE, CODE_MINUS_ONE, CODE_C, CODE_MINUS_C, CODE_S, CODE_MINUS_S = range(7)

#: U3 forms: the kind is U3, U3 controlled by its first qubit, or the textbook controlled U3
#: (OpenQASM's ``u3``, without Cirq's ``exp(i theta/2)``)
U3, CONTROLLED_U3, CONTROLLED_U3_TEXTBOOK = 0, 1, 2


def _matrix(kind: GateKind, angles: list[float]) -> np.ndarray:
    assert kind.torch_matrix is not None
    return kind.torch_matrix([torch.tensor(a, dtype=torch.float64) for a in angles], torch.complex128).numpy()


@functools.lru_cache(maxsize=None)
def rotation_codes(kind: GateKind) -> np.ndarray | None:
    """``(d, d, 2)`` codes of a one-angle kind's (re, im) entries, or None if not of that form.

    With ``A = (M(0) + M(2 pi)) / 2``, ``B = (M(0) - M(2 pi)) / 2`` and ``C = M(pi) - A``, a
    rotation is ``M(t) = A + cos(t/2) B + sin(t/2) C``; each part of each entry must take
    exactly one of those terms with coefficient 0 or +-1. Checked again at ``t = 0.7``.
    """
    if kind.num_angles != 1:
        return None

    def m(t: float) -> np.ndarray:
        return _matrix(kind, [t])

    try:
        m0, mpi, m2pi = m(0.0), m(math.pi), m(2 * math.pi)
    except Exception:  # noqa: BLE001 - a matrix function that cannot be evaluated this way
        return None
    a, b = (m0 + m2pi) / 2, (m0 - m2pi) / 2
    c = mpi - a
    d = m0.shape[0]
    codes = np.zeros((d, d, 2), dtype=np.int64)
    for part, get in enumerate((np.real, np.imag)):
        for i in range(d):
            for j in range(d):
                coeffs = [get(x[i, j]) for x in (a, b, c)]
                rounded = [round(x) for x in coeffs]
                if any(abs(x - r) > 1e-9 or abs(r) > 1 for x, r in zip(coeffs, rounded)) or sum(map(abs, rounded)) > 1:
                    return None
                ra, rb, rc = rounded
                codes[i, j, part] = (CODE_ONE if ra == 1 else CODE_MINUS_ONE if ra == -1 else
                                     CODE_C if rb == 1 else CODE_MINUS_C if rb == -1 else
                                     CODE_S if rc == 1 else CODE_MINUS_S if rc == -1 else CODE_ZERO)
    t = 0.7
    cs, sn = math.cos(t / 2), math.sin(t / 2)
    table = np.array([0.0, 1.0, -1.0, cs, -cs, sn, -sn])
    rebuilt = table[codes[..., 0]] + 1j * table[codes[..., 1]]
    return codes if np.allclose(rebuilt, m(t), atol=1e-12) else None


@functools.lru_cache(maxsize=None)
def u3_form(kind: GateKind) -> int | None:
    """:data:`U3`, :data:`CONTROLLED_U3` or :data:`CONTROLLED_U3_TEXTBOOK` if the kind's matrix
    is that, at random angles; else None.

    U3 is ``[[e(g, c), e(g + lam + pi, s)], [e(g + phi, s), e(g + phi + lam, c)]]`` with
    ``e(p, m) = m cos p + i m sin p``, ``g = theta/2``, ``c, s = cos g, sin g``
    (:func:`qas.core.gate_matrices.u3`); the textbook form has ``g = 0`` in the phases.
    """
    if kind.num_angles != 3 or kind.num_qubits not in (1, 2):
        return None
    candidates = ([(U3, gate_matrices.u3)] if kind.num_qubits == 1 else
                  [(CONTROLLED_U3, gate_matrices.controlled(gate_matrices.u3)),
                   (CONTROLLED_U3_TEXTBOOK, gate_matrices.controlled(gate_matrices.u3_textbook))])
    rng = np.random.default_rng(0)
    points = [[float(a) for a in rng.uniform(-math.pi, math.pi, 3)] for _ in range(3)]
    try:
        got = [_matrix(kind, angles) for angles in points]
    except Exception:  # noqa: BLE001 - not evaluable as a plain 3-angle matrix
        return None
    for form, ref in candidates:
        want = [ref([torch.tensor(a, dtype=torch.float64) for a in angles], torch.complex128).numpy() for angles in points]
        if all(g.shape == w.shape and np.allclose(g, w, atol=1e-12) for g, w in zip(got, want)):
            return form
    return None
