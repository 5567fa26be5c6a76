"""QsimBatchExpectation must reproduce the public qsimcirq sweep path (and cirq's simulator)."""

from __future__ import annotations

from typing import List, Tuple

import cirq
import numpy as np
import pytest
import sympy

from qas.backends.qsim_fast import QsimBatchExpectation, UnsupportedGateError, reference_expectations
from qas.core.errors import CircuitError

PI = sympy.pi


def u3(theta, phi, lam) -> cirq.PhasedXZGate:
    """Our U3 convention."""
    return cirq.PhasedXZGate(x_exponent=theta / PI, z_exponent=(phi + lam) / PI, axis_phase_exponent=0.5 - lam / PI)


def random_circuit(n: int, depth: int, seed: int) -> Tuple[cirq.Circuit, List[sympy.Symbol]]:
    """Random circuit over every gate type the fast path must support (the whole qas.core.gates
    alphabet), with affine symbolic angles."""
    rng = np.random.default_rng(seed)
    qubits = cirq.LineQubit.range(0, 2 * n, 2)  # non-contiguous on purpose
    symbols = list(sympy.symbols(f"theta_0:{3 * n}")) + list(sympy.symbols(f"x_0:{n}"))

    def angle():
        s = symbols[rng.integers(len(symbols))]
        kind = rng.integers(3)
        if kind == 0:
            return s
        if kind == 1:
            return float(rng.uniform(-1, 1)) * s + float(rng.uniform(-1, 1))
        return 0.318 * s + 0.5

    rot = [cirq.rx, cirq.ry, cirq.rz]
    ops = []
    for _ in range(depth):
        kind = rng.integers(9)
        a, b = (qubits[i] for i in rng.choice(n, 2, replace=False))
        if kind == 0:
            ops.append([cirq.X, cirq.Y, cirq.Z, cirq.H, cirq.S, cirq.T][rng.integers(6)](a))
        elif kind in (1, 2):
            ops.append(rot[rng.integers(3)](angle()).on(a))
        elif kind == 3:
            ops.append(u3(angle(), angle(), angle()).on(a))
        elif kind == 4:
            choice = rng.integers(4)
            if choice == 3:  # RZZ as qas.core.gates defines it
                ops.append(cirq.ZZPowGate(exponent=angle() / np.pi, global_shift=-0.5).on(a, b))
            else:
                ops.append([cirq.CNOT, cirq.CZ, cirq.SWAP][choice](a, b))
        elif kind in (5, 6):
            ops.append(cirq.ControlledGate(rot[rng.integers(3)](angle())).on(a, b))
        elif kind == 7:
            ops.append(cirq.ControlledGate(u3(angle(), angle(), angle())).on(a, b))
        else:
            ops.append(cirq.ControlledGate(cirq.ry(angle()), control_values=[0]).on(a, b))
    return cirq.Circuit(ops), symbols


def h2_hamiltonian(q: List[cirq.Qid]) -> cirq.PauliSum:
    """15-term Jordan-Wigner H2 (STO-3G, 0.74 A) Hamiltonian."""
    Z, X, Y = cirq.Z, cirq.X, cirq.Y
    return (
        -0.09886397 * cirq.PauliString()
        + 0.17119775 * Z(q[0])
        + 0.17119775 * Z(q[1])
        - 0.22278594 * Z(q[2])
        - 0.22278594 * Z(q[3])
        + 0.16862219 * Z(q[0]) * Z(q[1])
        + 0.12054482 * Z(q[0]) * Z(q[2])
        + 0.16586702 * Z(q[0]) * Z(q[3])
        + 0.16586702 * Z(q[1]) * Z(q[2])
        + 0.12054482 * Z(q[1]) * Z(q[3])
        + 0.17434844 * Z(q[2]) * Z(q[3])
        - 0.04532220 * X(q[0]) * X(q[1]) * Y(q[2]) * Y(q[3])
        + 0.04532220 * X(q[0]) * Y(q[1]) * Y(q[2]) * X(q[3])
        + 0.04532220 * Y(q[0]) * X(q[1]) * X(q[2]) * Y(q[3])
        - 0.04532220 * Y(q[0]) * Y(q[1]) * X(q[2]) * X(q[3])
    )


def ising_hamiltonian(q: List[cirq.Qid], j: float = 1.0, h: float = 0.7) -> cirq.PauliSum:
    terms = [j * cirq.Z(q[i]) * cirq.Z(q[i + 1]) for i in range(len(q) - 1)]
    terms += [h * cirq.X(qq) for qq in q]
    return sum(terms[1:], terms[0])


def _one_norms(observables) -> np.ndarray:
    """Sum of |coefficients| of each observable: the scale of its float32 round-off."""
    return np.array([sum(abs(t.coefficient) for t in cirq.PauliSum.wrap(o)) for o in observables])


def _observables(circuit: cirq.Circuit):
    q = sorted(circuit.all_qubits())
    obs = [cirq.Z(qq) for qq in q]
    obs.append(h2_hamiltonian(q[:4]))
    obs.append(ising_hamiltonian(q))
    return obs


