"""``CU3Q`` is Qiskit's ``CU3Gate`` exactly (phase included), on every backend and through QASM;
``CU3`` is qas's Cirq-built one, which differs by ``diag(1, exp(i theta/2))`` on the control."""

from __future__ import annotations

import cirq
import numpy as np
import pytest
import torch

import qas
from qas import GATES, CircuitDAG, Gate, Readout
from qas.backends.torch_sv import TorchCircuit
from qas.core.cirq_gates import CU3QGate, json_resolver
from qas.core.cirq_io import from_cirq, to_cirq, to_qasm
from qas.core.qasm import from_qasm
from search_spaces import build_ansatz, load_space

qiskit = pytest.importorskip("qiskit")
from qiskit.circuit.library import CU3Gate  # noqa: E402
from qiskit.quantum_info import Operator  # noqa: E402

RNG = np.random.default_rng(3)


def qiskit_cu3(angles) -> np.ndarray:
    """Qiskit's CU3Gate with qas's qubit order (control first, big-endian)."""
    qc = qiskit.QuantumCircuit(2)
    qc.append(CU3Gate(*angles), [0, 1])
    return Operator(qc.reverse_bits()).data


@pytest.mark.parametrize("trial", range(8))
def test_cu3q_is_qiskits_cu3_phase_included(trial):
    angles = tuple(float(a) for a in RNG.uniform(-2 * np.pi, 2 * np.pi, 3))
    want = qiskit_cu3(angles)
    kind = GATES.get("CU3Q")
    assert np.abs(kind.unitary(angles) - want).max() < 1e-10
    assert np.abs(cirq.unitary(kind.cirq_gate(angles)) - want).max() < 1e-10
    ours = GATES.get("CU3").unitary(angles)  # ours = textbook then diag(1, exp(i theta/2)) on the control
    fix = np.kron(np.diag([1, np.exp(0.5j * angles[0])]), np.eye(2))
    assert np.abs(ours - fix @ want).max() < 1e-10
    assert np.abs(ours - want).max() > 1e-3 or abs(np.sin(angles[0] / 4)) < 1e-3


def test_cu3q_decomposes_into_cirq_gates_and_round_trips_json():
    gate = CU3QGate(0.3, -1.2, 2.1)
    q = cirq.LineQubit.range(2)
    decomposed = cirq.Circuit(cirq.decompose(gate.on(*q)))
    assert np.abs(cirq.unitary(decomposed) - cirq.unitary(gate)).max() < 1e-12
    circuit = cirq.Circuit(gate.on(*q))
    back = cirq.read_json(json_text=cirq.to_json(circuit), resolvers=[*cirq.DEFAULT_RESOLVERS, json_resolver])
    assert back == circuit


def test_a_u3cu3q_circuit_agrees_on_torch_qsim_and_cirq():
    dag = build_ansatz("u3cu3q:2", load_space("qml-4q"))
    assert {g.kind for g in dag.gates} >= {"U3", "CU3Q"} and "CU3" not in {g.kind for g in dag.gates}
    params = RNG.uniform(-np.pi, np.pi, dag.num_params)
    feats = RNG.uniform(0, np.pi, (5, dag.num_features))
    t = TorchCircuit(dag, dtype=torch.complex128).state(params, feats).numpy()
    for b in range(5):
        ref = cirq.final_state_vector(to_cirq(dag, params, feats[b]), qubit_order=cirq.LineQubit.range(4),
                                      dtype=np.complex128)
        assert np.abs(t[b] - ref).max() < 1e-10
    z_q = qas.backends.get_simulator("qsim").readout(dag, params, feats, Readout("z"))
    z_t = qas.backends.get_simulator("torch").readout(dag, params, feats, Readout("z"))
    assert np.abs(z_q - z_t).max() < 1e-5
    assert from_cirq(to_cirq(dag), dag.num_qubits) == dag


def test_cu3q_exports_as_cu3_and_imports_back_exactly():
    dag = CircuitDAG(2, [Gate("H", (0,)), Gate("CU3Q", (0, 1), "fixed", (0.7, -0.4, 1.1))])
    text = to_qasm(dag)
    assert "cu3(" in text
    back = from_qasm(text)
    assert [g.kind for g in back.gates] == ["H", "CU3Q"]
    assert np.allclose(cirq.unitary(to_cirq(back)), cirq.unitary(to_cirq(dag)), atol=1e-9)


def test_qasm_cu3_and_cu_import_as_the_textbook_kind():
    dag = from_qasm('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncu3(0.7,-0.4,1.1) q[1],q[0];\n')
    assert [(g.kind, g.qubits, g.angles) for g in dag.gates] == [("CU3Q", (1, 0), (0.7, -0.4, 1.1))]
    dag = from_qasm('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\ncu(0.7, -0.4, 1.1, 0.3) q[0], q[1];\n')
    assert [(g.kind, g.angles) for g in dag.gates] == [("CU3Q", (0.7, -0.4, 1.1)), ("RZ", (0.3,))]
