"""``CircuitDAG`` <-> ``cirq.Circuit`` and -> OpenQASM 2.0.

Trainable parameters become sympy symbols ``theta_0, theta_1, ...`` (in the DAG's canonical
parameter order) and data features become ``x_0, x_1, ...``; pass ``params`` and/or
``features`` to get resolved angles instead. Qubit ``i`` is ``cirq.LineQubit(i)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import CircuitError
from qas.core.gates import GATES
from qas.core.symbols import FEATURE as _FEATURE
from qas.core.symbols import feature_symbols, param_symbols, symbol_order

__all__ = ["feature_symbols", "from_cirq", "gate_angles", "in_alphabet", "param_symbols", "resolver", "to_cirq", "to_qasm"]


def gate_angles(
    dag: CircuitDAG,
    params: Sequence[float] | np.ndarray | None = None,
    features: Sequence[float] | np.ndarray | None = None,
) -> list[tuple[Any, ...]]:
    """The angles of every gate: numbers where given, sympy symbols otherwise."""
    if params is not None and len(params) != dag.num_params:
        raise CircuitError(f"circuit has {dag.num_params} trainable parameters, got {len(params)} values")
    if features is not None and len(features) < dag.num_features:
        raise CircuitError(f"circuit reads {dag.num_features} features, got {len(features)} values")
    thetas = param_symbols(dag.num_params) if params is None else [float(p) for p in params]
    xs = feature_symbols(dag.num_features) if features is None else [float(x) for x in features]
    out: list[tuple[Any, ...]] = []
    for g, sl in zip(dag.gates, dag.param_slices()):
        if g.role == "fixed":
            out.append(g.angles)
        elif g.role == "trainable":
            out.append(tuple(thetas[sl]))
        elif g.weighted:  # w * x + b
            w, b = thetas[sl]
            out.append((w * xs[g.feature] + b,))
        elif g.role == "feature":
            out.append((xs[g.feature],))
        else:
            out.append(())
    return out


def to_cirq(
    dag: CircuitDAG,
    params: Sequence[float] | np.ndarray | None = None,
    features: Sequence[float] | np.ndarray | None = None,
) -> Any:
    """The ``cirq.Circuit`` of ``dag`` (symbolic unless ``params``/``features`` are given)."""
    import cirq

    qubits = cirq.LineQubit.range(dag.num_qubits)
    ops = [
        g.spec.cirq_gate(angles).on(*(qubits[q] for q in g.qubits))
        for g, angles in zip(dag.gates, gate_angles(dag, params, features))
    ]
    return cirq.Circuit(ops, strategy=cirq.InsertStrategy.EARLIEST)


def resolver(
    dag: CircuitDAG,
    params: Sequence[float] | np.ndarray | None = None,
    features: Sequence[float] | np.ndarray | None = None,
) -> Any:
    """A ``cirq.ParamResolver`` binding the symbols of :func:`to_cirq`."""
    import cirq

    values: dict[str, float] = {}
    if params is not None:
        values.update({f"theta_{k}": float(v) for k, v in enumerate(params)})
    if features is not None:
        values.update({f"x_{k}": float(v) for k, v in enumerate(features)})
    return cirq.ParamResolver(values)


def to_qasm(
    dag: CircuitDAG,
    params: Sequence[float] | np.ndarray | None = None,
    features: Sequence[float] | np.ndarray | None = None,
) -> str:
    """OpenQASM 2.0 text, through Cirq. QASM 2.0 has no free parameters, so every trainable
    parameter and feature the circuit uses must be given."""
    import cirq

    if dag.num_params and params is None:
        raise CircuitError(f"OpenQASM 2.0 needs numeric angles: pass the {dag.num_params} trained parameters")
    if dag.num_features and features is None:
        raise CircuitError(f"OpenQASM 2.0 needs numeric angles: pass the {dag.num_features} input features")
    # every qubit of the circuit, in order: by default Cirq renumbers the qubits a circuit uses
    return to_cirq(dag, params, features).to_qasm(qubit_order=cirq.LineQubit.range(dag.num_qubits))


# -- from Cirq ------------------------------------------------------------------------------
def from_cirq(circuit: Any, num_qubits: int | None = None) -> CircuitDAG:
    """Read a ``cirq.Circuit`` made of qas's gate alphabet back into a ``CircuitDAG``.

    Symbols ``x_<i>`` are features; any other symbol is a trainable parameter; numbers are
    fixed angles. A Cirq circuit does not know its idle qubits, so pass ``num_qubits`` when
    the last wires may be empty; ``from_cirq(to_cirq(dag), dag.num_qubits) == dag``.
    """
    import cirq

    qubits = sorted(circuit.all_qubits())
    index = {q: (q.x if isinstance(q, cirq.LineQubit) else i) for i, q in enumerate(qubits)}
    if not all(isinstance(q, cirq.LineQubit) for q in qubits):
        index = {q: i for i, q in enumerate(qubits)}
    inferred = max(index.values(), default=-1) + 1
    gates = []
    for op in circuit.all_operations():
        for sub, (kind, angles) in in_alphabet(op):
            gates.append(_make_gate(kind, tuple(index[q] for q in sub.qubits), angles))
    if num_qubits is not None:
        if num_qubits < inferred:
            raise CircuitError(f"the circuit uses {inferred} qubits, more than num_qubits={num_qubits}")
        inferred = num_qubits
    return CircuitDAG(max(inferred, 1), gates)


def _match(gate: Any) -> tuple[str, tuple[Any, ...]] | None:
    """The registered kind whose matcher accepts ``gate``, and its angles; ``None`` if none does."""
    for name in GATES:
        kind = GATES.get(name)
        angles = kind.match(gate) if gate is not None else None
        if angles is not None:
            return kind.name, angles
    return None


def in_alphabet(op: Any) -> list[tuple[Any, tuple[str, tuple[Any, ...]]]]:
    """``op`` as operations of the alphabet with their kinds and angles (global phases dropped:
    no state changes by them)."""
    import cirq

    known = _match(op.gate)
    if known is not None:
        return [(op, known)]
    keep = lambda o: _match(o.gate) is not None or isinstance(o.gate, cirq.GlobalPhaseGate)  # noqa: E731
    ops = cirq.decompose(op, keep=keep, on_stuck_raise=None)
    if not all(keep(o) for o in ops) and not cirq.is_parameterized(op) and cirq.has_unitary(op):
        compiled = cirq.optimize_for_target_gateset(cirq.Circuit(op), gateset=cirq.CZTargetGateset())
        ops = list(compiled.all_operations())
    out = []
    for o in ops:
        if isinstance(o.gate, cirq.GlobalPhaseGate):
            continue
        match = _match(o.gate)
        if match is None:
            raise CircuitError(f"gate {op.gate!r} is not in the qas gate alphabet and Cirq does not decompose it "
                               f"into it ({o.gate!r} remains)")
        out.append((o, match))
    return out


def _identify(gate: Any) -> tuple[str, tuple[Any, ...]]:
    """The registered kind whose matcher accepts ``gate``, and its angles."""
    match = _match(gate)
    if match is None:
        raise CircuitError(f"gate {gate!r} is not in the qas gate alphabet")
    return match


def _snap(angle: float) -> float:
    """Undo the rounding of the radians -> half-turns -> radians trip of U3 and RZZ.

    Fixed angles with up to 12 decimals come back exactly; others within 1e-12.
    """
    return round(angle, 12) + 0.0  # + 0.0 turns -0.0 into 0.0


def _make_gate(kind: str, qubits: tuple[int, ...], angles: tuple[Any, ...]) -> Gate:
    if not angles:
        return Gate(kind, qubits)
    symbolic = [getattr(a, "free_symbols", None) for a in angles]
    if not any(symbolic):
        return Gate(kind, qubits, "fixed", tuple(_snap(float(a)) for a in angles))
    if len(angles) == 1 and len(symbolic[0]) > 1:
        return _weighted_gate(kind, qubits, angles[0])
    names = [next(iter(s)).name for s in symbolic if s]
    if len(angles) == 1 and (m := _FEATURE.match(names[0])):
        return Gate(kind, qubits, "feature", feature=int(m.group(1)))
    if any(_FEATURE.match(n) for n in names):
        raise CircuitError(f"{kind} on {qubits}: only one-angle gates can encode a feature")
    return Gate(kind, qubits, "trainable")


def _weighted_gate(kind: str, qubits: tuple[int, ...], angle: Any) -> Gate:
    """A weighted feature gate from its angle ``w * x_f + b`` (``w``, ``b``: parameter symbols)."""
    import sympy

    syms = angle.free_symbols
    feats = [x for x in syms if _FEATURE.match(x.name)]
    others = sorted(syms - set(feats), key=symbol_order)
    if len(feats) == 1 and len(others) == 2:
        x = feats[0]
        for w, b in (others, others[::-1]):
            if sympy.expand(angle - (w * x + b)) == 0:
                return Gate(kind, qubits, "feature", feature=int(_FEATURE.match(x.name).group(1)), weighted=True)
    raise CircuitError(f"{kind} on {qubits}: angle {angle} is neither a symbol nor 'w * x_<i> + b'")
