"""OpenQASM 3 export: features as ``input float[64] x_i``, trained angles as numbers; Qiskit
loads it and its statevector equals Cirq's and qsim's (up to a global phase) on random inputs."""

from __future__ import annotations

import random

import cirq
import numpy as np
import pytest

import qas
from qas.core.qasm import to_qasm3
from search_spaces import SearchSpace, sample_circuit

qasm3 = pytest.importorskip("qiskit.qasm3")
pytest.importorskip("qiskit_qasm3_import")
from qiskit.quantum_info import Statevector  # noqa: E402


def qiskit_states(text: str, inputs: np.ndarray) -> list[np.ndarray]:
    qc = qasm3.loads(text)
    out = []
    for x in inputs:
        bound = qc.assign_parameters({p: float(x[int(p.name.split("_")[1])]) for p in qc.parameters}) if qc.parameters else qc
        out.append(Statevector(bound.reverse_bits()).data)  # Qiskit is little-endian; qas's qubit 0 leads
    return out


def same_up_to_phase(a: np.ndarray, b: np.ndarray) -> float:
    phase = np.vdot(a, b)
    return float(np.abs(a * phase / abs(phase) - b).max())


def test_the_fashion_classifier_runs_in_qiskit_on_50_inputs():
    space = qas.load_space("qml-4q-reup-w")  # weighted re-uploading: w * x + b on every encoding angle
    dag = qas.build_ansatz("u3cu3:2", space)
    rng = np.random.default_rng(0)
    params = rng.uniform(-np.pi, np.pi, dag.num_params)
    text = to_qasm3(dag, params)
    assert text.count("input float[64] x_") == 16 and "theta" not in text
    inputs = rng.uniform(0, np.pi, (50, 16))
    sim = qas.backends.get_simulator("qsim")
    qsim_states = sim.readout(dag, params, inputs, qas.Readout("state"))
    for a, b in zip(qiskit_states(text, inputs), qsim_states):
        assert same_up_to_phase(a, np.asarray(b, dtype=np.complex128)) < 1e-6


@pytest.mark.parametrize("dialect", ["standard", "pennylane"])
def test_every_gate_kind_exports(dialect):
    """Standard OpenQASM 3 through Qiskit, PennyLane's dialect through ``qml.from_qasm3``."""
    space = SearchSpace("every-kind", 3, tuple(qas.GATES), min_gates=12, max_gates=24, max_depth=16)
    rng = np.random.default_rng(1)
    for seed in range(6):
        dag = sample_circuit(space, random.Random(seed))
        params = rng.uniform(-np.pi, np.pi, dag.num_params)
        text = to_qasm3(dag, params, dialect=dialect)
        if dialect == "pennylane":
            assert not any(line.startswith("gate ") for line in text.splitlines())  # defined gates are written out: PennyLane 0.45 mis-binds their qubits
            (state,) = pennylane_states(text, np.zeros((1, 0)), 3)
        else:
            (state,) = qiskit_states(text, np.zeros((1, 0)))
        ref = cirq.final_state_vector(qas.to_cirq(dag, params), qubit_order=cirq.LineQubit.range(3), dtype=np.complex128)
        assert same_up_to_phase(state, ref) < 1e-9, str(dag)


def test_export_of_a_run(tmp_path):
    from qas.api import export_run

    task = qas.tasks.Classification(np.random.default_rng(0).uniform(size=(60, 4)), np.arange(60) % 2, qubits=2)
    result = qas.search(task=task, budget=1, agent="random", run_dir=tmp_path / "run", progress=False,
                        final_candidates=1, final_train={"epochs": 1}, train={"epochs": 1})
    text = export_run(tmp_path / "run", "qasm3")
    assert text.startswith("// Trained circuit") and "input float[64] x_3;" in text
    x = task.split("test").features[:5]
    probs = [np.abs(s) ** 2 for s in qiskit_states(text, x)]
    ours = qas.backends.get_simulator("qsim").readout(result.circuit, result.params, x, qas.Readout("state"))
    np.testing.assert_allclose(probs, np.abs(ours) ** 2, atol=1e-6)
    text = export_run(tmp_path / "run", "qasm3-pennylane")
    np.testing.assert_allclose([np.abs(s) ** 2 for s in pennylane_states(text, x, 2)], np.abs(ours) ** 2, atol=1e-6)


# -- PennyLane's own reader (qml.from_qasm3), through the "pennylane" dialect ------------------
def pennylane_states(text: str, inputs: np.ndarray, n: int) -> list[np.ndarray]:
    qml = pytest.importorskip("pennylane")
    circuit = qml.from_qasm3(text)
    device = qml.device("default.qubit", wires=[f"q[{i}]" for i in range(n)])  # its wires keep the QASM names

    @qml.qnode(device)
    def state(x):
        circuit(**{f"x_{i}": float(v) for i, v in enumerate(x)})
        return qml.state()

    return [np.asarray(state(x)) for x in inputs]


def test_the_fashion_classifier_runs_in_pennylane_on_50_inputs():
    space = qas.load_space("qml-4q-reup-w")
    dag = qas.build_ansatz("u3cu3:2", space)
    rng = np.random.default_rng(0)
    params = rng.uniform(-np.pi, np.pi, dag.num_params)
    text = to_qasm3(dag, params, dialect="pennylane")
    assert 'include "stdgates.inc"' not in text and text.count("input float[64] x_") == 16
    inputs = rng.uniform(0, np.pi, (50, 16))
    qsim_states = qas.backends.get_simulator("qsim").readout(dag, params, inputs, qas.Readout("state"))
    for a, b in zip(pennylane_states(text, inputs, 4), qsim_states):
        assert same_up_to_phase(a, np.asarray(b, dtype=np.complex128)) < 1e-6


def test_a_weighted_feature_gate_with_a_definition_is_filled_in():
    from qas.core.circuit import CircuitDAG, Gate

    dag = CircuitDAG(2, [Gate("H", (0,)), Gate("H", (1,)), Gate("RZZ", (0, 1), "feature", feature=1)])
    text = to_qasm3(dag, [], dialect="pennylane")
    assert "rz((x_1)) q[1];" in text
    x = np.array([[0.0, 0.7]])
    ours = qas.backends.get_simulator("qsim").readout(dag, [], x, qas.Readout("state"))
    assert same_up_to_phase(pennylane_states(text, x, 2)[0], np.asarray(ours[0], dtype=np.complex128)) < 1e-6


def test_an_unknown_dialect_is_refused():
    dag = qas.build_ansatz("hea:1", qas.load_space("qml-4q"))
    with pytest.raises(qas.QasError, match="dialect 'qiskit'; choose standard or pennylane"):
        to_qasm3(dag, np.zeros(dag.num_params), dialect="qiskit")
