"""CircuitDAG <-> Cirq, QASM export, and agreement of qsim with Cirq's own simulator."""

import cirq
import numpy as np
import pytest
import qsimcirq
from hypothesis import given

from qas import CircuitDAG, CircuitError, Gate
from qas.core.cirq_io import from_cirq, resolver, to_cirq, to_qasm
from search_spaces import SPACES, load_space, sample_circuit
from tests.strategies import circuits


@given(circuits())
def test_cirq_round_trip(dag):
    assert from_cirq(to_cirq(dag), dag.num_qubits) == dag


@given(circuits())
def test_cirq_json_round_trip(dag):
    circuit = to_cirq(dag)
    loaded = cirq.read_json(json_text=cirq.to_json(circuit))
    assert loaded == circuit
    assert from_cirq(loaded, dag.num_qubits) == dag


def test_symbols_and_resolved_angles():
    dag = CircuitDAG(2, [Gate("RX", (0,), "feature", feature=1), Gate("U3", (1,), "trainable"),
                         Gate("CRZ", (0, 1), "trainable")])
    names = {s.name for s in cirq.parameter_symbols(to_cirq(dag))}
    assert names == {"x_1", "theta_0", "theta_1", "theta_2", "theta_3"}
    params = np.array([0.1, 0.2, 0.3, 0.4])
    feats = np.array([9.0, 0.5])
    resolved = to_cirq(dag, params, feats)
    assert not cirq.is_parameterized(resolved)
    symbolic = cirq.resolve_parameters(to_cirq(dag), resolver(dag, params, feats))
    assert np.allclose(cirq.unitary(resolved), cirq.unitary(symbolic), atol=1e-12)


def test_parameter_count_mismatch_is_clear():
    dag = CircuitDAG(1, [Gate("RX", (0,), "trainable")])
    with pytest.raises(CircuitError, match="1 trainable parameters, got 2 values"):
        to_cirq(dag, params=[0.1, 0.2])


def test_qasm_needs_numbers_and_parses_back():
    dag = CircuitDAG(2, [Gate("H", (0,)), Gate("CNOT", (0, 1)), Gate("RZ", (1,), "trainable")])
    with pytest.raises(CircuitError, match="OpenQASM 2.0 needs numeric angles"):
        to_qasm(dag)
    text = to_qasm(dag, params=[0.25])
    assert text.splitlines()[2] == "OPENQASM 2.0;"
    assert "cx q[0],q[1];" in text and "rz(" in text
    from cirq.contrib.qasm_import import circuit_from_qasm

    back = circuit_from_qasm(text)
    assert cirq.allclose_up_to_global_phase(cirq.unitary(back), cirq.unitary(to_cirq(dag, [0.25])), atol=1e-8)


def test_unknown_cirq_gate_is_named():
    """A parameterised gate that Cirq cannot decompose into the alphabet (a fixed one is compiled)."""
    import sympy

    q = cirq.LineQubit.range(2)
    with pytest.raises(CircuitError, match=r"ISWAP\*\*.*not in the qas gate alphabet"):
        from_cirq(cirq.Circuit(cirq.ISWAP(*q) ** sympy.Symbol("t")))


@pytest.mark.parametrize("space", SPACES.names())
def test_qsim_matches_cirq_on_sampled_circuits(space):
    import random

    spec = load_space(space)
    rng = np.random.default_rng(0)
    for seed in range(3):
        dag = sample_circuit(spec, random.Random(seed))
        circuit = to_cirq(dag, rng.uniform(-np.pi, np.pi, dag.num_params), rng.uniform(0, np.pi, dag.num_features))
        want = cirq.Simulator(dtype=np.complex128).simulate(circuit, qubit_order=cirq.LineQubit.range(dag.num_qubits)).final_state_vector
        got = qsimcirq.QSimSimulator().simulate(circuit, qubit_order=cirq.LineQubit.range(dag.num_qubits)).final_state_vector
        assert np.allclose(got, want, atol=1e-6)


def test_best_qasm_keeps_re_uploaded_encodings_in_place():
    """best.qasm with its feature comments filled in is the trained circuit (data re-uploading:
    the encoding recurs mid-circuit, so dropping it to the top would be another circuit)."""
    import random
    import re

    import numpy as np
    from cirq.contrib.qasm_import import circuit_from_qasm

    from qas.search.outputs import best_qasm
    from search_spaces import load_space, sample_circuit

    space = load_space("qml-4q-reup")
    rng = np.random.default_rng(0)
    for seed in range(3):
        dag = sample_circuit(space, random.Random(seed))
        params, x = rng.uniform(-np.pi, np.pi, dag.num_params), rng.uniform(-1, 3, 16)
        text = best_qasm(dag, params)
        assert text.count("// data encoding:") == 48
        filled = re.sub(r"// data encoding: (\w+)\(x_(\d+)\) (q\[\d\]);",
                        lambda m: f"{m[1]}({float(x[int(m[2])])!r}) {m[3]};", text)
        got = cirq.final_state_vector(circuit_from_qasm(filled), qubit_order=[cirq.NamedQubit(f"q_{i}") for i in range(4)])
        want = cirq.final_state_vector(to_cirq(dag, params, x), qubit_order=cirq.LineQubit.range(4))
        assert abs(np.vdot(want, got)) == pytest.approx(1.0, abs=1e-6)  # equal up to global phase


def test_qasm_keeps_qubit_numbers_of_idle_wires():
    text = to_qasm(CircuitDAG(3, [Gate("X", (2,))]))
    assert "qreg q[3];" in text and "x q[2];" in text


def test_a_circuit_made_elsewhere_maps_onto_the_alphabet():
    """GridQubits and gates outside the alphabet (Toffoli, iSWAP, FSim, sqrt-SWAP): decomposed or
    compiled by Cirq; the state is the same up to a global phase."""
    import numpy as np
    import sympy

    from qas.core.errors import CircuitError

    q = cirq.GridQubit.rect(2, 2, 3, 4)
    c = cirq.Circuit([cirq.H(q[0]), cirq.CCX(q[0], q[1], q[2]), cirq.ISWAP(q[2], q[3]),
                      cirq.FSimGate(0.3, 0.2)(q[0], q[3]), cirq.rx(0.4)(q[1]), cirq.SWAP(q[1], q[3]) ** 0.5])
    dag = from_cirq(c)
    assert dag.num_qubits == 4
    a = cirq.final_state_vector(c, qubit_order=sorted(c.all_qubits()))
    b = cirq.final_state_vector(to_cirq(dag), qubit_order=cirq.LineQubit.range(4))
    assert abs(np.vdot(a, b)) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(CircuitError, match="FSimGate.*not in the qas gate alphabet"):
        from_cirq(cirq.Circuit(cirq.FSimGate(sympy.Symbol("a"), 0.1)(q[0], q[1])))
