"""Batched gate matrices for the fast qsim path: a Cirq gate's unitary for many angle sets at once.

Each operation of a circuit becomes a :class:`GateMatrix` that produces its unitary, in Cirq's
convention and phase included, for a whole batch of parameter values with numpy: constant
gates once through ``cirq.unitary``, symbolic ``cirq.EigenGate`` subclasses from their eigen
components, ``cirq.PhasedXZGate`` from Cirq's formula, ``cirq.ControlledGate`` of those, and
qas's textbook controlled-U3 (:class:`qas.core.cirq_gates.CU3QGate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import cirq
import numpy as np
import sympy

from qas.core.cirq_gates import textbook_u3
from qas.core.errors import CircuitError


class UnsupportedGateError(CircuitError, NotImplementedError):
    """Raised at construction when an operation cannot be handled by the fast path.

    A :class:`~qas.core.errors.CircuitError` (so the CLI reports it cleanly) and a
    ``NotImplementedError`` (it is a backend limitation, not a broken circuit).
    """


class GateMatrix:
    """Produces a gate's unitary (cirq convention) for a batch of parameter values.

    ``exprs`` are the sympy expressions of the gate's numeric parameters; at
    evaluation time they arrive already evaluated as columns of ``p``.
    """

    exprs: Tuple[sympy.Expr, ...] = ()
    dim: int

    def __call__(self, p: np.ndarray) -> np.ndarray:
        """``p``: ``(batch, len(exprs))`` float64 -> ``(batch or 1, dim, dim)`` complex128."""
        raise NotImplementedError


@dataclass
class ConstMatrix(GateMatrix):
    """Gate without symbols: its unitary is computed once by cirq."""

    unitary: np.ndarray

    def __post_init__(self) -> None:
        self.dim = self.unitary.shape[0]
        self._u = self.unitary[None].astype(np.complex128)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return self._u


@dataclass
class EigenMatrix(GateMatrix):
    """Any ``cirq.EigenGate`` (rx/ry/rz, X/Y/Z/H/CZ/CNOT/SWAP powers) with a symbolic exponent.

    cirq defines ``U(e) = sum_k exp(i*pi*e*(lambda_k + global_shift)) P_k``; we
    evaluate exactly that, vectorised over the batch, so cirq's global-phase
    convention is kept (it matters once the gate is controlled).
    """

    exponent: sympy.Expr
    half_turns: np.ndarray  # (K,) lambda_k + global_shift
    projectors: np.ndarray  # (K, d, d)

    def __post_init__(self) -> None:
        self.exprs = (self.exponent,)
        self.dim = self.projectors.shape[1]

    def __call__(self, p: np.ndarray) -> np.ndarray:
        phases = np.exp(1j * np.pi * p[:, 0:1] * self.half_turns[None, :])  # (B, K)
        return (phases[:, :, None, None] * self.projectors[None]).sum(axis=1)


@dataclass
class PhasedXZMatrix(GateMatrix):
    """``cirq.PhasedXZGate`` = Z**(z+a) . X**x . Z**(-a) (cirq's own formula)."""

    x: sympy.Expr
    z: sympy.Expr
    a: sympy.Expr

    def __post_init__(self) -> None:
        self.exprs = (self.x, self.z, self.a)
        self.dim = 2

    def __call__(self, p: np.ndarray) -> np.ndarray:
        x, z, a = p[:, 0], p[:, 1], p[:, 2]
        half = np.exp(0.5j * np.pi * x)
        ucx = half * np.cos(0.5 * np.pi * x)
        usx = -1j * half * np.sin(0.5 * np.pi * x)
        u = np.empty((p.shape[0], 2, 2), dtype=np.complex128)
        u[:, 0, 0] = ucx
        u[:, 0, 1] = usx * np.exp(-1j * np.pi * a)
        u[:, 1, 0] = usx * np.exp(1j * np.pi * (z + a))
        u[:, 1, 1] = ucx * np.exp(1j * np.pi * z)
        return u


@dataclass
class TextbookU3Matrix(GateMatrix):
    """OpenQASM's ``u3(theta, phi, lam)``, phase included (radians): the target block of ``CU3Q``."""

    theta: sympy.Expr
    phi: sympy.Expr
    lam: sympy.Expr

    def __post_init__(self) -> None:
        self.exprs = (self.theta, self.phi, self.lam)
        self.dim = 2

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return textbook_u3(p[:, 0], p[:, 1], p[:, 2])


@dataclass
class ControlledMatrix(GateMatrix):
    """``cirq.ControlledGate`` of a symbolic sub-gate: identity except on the active control block(s)."""

    sub: GateMatrix
    num_controls: int
    active_offsets: Tuple[int, ...]  # row/col offsets (in units of sub.dim) where controls are satisfied

    def __post_init__(self) -> None:
        self.exprs = self.sub.exprs
        self.dim = self.sub.dim * (2**self.num_controls)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        sub = self.sub(p)
        u = np.zeros((sub.shape[0], self.dim, self.dim), dtype=np.complex128)
        diag = np.arange(self.dim)
        u[:, diag, diag] = 1.0
        s = self.sub.dim
        for k in self.active_offsets:
            u[:, k * s : (k + 1) * s, k * s : (k + 1) * s] = sub
        return u


def _op_name(op: cirq.Operation) -> str:
    gate = op.gate
    return f"{type(gate).__name__} ({gate!r}) in operation {op!r}" if gate is not None else repr(op)


def _symbolic_matrix(gate: cirq.Gate, op: cirq.Operation) -> GateMatrix:
    """Batched-matrix builder for a parameterized gate; raises for unsupported types."""
    if isinstance(gate, cirq.PhasedXZGate):
        return PhasedXZMatrix(
            sympy.sympify(gate.x_exponent),
            sympy.sympify(gate.z_exponent),
            sympy.sympify(gate.axis_phase_exponent),
        )
    from qas.core.cirq_gates import CU3QGate

    if isinstance(gate, CU3QGate):
        sub = TextbookU3Matrix(*(sympy.sympify(a) for a in (gate.theta, gate.phi, gate.lam)))
        return ControlledMatrix(sub, 1, (1,))
    if isinstance(gate, cirq.ControlledGate):
        if any(d != 2 for d in gate.control_qid_shape):
            raise UnsupportedGateError(f"Only qubit controls are supported: {_op_name(op)}")
        sub = gate_matrix(gate.sub_gate, op)
        offsets = sorted(
            {int("".join(str(int(v)) for v in assignment), 2) for assignment in gate.control_values.expand()}
        )
        return ControlledMatrix(sub, gate.num_controls(), tuple(offsets))
    if isinstance(gate, cirq.EigenGate):
        shift = gate.global_shift
        if cirq.is_parameterized(shift):
            raise UnsupportedGateError(f"Symbolic global_shift is not supported: {_op_name(op)}")
        comps = gate._eigen_components()  # part of EigenGate's subclass contract
        half_turns = np.array([float(h) + float(shift) for h, _ in comps])
        projectors = np.array([np.asarray(c, dtype=np.complex128) for _, c in comps])
        return EigenMatrix(sympy.sympify(gate.exponent), half_turns, projectors)
    raise UnsupportedGateError(
        f"Unsupported parameterized gate {_op_name(op)}. The fast qsim path supports symbolic "
        "cirq.EigenGate subclasses (rx/ry/rz, XPow/YPow/ZPow/HPow/CZPow/CXPow/SwapPow...), "
        "cirq.PhasedXZGate and cirq.ControlledGate of those; any gate without symbols that "
        "has a unitary is supported."
    )


def gate_matrix(gate: cirq.Gate, op: cirq.Operation) -> GateMatrix:
    """The batched matrix of ``op``'s gate; raises :class:`UnsupportedGateError` naming ``op``."""
    if not cirq.is_parameterized(gate):
        u = cirq.unitary(gate, None)
        if u is None:
            raise UnsupportedGateError(f"Gate has no unitary (measurement/channel?): {_op_name(op)}")
        return ConstMatrix(np.asarray(u))
    return _symbolic_matrix(gate, op)
