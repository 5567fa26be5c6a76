"""Cirq gates that Cirq itself lacks: the textbook controlled-U3 (``CU3Q``).

Cirq has no gate equal to OpenQASM's / Qiskit's ``cu3`` phase included: ``cirq.ControlledGate``
of a ``cirq.PhasedXZGate`` (qas's ``CU3``) carries an extra ``exp(i theta/2)`` on the control's
``|1>``, and ``QasmUGate`` reduces its angles modulo 2 half-turns, which flips the sign of a
controlled block. :class:`CU3QGate` is that gate, exactly: symbolic angles, a unitary, a
decomposition into Cirq's own gates (``ControlledGate(PhasedXZGate)`` then ``Z**(-theta / 2 pi)``
on the control), QASM 2 ``cu3`` / QASM 3 ``cu`` output and JSON (namespace ``qas``). Importing this
module appends :func:`json_resolver` to ``cirq.DEFAULT_RESOLVERS``, so ``cirq.read_json`` reads the
gate back; a fresh process that has not loaded it passes ``resolvers=[*cirq.DEFAULT_RESOLVERS,
qas.core.cirq_gates.json_resolver]`` (as ``qas verify`` does).
"""

from __future__ import annotations

import math
from typing import Any

import cirq
import numpy as np
import sympy


def textbook_u3(theta: np.ndarray, phi: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """OpenQASM's ``u3`` (phase included) for arrays of angles in radians: shape ``(B, 2, 2)``.
    (The torch form for training is :func:`qas.core.gate_matrices.u3_textbook`.)"""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    u = np.empty((len(theta), 2, 2), dtype=np.complex128)
    u[:, 0, 0] = c
    u[:, 0, 1] = -np.exp(1j * lam) * s
    u[:, 1, 0] = np.exp(1j * phi) * s
    u[:, 1, 1] = np.exp(1j * (phi + lam)) * c
    return u


@cirq.value_equality
class CU3QGate(cirq.Gate):
    """Qiskit's ``CU3Gate(theta, phi, lam)``, control first, angles in radians:
    ``|0><0| ⊗ I + |1><1| ⊗ U3(theta, phi, lam)`` with OpenQASM's ``u3`` phase included,
    ``U3 = [[cos(theta/2), -exp(i lam) sin(theta/2)], [exp(i phi) sin(theta/2), exp(i (phi + lam)) cos(theta/2)]]``.
    """

    def __init__(self, theta: Any, phi: Any, lam: Any) -> None:
        self.theta, self.phi, self.lam = theta, phi, lam

    def _num_qubits_(self) -> int:
        return 2

    def _value_equality_values_(self) -> tuple[Any, ...]:
        return self.theta, self.phi, self.lam

    def _is_parameterized_(self) -> bool:
        return any(cirq.is_parameterized(a) for a in (self.theta, self.phi, self.lam))

    def _parameter_names_(self) -> set[str]:
        return set().union(*(cirq.parameter_names(a) for a in (self.theta, self.phi, self.lam)))

    def _resolve_parameters_(self, resolver: Any, recursive: bool) -> CU3QGate:
        return CU3QGate(*(cirq.resolve_parameters(a, resolver, recursive) for a in (self.theta, self.phi, self.lam)))

    def _has_unitary_(self) -> bool:
        return not self._is_parameterized_()

    def _unitary_(self) -> Any:
        if self._is_parameterized_():
            return NotImplemented
        u = np.eye(4, dtype=np.complex128)
        u[2:, 2:] = textbook_u3(*(np.array([float(a)]) for a in (self.theta, self.phi, self.lam)))[0]
        return u

    def _decompose_(self, qubits: Any) -> list[Any]:
        control, target = qubits
        symbolic = any(cirq.is_parameterized(a) for a in (self.theta, self.phi, self.lam))
        pi = sympy.pi if symbolic else math.pi
        # qas's U3 (Rz(phi) Ry(theta) Rz(lam) as a PhasedXZGate, exp(i theta/2) u3), controlled,
        # then the control's exp(-i theta/2)
        u3 = cirq.PhasedXZGate(x_exponent=self.theta / pi, z_exponent=(self.phi + self.lam) / pi,
                               axis_phase_exponent=sympy.Rational(1, 2) - self.lam / pi if symbolic else 0.5 - self.lam / pi)
        return [cirq.ControlledGate(u3).on(control, target), cirq.ZPowGate(exponent=-self.theta / (2 * pi)).on(control)]

    def _circuit_diagram_info_(self, args: Any) -> Any:
        angles = ", ".join(args.format_radians(a) for a in (self.theta, self.phi, self.lam))
        return cirq.CircuitDiagramInfo(wire_symbols=("@", f"U3q({angles})"))

    def _qasm_(self, args: Any, qubits: Any) -> str | None:
        if self._is_parameterized_():
            return None
        if args.version == "2.0":
            return args.format("cu3({0:half_turns},{1:half_turns},{2:half_turns}) {3},{4};\n",
                               self.theta / math.pi, self.phi / math.pi, self.lam / math.pi, *qubits)
        return args.format("cu({0:half_turns},{1:half_turns},{2:half_turns},0) {3},{4};\n",
                           self.theta / math.pi, self.phi / math.pi, self.lam / math.pi, *qubits)

    def __repr__(self) -> str:
        return f"qas.core.cirq_gates.CU3QGate({self.theta!r}, {self.phi!r}, {self.lam!r})"

    @classmethod
    def _json_namespace_(cls) -> str:
        return "qas"

    def _json_dict_(self) -> dict[str, Any]:
        return {"theta": self.theta, "phi": self.phi, "lam": self.lam}

    @classmethod
    def _from_json_dict_(cls, theta: Any, phi: Any, lam: Any, **kwargs: Any) -> CU3QGate:
        return cls(theta, phi, lam)


def json_resolver(cirq_type: str) -> Any:
    """For ``cirq.read_json``: the qas gates Cirq does not know."""
    return {"qas.CU3QGate": CU3QGate}.get(cirq_type)


# once this module is loaded (any circuit holding a CU3Q loads it), plain cirq.read_json reads it too
if json_resolver not in cirq.DEFAULT_RESOLVERS:
    cirq.DEFAULT_RESOLVERS.append(json_resolver)
