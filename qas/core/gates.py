"""The gate alphabet: what kinds of gate a circuit may hold.

A :class:`GateKind` is plain metadata (arity, number of angles, whether the qubit order
matters) plus how to build the equivalent Cirq gate. Simulators keep their own per-kind
tables (matrices for the torch backend) and tests check that every registered kind has one.

Angle conventions follow Cirq: ``RX(t) = exp(-i t X / 2)``; ``U3(theta, phi, lam)`` is
OpenQASM's ``u3`` up to a global phase, ``Rz(phi) Ry(theta) Rz(lam)``; ``RZZ(t) =
exp(-i t Z⊗Z / 2)``; ``CRX``/``CRY``/``CRZ`` are the controlled rotations (control first).

``CU3`` is the controlled version of our U3 *as Cirq builds it* (a ``PhasedXZGate``,
which is ``exp(i theta/2) u3``). It therefore equals OpenQASM's ``cu3`` times a phase
``exp(i theta/2)`` on the control's ``|1>``, i.e. ``cu3`` followed by an ``RZ``-like phase
on the control: the same family of circuits up to one single-qubit rotation, and exact
agreement between every backend, which all build it the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from qas.core.registry import Registry


@dataclass(frozen=True)
class GateKind:
    """One kind of gate.

    ``symmetric`` kinds (CZ, SWAP, RZZ) act the same whatever the qubit order, so the
    canonical form sorts their qubits; for the others (CNOT, CRX, ...) the first qubit is
    the control and order matters.
    """

    name: str
    num_qubits: int
    num_angles: int
    symmetric: bool = False
    controlled: bool = False
    cirq_factory: Callable[[Sequence[Any]], Any] | None = None

    @property
    def parameterized(self) -> bool:
        return self.num_angles > 0

    def cirq_gate(self, angles: Sequence[Any] = ()) -> Any:
        """The ``cirq.Gate`` for these angles (floats or sympy expressions)."""
        if len(angles) != self.num_angles:
            raise ValueError(f"{self.name} takes {self.num_angles} angles, got {len(angles)}")
        assert self.cirq_factory is not None
        return self.cirq_factory(angles)

    def __repr__(self) -> str:
        return f"qas.gates.GATES.get({self.name!r})"


GATES: Registry[GateKind] = Registry("gate")


def _u3(angles: Sequence[Any]) -> Any:
    import cirq

    theta, phi, lam = angles
    # Rz(phi) Ry(theta) Rz(lam) == Z^z Z^a X^x Z^-a up to phase, with these exponents.
    return cirq.PhasedXZGate(
        x_exponent=theta / math.pi,
        z_exponent=(phi + lam) / math.pi,
        axis_phase_exponent=0.5 - lam / math.pi,
    )


def _controlled(sub: Callable[[Sequence[Any]], Any]) -> Callable[[Sequence[Any]], Any]:
    def factory(angles: Sequence[Any]) -> Any:
        import cirq

        return cirq.ControlledGate(sub(angles))

    return factory


def _fixed(attr: str) -> Callable[[Sequence[Any]], Any]:
    def factory(angles: Sequence[Any]) -> Any:
        import cirq

        return getattr(cirq, attr)

    return factory


def _rot(attr: str) -> Callable[[Sequence[Any]], Any]:
    def factory(angles: Sequence[Any]) -> Any:
        import cirq

        return getattr(cirq, attr)(angles[0])

    return factory


def _rzz(angles: Sequence[Any]) -> Any:
    import cirq

    return cirq.ZZPowGate(exponent=angles[0] / math.pi, global_shift=-0.5)


def _define(name: str, qubits: int, angles: int, factory: Callable, **kw: Any) -> None:
    GATES.add(name, GateKind(name, qubits, angles, cirq_factory=factory, **kw))


for _name in ("X", "Y", "Z", "H", "S", "T"):
    _define(_name, 1, 0, _fixed(_name))
_define("RX", 1, 1, _rot("rx"))
_define("RY", 1, 1, _rot("ry"))
_define("RZ", 1, 1, _rot("rz"))
_define("U3", 1, 3, _u3)
_define("CNOT", 2, 0, _fixed("CNOT"), controlled=True)
_define("CZ", 2, 0, _fixed("CZ"), symmetric=True)
_define("SWAP", 2, 0, _fixed("SWAP"), symmetric=True)
_define("RZZ", 2, 1, _rzz, symmetric=True)
_define("CRX", 2, 1, _controlled(_rot("rx")), controlled=True)
_define("CRY", 2, 1, _controlled(_rot("ry")), controlled=True)
_define("CRZ", 2, 1, _controlled(_rot("rz")), controlled=True)
_define("CU3", 2, 3, _controlled(_u3), controlled=True)


def gate_kind(name: str) -> GateKind:
    """Look up a gate kind by name (case-insensitive); unknown names list the alphabet."""
    return GATES.get(name)
