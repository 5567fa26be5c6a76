"""Hypothesis strategies for gates and circuits over the whole gate alphabet."""

from __future__ import annotations

from hypothesis import strategies as st

from qas import GATES, CircuitDAG, Gate

KINDS = [GATES.get(n) for n in GATES]
angle = st.floats(min_value=-6.3, max_value=6.3, allow_nan=False).map(lambda a: round(a, 6))


@st.composite
def gates(draw, num_qubits: int, roles: tuple[str, ...] = ("fixed", "trainable", "feature")) -> Gate:
    pool = [k for k in KINDS if k.num_qubits <= num_qubits]
    kind = draw(st.sampled_from(pool))
    qubits = tuple(draw(st.permutations(range(num_qubits)))[: kind.num_qubits])
    if not kind.parameterized:
        return Gate(kind.name, qubits)
    allowed = [r for r in roles if r != "feature" or kind.num_angles == 1]
    role = draw(st.sampled_from(allowed))
    if role == "fixed":
        return Gate(kind.name, qubits, "fixed", tuple(draw(angle) for _ in range(kind.num_angles)))
    if role == "feature":
        return Gate(kind.name, qubits, "feature", feature=draw(st.integers(0, 7)))
    return Gate(kind.name, qubits, "trainable")


@st.composite
def circuits(draw, min_qubits: int = 1, max_qubits: int = 5, max_gates: int = 14, **kw) -> CircuitDAG:
    n = draw(st.integers(min_qubits, max_qubits))
    gs = draw(st.lists(gates(n, **kw), max_size=max_gates))
    return CircuitDAG(n, gs)
