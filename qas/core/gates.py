"""The gate alphabet: what kinds of gate a circuit may hold, each with its whole contract.

A :class:`GateKind` is its metadata (arity, number of angles, whether the qubit order
matters) and everything the backends and the I/O need to handle it:

- ``cirq_factory``: angles (floats or sympy expressions) -> the ``cirq.Gate``;
- ``torch_matrix``: ``(angles, dtype) -> (..., d, d)`` complex tensor, differentiable, equal
  to ``cirq.unitary`` of that gate, phase included (pieces in :mod:`qas.core.gate_matrices`);
  :meth:`GateKind.unitary` is its numpy value;
- ``cirq_match``: ``cirq.Gate -> angles | None``, the inverse of the factory, which
  :func:`qas.core.cirq_io.from_cirq` looks up.

Adding a gate is one :func:`define` (or ``GATES.add(name, GateKind(...))``) with all three;
a kind missing one is refused at registration. The torch backend derives its fast paths
from ``torch_matrix`` (``qas.backends.torch_forms``), and ``tests/test_gate_contract.py``
checks every registered kind against Cirq.

Angle conventions follow Cirq: ``RX(t) = exp(-i t X / 2)``; ``GIVENS(t)`` is ``cirq.givens(t)``; ``U3(theta, phi, lam)`` is
OpenQASM's ``u3`` up to a global phase, ``Rz(phi) Ry(theta) Rz(lam)``; ``RZZ(t) =
exp(-i t Z⊗Z / 2)``; ``CRX``/``CRY``/``CRZ`` are the controlled rotations (control first).

Two controlled-U3 kinds, which differ by a phase on the control:

- ``CU3`` (qas's own, kept for the circuits, spaces, embeddings and caches that name it) is
  ``cirq.ControlledGate(PhasedXZGate)``: the controlled version of U3 *as Cirq builds it*
  (``exp(i theta/2) u3``). It is **not** Qiskit's ``CU3Gate`` / OpenQASM's ``cu3`` /
  TorchQuantum's ``tq.CU3``: it equals ``cu3`` followed by ``diag(1, exp(i theta/2))`` on the
  control, i.e. OpenQASM 3's ``cu(theta, phi, lam, theta/2)``. The family of circuits differs
  from the textbook one by that rotation; on QuantumNAS's U3+CU3 circuit at the same angles
  the loss differs.
- ``CU3Q`` is the textbook controlled-U3 as Qiskit and QuantumNAS define it:
  ``CU3Gate(theta, phi, lam) = |0><0| ⊗ I + |1><1| ⊗ U3(theta, phi, lam)`` with OpenQASM's
  ``u3`` phase included (:class:`qas.core.cirq_gates.CU3QGate`). QASM ``cu3`` (and ``cu`` with
  ``gamma = 0``) imports as ``CU3Q`` and ``CU3Q`` exports as ``cu``/``cu3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from qas.core import gate_matrices as m
from qas.core.errors import CircuitError
from qas.core.gate_matrices import MatrixFn
from qas.core.registry import Registry, normalize_name
from qas.core.symbols import symbol_order

if TYPE_CHECKING:
    import numpy as np

CirqFactory = Callable[[Sequence[Any]], Any]
CirqMatch = Callable[[Any], "tuple[Any, ...] | None"]


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
    cirq_factory: CirqFactory | None = None
    torch_matrix: MatrixFn | None = None
    cirq_match: CirqMatch | None = None
    #: optional: how OpenQASM 3 spells the gate, a template over its angles (``"ry({0})"``); the
    #: exact unitary up to a global phase. Without one, QASM 3 export decomposes it through Cirq
    qasm: str | None = None
    #: a ``gate`` definition the spelling needs (its text, written once per file)
    qasm_definition: str | None = None
    #: optional: a one-line caveat a user reading this kind's name must know (``qas show`` prints it)
    note: str | None = None

    @property
    def parameterized(self) -> bool:
        return self.num_angles > 0

    def _check_angles(self, angles: Sequence[Any]) -> None:
        if len(angles) != self.num_angles:
            raise ValueError(f"{self.name} takes {self.num_angles} angles, got {len(angles)}")

    def cirq_gate(self, angles: Sequence[Any] = ()) -> Any:
        """The ``cirq.Gate`` for these angles (floats or sympy expressions)."""
        self._check_angles(angles)
        assert self.cirq_factory is not None
        return self.cirq_factory(angles)

    def unitary(self, angles: Sequence[float] = ()) -> np.ndarray:
        """The ``(d, d)`` complex128 unitary for these angles, from :attr:`torch_matrix`."""
        import torch

        self._check_angles(angles)
        assert self.torch_matrix is not None
        with torch.no_grad():
            ts = [torch.tensor(float(a), dtype=torch.float64) for a in angles]
            return self.torch_matrix(ts, torch.complex128).numpy()

    def match(self, gate: Any) -> tuple[Any, ...] | None:
        """The angles if ``gate`` is a Cirq gate of this kind, else ``None``."""
        assert self.cirq_match is not None
        return self.cirq_match(gate)

    def __repr__(self) -> str:
        return f"qas.GATES.get({self.name!r})"


_PIECES = {
    "cirq_factory": "its Cirq gate (cirq_factory: angles -> cirq.Gate)",
    "torch_matrix": "its torch matrix (torch_matrix: (angles, dtype) -> (..., d, d) tensor)",
    "cirq_match": "its Cirq matcher (cirq_match: cirq.Gate -> angles or None)",
}


def _check_kind(name: str, kind: Any) -> None:
    """Refuse a kind that does not carry its whole contract (one line naming what is missing)."""
    if not isinstance(kind, GateKind):
        raise TypeError(f"gate {name!r}: expected a GateKind, got {type(kind).__name__}")
    if normalize_name(kind.name) != normalize_name(name):
        raise ValueError(f"gate {name!r}: registered under a name other than its own ({kind.name!r})")
    for piece, what in _PIECES.items():
        if not callable(getattr(kind, piece)):
            raise ValueError(f"gate {kind.name!r} is missing {what}")


GATES: Registry[GateKind] = Registry("gate", check=_check_kind)


def define(name: str, qubits: int, angles: int, *, cirq: CirqFactory, torch: MatrixFn, match: CirqMatch,
           **kw: Any) -> GateKind:
    """Register a gate kind with its whole contract and return it."""
    return GATES.add(name, GateKind(name, qubits, angles, cirq_factory=cirq, torch_matrix=torch,
                                    cirq_match=match, **kw))


# -- Cirq gates and their matchers ----------------------------------------------------------
def _fixed(attr: str) -> tuple[CirqFactory, CirqMatch]:
    """A Cirq constant (``cirq.X``, ``cirq.CNOT``, ...) and its matcher."""

    def factory(angles: Sequence[Any]) -> Any:
        import cirq

        return getattr(cirq, attr)

    def match(gate: Any) -> tuple[Any, ...] | None:
        import cirq

        return () if gate == getattr(cirq, attr) else None

    return factory, match


def _rot(attr: str, cls: str) -> tuple[CirqFactory, CirqMatch]:
    """``cirq.rx``/``ry``/``rz`` and their matchers (the ``cirq.Rx``/... classes)."""

    def factory(angles: Sequence[Any]) -> Any:
        import cirq

        return getattr(cirq, attr)(angles[0])

    def match(gate: Any) -> tuple[Any, ...] | None:
        import cirq

        return (gate._rads,) if isinstance(gate, getattr(cirq, cls)) else None

    return factory, match


def _u3(angles: Sequence[Any]) -> Any:
    import cirq

    theta, phi, lam = angles
    # Rz(phi) Ry(theta) Rz(lam) == Z^z Z^a X^x Z^-a up to phase, with these exponents.
    return cirq.PhasedXZGate(
        x_exponent=theta / math.pi,
        z_exponent=(phi + lam) / math.pi,
        axis_phase_exponent=0.5 - lam / math.pi,
    )


def _match_u3(gate: Any) -> tuple[Any, ...] | None:
    """Invert :func:`_u3`; a symbolic U3 gives its three symbols in parameter order."""
    import cirq

    if not isinstance(gate, cirq.PhasedXZGate):
        return None
    x, z, a = gate.x_exponent, gate.z_exponent, gate.axis_phase_exponent
    syms = sorted(set().union(*(getattr(e, "free_symbols", set()) for e in (x, z, a))), key=symbol_order)
    if syms:
        if len(syms) != 3:
            raise CircuitError(f"a symbolic U3 needs three symbols, got {syms}")
        return tuple(syms)
    lam = (0.5 - float(a)) * math.pi
    return (float(x) * math.pi, float(z) * math.pi - lam, lam)


def _rzz(angles: Sequence[Any]) -> Any:
    import cirq

    return cirq.ZZPowGate(exponent=angles[0] / math.pi, global_shift=-0.5)


def _match_rzz(gate: Any) -> tuple[Any, ...] | None:
    import cirq

    if isinstance(gate, cirq.ZZPowGate) and gate.global_shift == -0.5:
        return (gate.exponent * math.pi,)
    return None


def _givens(angles: Sequence[Any]) -> Any:
    import cirq

    return cirq.givens(angles[0])


def _match_givens(gate: Any) -> tuple[Any, ...] | None:
    import cirq

    if not (isinstance(gate, cirq.PhasedISwapPowGate) and gate.phase_exponent == 0.25 and gate.global_shift == 0):
        return None
    e = gate.exponent  # cirq.givens(t) has exponent 2 t / pi, with sympy's pi for a symbol
    if getattr(e, "free_symbols", None):
        import sympy

        return (sympy.expand(e * sympy.pi / 2),)
    return (float(e) * math.pi / 2,)


def _controlled(factory: CirqFactory, match: CirqMatch) -> tuple[CirqFactory, CirqMatch]:
    """``cirq.ControlledGate`` of a one-qubit kind (one control, first) and its matcher."""

    def c_factory(angles: Sequence[Any]) -> Any:
        import cirq

        return cirq.ControlledGate(factory(angles))

    def c_match(gate: Any) -> tuple[Any, ...] | None:
        import cirq

        if isinstance(gate, cirq.ControlledGate) and gate.num_controls() == 1:
            return match(gate.sub_gate)
        return None

    return c_factory, c_match


def _cu3q(angles: Sequence[Any]) -> Any:
    from qas.core.cirq_gates import CU3QGate

    return CU3QGate(*angles)


def _match_cu3q(gate: Any) -> tuple[Any, ...] | None:
    from qas.core.cirq_gates import CU3QGate

    if not isinstance(gate, CU3QGate):
        return None
    angles = (gate.theta, gate.phi, gate.lam)
    return tuple(a if getattr(a, "free_symbols", None) else float(a) for a in angles)


def _define_with(name: str, qubits: int, angles: int, cirq_pair: tuple[CirqFactory, CirqMatch], torch: MatrixFn,
                 **kw: Any) -> None:
    define(name, qubits, angles, cirq=cirq_pair[0], match=cirq_pair[1], torch=torch, **kw)


# -- the alphabet ---------------------------------------------------------------------------
_S2 = 1 / math.sqrt(2)
_T = complex(math.cos(math.pi / 4), math.sin(math.pi / 4))
_RX, _RY, _RZ = _rot("rx", "Rx"), _rot("ry", "Ry"), _rot("rz", "Rz")
_U3 = (_u3, _match_u3)

_define_with("X", 1, 0, _fixed("X"), m.const([[0, 1], [1, 0]]), qasm="x")
_define_with("Y", 1, 0, _fixed("Y"), m.const([[0, -1j], [1j, 0]]), qasm="y")
_define_with("Z", 1, 0, _fixed("Z"), m.const([[1, 0], [0, -1]]), qasm="z")
_define_with("H", 1, 0, _fixed("H"), m.const([[_S2, _S2], [_S2, -_S2]]), qasm="h")
_define_with("S", 1, 0, _fixed("S"), m.const([[1, 0], [0, 1j]]), qasm="s")
_define_with("T", 1, 0, _fixed("T"), m.const([[1, 0], [0, _T]]), qasm="t")
_define_with("RX", 1, 1, _RX, m.rx, qasm="rx({0})")
_define_with("RY", 1, 1, _RY, m.ry, qasm="ry({0})")
_define_with("RZ", 1, 1, _RZ, m.rz, qasm="rz({0})")
_define_with("U3", 1, 3, _U3, m.u3, qasm="u3({0}, {1}, {2})")  # stdgates.inc's u3 is the builtin U
_define_with("CNOT", 2, 0, _fixed("CNOT"), m.const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]), qasm="cx",
             controlled=True)
_define_with("CZ", 2, 0, _fixed("CZ"), m.const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]]), qasm="cz",
             symmetric=True)
_define_with("SWAP", 2, 0, _fixed("SWAP"), m.const([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]), qasm="swap",
             symmetric=True)
# Google's native entangler on Rainbow and Weber (cirq.SQRT_ISWAP = ISWAP**0.5): |01>, |10> mix by
# pi/4 with phase i; symmetric. Cirq decomposes it for QASM (no QASM spelling)
_define_with("SQRT_ISWAP", 2, 0, _fixed("SQRT_ISWAP"),
             m.const([[1, 0, 0, 0], [0, _S2, 1j * _S2, 0], [0, 1j * _S2, _S2, 0], [0, 0, 0, 1]]), symmetric=True)
_define_with("RZZ", 2, 1, (_rzz, _match_rzz), m.rzz, symmetric=True, qasm="qas_rzz({0})",
             qasm_definition="gate qas_rzz(t) a, b { cx a, b; rz(t) b; cx a, b; }")
_define_with("CRX", 2, 1, _controlled(*_RX), m.controlled(m.rx), controlled=True, qasm="crx({0})")
_define_with("CRY", 2, 1, _controlled(*_RY), m.controlled(m.ry), controlled=True, qasm="cry({0})")
_define_with("CRZ", 2, 1, _controlled(*_RZ), m.controlled(m.rz), controlled=True, qasm="crz({0})")
# ours is controlled(exp(i theta/2) U): OpenQASM 3's cu with its phase gamma = theta / 2
_define_with("CU3", 2, 3, _controlled(*_U3), m.controlled(m.u3), controlled=True, qasm="cu({0}, {1}, {2}, ({0})/2)",
             note="CU3 is qas's Cirq-built controlled-U3 = Qiskit's cu3 followed by diag(1, exp(i theta/2)) on the "
                  "control; CU3Q is Qiskit's/QuantumNAS's cu3")
_define_with("CU3Q", 2, 3, (_cu3q, _match_cu3q), m.controlled(m.u3_textbook), controlled=True, qasm="cu({0}, {1}, {2}, 0)",
             note="CU3Q is the textbook controlled-U3 of Qiskit, OpenQASM (cu3) and QuantumNAS")
# a Givens rotation of |01> and |10> (cirq.givens): keeps the number of 1s, the electron count
# of a Jordan-Wigner-mapped molecule, so it searches within the molecule's own sector
_define_with("GIVENS", 2, 1, (_givens, _match_givens), m.givens, qasm="qas_givens({0})",
             qasm_definition="gate qas_givens(t) a, b { cx a, b; cry(2*t) b, a; cx a, b; }")


def gate_kind(name: str) -> GateKind:
    """Look up a gate kind by name (case-insensitive); unknown names list the alphabet."""
    return GATES.get(name)