@pytest.mark.parametrize("n,depth,seed", [(4, 60, 0), (4, 60, 1), (8, 120, 2)])
@pytest.mark.parametrize("max_block_qubits,numpy_ev", [(1, True), (2, True), (3, True), (2, False)])
def test_matches_public_qsim_path(n, depth, seed, max_block_qubits, numpy_ev):
    circuit, symbols = random_circuit(n, depth, seed)
    assert len(circuit.all_qubits()) == n
    obs = _observables(circuit)
    values = np.random.default_rng(100 + seed).uniform(-np.pi, np.pi, (12, len(symbols)))

    fast = QsimBatchExpectation(
        circuit, symbols, obs, max_block_qubits=max_block_qubits, numpy_expectations=numpy_ev
    )
    got = fast(values)
    want = reference_expectations(circuit, symbols, obs, values)

    assert got.shape == (len(values), len(obs)) and got.dtype == np.float64
    # Both sides are float32 state vectors, so their round-off is ~1e-7 per unit of
    # observable norm: 1e-6 for Z_i (norm 1), scaled for the Hamiltonians (norm 2 / 5.8 / 12.6).
    tol = 1e-6 * np.maximum(1.0, _one_norms(obs))
    assert np.all(np.abs(got - want) <= tol), np.abs(got - want).max(axis=0)
    assert fast.num_blocks <= len(list(circuit.all_operations()))


def test_matches_cirq_float64_simulator():
    circuit, symbols = random_circuit(4, 60, 7)
    obs = _observables(circuit)
    values = np.random.default_rng(7).uniform(-np.pi, np.pi, (5, len(symbols)))
    got = QsimBatchExpectation(circuit, symbols, obs)(values)
    exact = reference_expectations(circuit, symbols, obs, values, simulator=cirq.Simulator(dtype=np.complex128))
    np.testing.assert_allclose(got, exact, atol=1e-5, rtol=0)
    # Tighter: float32 round-off only, ~1e-7 per unit of observable norm (typically
    # half the public qsim path's error, since our matrices are built and fused in float64).
    assert np.all(np.abs(got - exact) <= 1e-6 * np.maximum(1.0, _one_norms(obs)))


def test_single_row_and_string_symbols_and_nonlinear_angles():
    q = cirq.LineQubit.range(2)
    a, b = sympy.symbols("a b")
    circuit = cirq.Circuit(
        cirq.ry(sympy.sin(a) * b).on(q[0]),  # non-affine: lambdify fallback
        cirq.CNOT(*q),
        cirq.rz(a**2).on(q[1]),
        cirq.H(q[1]),
    )
    obs = [cirq.Z(q[0]), cirq.X(q[1]) + 0.5 * cirq.Z(q[0]) * cirq.Z(q[1])]
    fast = QsimBatchExpectation(circuit, ["a", "b"], obs)
    row = np.array([0.3, -1.2])
    got = fast(row)
    assert got.shape == (2,)
    np.testing.assert_allclose(got, reference_expectations(circuit, [a, b], obs, row[None])[0], atol=1e-6)


@pytest.mark.parametrize("numpy_ev", [True, False])
def test_idle_observable_qubits(numpy_ev):
    q = cirq.LineQubit.range(3)
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.rx(t).on(q[0]), cirq.CNOT(q[0], q[1]))
    obs = [cirq.Z(q[1]), cirq.Z(q[2]), cirq.X(q[2])]
    want = [[np.cos(0.4), 1.0, 0.0]]
    # Qubits only the observables touch are added automatically (they stay in |0>) ...
    auto = QsimBatchExpectation(circuit, [t], obs, numpy_expectations=numpy_ev)
    np.testing.assert_allclose(auto(np.array([[0.4]])), want, atol=1e-6)
    # ... or can be given explicitly, in any order.
    explicit = QsimBatchExpectation(circuit, [t], obs, qubits=q[::-1], numpy_expectations=numpy_ev)
    np.testing.assert_allclose(explicit(np.array([[0.4]])), want, atol=1e-6)
    with pytest.raises(ValueError, match="not in `qubits`"):
        QsimBatchExpectation(circuit, [t], obs, qubits=q[:2], numpy_expectations=numpy_ev)


def test_unsupported_gate_is_named():
    q = cirq.LineQubit.range(2)
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.FSimGate(theta=t, phi=0.1).on(*q))
    with pytest.raises(UnsupportedGateError, match="FSimGate") as info:
        QsimBatchExpectation(circuit, [t], [cirq.Z(q[0])])
    assert isinstance(info.value, CircuitError)


def test_measurement_and_unknown_symbol_rejected():
    q = cirq.LineQubit.range(2)
    t, u = sympy.symbols("t u")
    with pytest.raises(UnsupportedGateError, match="[Mm]easurement"):
        QsimBatchExpectation(cirq.Circuit(cirq.rx(t).on(q[0]), cirq.measure(*q)), [t], [cirq.Z(q[0])])
    with pytest.raises(ValueError, match="u"):
        QsimBatchExpectation(cirq.Circuit(cirq.rx(t + u).on(q[0])), [t], [cirq.Z(q[0])])


def test_bad_values_shape():
    q = cirq.LineQubit.range(1)
    t = sympy.Symbol("t")
    fast = QsimBatchExpectation(cirq.Circuit(cirq.rx(t).on(q[0])), [t], [cirq.Z(q[0])])
    with pytest.raises(ValueError, match="shape"):
        fast(np.zeros((3, 2)))
