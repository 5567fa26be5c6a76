"""The gate alphabet: every kind builds a Cirq gate with the documented unitary."""

import cirq
import numpy as np
import pytest

from qas import GATES

RNG = np.random.default_rng(7)


def _rx(t):
    return np.array([[np.cos(t / 2), -1j * np.sin(t / 2)], [-1j * np.sin(t / 2), np.cos(t / 2)]])


def _ry(t):
    return np.array([[np.cos(t / 2), -np.sin(t / 2)], [np.sin(t / 2), np.cos(t / 2)]])


def _rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def _u3(t, p, l):
    return np.array(
        [[np.cos(t / 2), -np.exp(1j * l) * np.sin(t / 2)], [np.exp(1j * p) * np.sin(t / 2), np.exp(1j * (p + l)) * np.cos(t / 2)]]
    )


def _ctrl(u):
    return np.block([[np.eye(2), np.zeros((2, 2))], [np.zeros((2, 2)), u]])


EXPECTED = {
    "RX": _rx,
    "RY": _ry,
    "RZ": _rz,
    "U3": _u3,
    "CRX": lambda t: _ctrl(_rx(t)),
    "CRY": lambda t: _ctrl(_ry(t)),
    "CRZ": lambda t: _ctrl(_rz(t)),
    # controlled PhasedXZ = controlled (exp(i theta/2) u3): see qas/core/gates.py
    "CU3": lambda t, p, l: _ctrl(np.exp(0.5j * t) * _u3(t, p, l)),
    # the textbook controlled-U3 (Qiskit's CU3Gate, OpenQASM's cu3)
    "CU3Q": lambda t, p, l: _ctrl(_u3(t, p, l)),
    "RZZ": lambda t: np.diag(np.exp(-0.5j * t * np.array([1, -1, -1, 1]))),
}


def _equal_up_to_phase(a, b):
    return cirq.allclose_up_to_global_phase(a, b, atol=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameterised_gate_unitaries(name):
    kind = GATES.get(name)
    angles = tuple(RNG.uniform(-np.pi, np.pi, kind.num_angles))
    assert _equal_up_to_phase(cirq.unitary(kind.cirq_gate(angles)), EXPECTED[name](*angles))


@pytest.mark.parametrize("name", GATES.names())
def test_every_kind_builds_a_cirq_gate_of_its_arity(name):
    kind = GATES.get(name)
    gate = kind.cirq_gate(tuple(RNG.uniform(-1, 1, kind.num_angles)))
    assert cirq.num_qubits(gate) == kind.num_qubits
    assert cirq.has_unitary(gate)


def test_symmetric_gates_really_are_symmetric():
    swap = cirq.unitary(cirq.SWAP)
    for name in GATES:
        kind = GATES.get(name)
        if kind.num_qubits != 2:
            continue
        u = cirq.unitary(kind.cirq_gate(tuple(RNG.uniform(-1, 1, kind.num_angles))))
        assert np.allclose(swap @ u @ swap, u) == kind.symmetric, name


def test_wrong_number_of_angles():
    with pytest.raises(ValueError, match="U3 takes 3 angles, got 1"):
        GATES.get("U3").cirq_gate((0.1,))
