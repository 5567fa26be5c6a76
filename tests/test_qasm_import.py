"""OpenQASM 2 and 3 in: a circuit written elsewhere computes in qas what it computes in Qiskit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cirq
import numpy as np
import pytest

import qas
from qas.core.qasm import QasmError, bind_inputs, from_qasm, from_qasm_with_inputs

qiskit_qasm3 = pytest.importorskip("qiskit.qasm3")
pytest.importorskip("qiskit_qasm3_import")
from qiskit import qasm2  # noqa: E402
from qiskit.quantum_info import Statevector  # noqa: E402

QUANTUMNAS = Path(__file__).parent / "data" / "quantumnas_u3cu3.qasm"
SIGNS = np.array([[1 - 2 * ((i >> (3 - q)) & 1) for q in range(4)] for i in range(16)])


def test_a_quantumnas_circuit_computes_what_it_computes_in_qiskit():
    text = QUANTUMNAS.read_text()
    dag, meaning = from_qasm_with_inputs(text)
    assert dag.num_qubits == 4 and dag.num_features == 16
    rng = np.random.default_rng(0)
    values = {f"theta_{j}": v for j, v in enumerate(rng.uniform(-np.pi, np.pi, 48))}
    params = bind_inputs(meaning, values)
    qc = qiskit_qasm3.loads(text)
    qsim = qas.backends.get_simulator("qsim")
    for x in rng.uniform(0, np.pi, (20, 16)):
        bind = {p: (x[int(p.name[2:])] if p.name.startswith("x_") else values[p.name]) for p in qc.parameters}
        z_qiskit = np.abs(Statevector(qc.assign_parameters(bind).reverse_bits()).data) ** 2 @ SIGNS
        np.testing.assert_allclose(qsim.readout(dag, params, x[None], qas.Readout("z"))[0], z_qiskit, atol=1e-6)


def test_a_quantumnas_circuit_imports_gate_for_gate_with_the_textbook_cu3():
    """cu(θ, φ, λ, 0) is Qiskit's CU3Gate: it becomes CU3Q, one parameter per input, no extra gate;
    the statevector is Qiskit's up to a global phase (from U3's), on torch and on qsim."""
    text = QUANTUMNAS.read_text()
    dag, meaning = from_qasm_with_inputs(text)
    assert sorted(g.kind for g in dag.gates if g.role == "trainable") == ["CU3Q"] * 8 + ["U3"] * 8
    assert dag.num_params == 48 and sorted(str(m) for m in meaning) == sorted(f"theta_{j}" for j in range(48))
    rng = np.random.default_rng(1)
    values = {f"theta_{j}": v for j, v in enumerate(rng.uniform(-np.pi, np.pi, 48))}
    params = bind_inputs(meaning, values)
    qc = qiskit_qasm3.loads(text)
    xs = rng.uniform(0, np.pi, (10, 16))
    states = {name: qas.backends.get_simulator(name).readout(dag, params, xs, qas.Readout("state"))
              for name in ("qsim", "torch")}
    for b, x in enumerate(xs):
        bind = {p: (x[int(p.name[2:])] if p.name.startswith("x_") else values[p.name]) for p in qc.parameters}
        want = Statevector(qc.assign_parameters(bind).reverse_bits()).data
        for name, got in states.items():
            got = np.asarray(got[b], dtype=np.complex128)
            phase = np.vdot(got, want)
            np.testing.assert_allclose(got * phase / abs(phase), want, atol=1e-6, err_msg=name)


def test_qasm2_gates_outside_the_alphabet_compile_exactly():
    text = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nu3(0.3,0.2,0.1) q[0];\ncu3(0.7,-0.4,1.1) q[0],q[1];\n'
            "cu1(0.5) q[1],q[2];\nu2(0.3,0.9) q[2];\nsx q[1];\ncy q[2],q[0];\nccx q[0],q[1],q[2];\nsdg q[0];\n"
            "rzz(0.4) q[0],q[2];\ncswap q[2],q[0],q[1];\nch q[0],q[1];\nbarrier q;\n")
    dag = from_qasm(text)
    assert dag.num_params == 0  # numbers are fixed angles
    ours = cirq.final_state_vector(qas.to_cirq(dag), qubit_order=cirq.LineQubit.range(3), dtype=np.complex128)
    theirs = Statevector(qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS).reverse_bits()).data
    phase = np.vdot(theirs, ours)
    np.testing.assert_allclose(theirs * phase / abs(phase), ours, atol=1e-10)


def test_inputs_roles_and_gate_definitions():
    dag = from_qasm("""OPENQASM 3.0;
    include "stdgates.inc";
    input float[64] x_0; input float[64] x1; input float[64] theta; input float[64] w; input float[64] b;
    qubit[2] q;
    ry(x_0) q[0];
    ry(w * x1 + b) q[1];
    gate entangle(a) u, v { cx u, v; rz(a) v; cx u, v; }
    entangle(theta) q[0], q[1];
    rx(pi / 4) q[0];
    """)
    roles = [(g.kind, g.role, g.weighted) for g in dag.gates]
    assert ("RY", "feature", False) in roles and ("RY", "feature", True) in roles
    assert ("RZ", "trainable", False) in roles and ("RX", "fixed", False) in roles
    assert [g.kind for g in dag.gates].count("CNOT") == 2


@pytest.mark.parametrize("text, message", [
    ("OPENQASM 3.0;\nqubit[1] q;\nfoo(0.1) q[0];", r"line 3: gate 'foo' has no counterpart in qas's gate alphabet"),
    ("OPENQASM 3.0;\nqubit[1] q;\nrx(y) q[0];", r"line 3: 'y' in angle 'y' is neither a number, pi nor a declared input"),
    ("OPENQASM 2.0;\nqreg q[1];\nrx(0.1) q[3];", r"line 3: q\[3\] is out of range: q has 1 qubits"),
    ("OPENQASM 3.0;\nqubit[2] q;\nctrl @ x q[0], q[1];", r"line 3: 'ctrl' is beyond what qas reads"),
])
def test_bad_qasm_names_the_line(text, message):
    with pytest.raises(QasmError, match=message):
        from_qasm(text, where="c.qasm")


def test_qas_evaluate_reads_a_qasm_file(tmp_path):
    res = subprocess.run([sys.executable, "-m", "qas", "evaluate", "--task", "fashion-2", "--circuit", str(QUANTUMNAS),
                          "--epochs", "1", "--train-limit", "200", "--splits", "val", "--no-baseline"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "val_accuracy" in res.stdout
