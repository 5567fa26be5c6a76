"""The torch statevector backend: agreement with qsim and Cirq, gradients (gate matrices: test_gate_contract)."""

import random

import cirq
import numpy as np
import pytest
import torch

from qas import CircuitDAG, Gate
from qas.backends.simulators import get_simulator
from qas.backends.torch_sv import TorchCircuit, readout
from qas.core.cirq_io import to_cirq
from qas.core.readout import Readout
from search_spaces import SPACES, load_space, sample_circuit

RNG = np.random.default_rng(1)


def _random_case(space_name: str, seed: int, batch: int = 5):
    space = load_space(space_name)
    dag = sample_circuit(space, random.Random(seed))
    params = RNG.uniform(-np.pi, np.pi, dag.num_params)
    feats = RNG.uniform(-np.pi, np.pi, (batch, dag.num_features)) if dag.num_features else None
    return dag, params, feats


@pytest.mark.parametrize("space", SPACES.names())
def test_torch_agrees_with_qsim_on_every_builtin_space(space):
    torch_sim, qsim = get_simulator("torch"), get_simulator("qsim")
    worst = 0.0
    for seed in range(4):
        dag, params, feats = _random_case(space, seed)
        a = torch_sim.readout(dag, params, feats, Readout("z"))
        b = qsim.readout(dag, params, feats, Readout("z"))
        worst = max(worst, float(np.abs(a - b).max()))
    assert worst <= 1e-5


def test_complex128_state_matches_cirq_to_1e_10():
    for space in SPACES.names():
        dag, params, feats = _random_case(space, 7, batch=2)
        states = TorchCircuit(dag, dtype=torch.complex128).state(params, feats).numpy()
        for b in range(states.shape[0]):
            f = None if feats is None else feats[b]
            want = cirq.final_state_vector(to_cirq(dag, params, f), qubit_order=cirq.LineQubit.range(dag.num_qubits),
                                           dtype=np.complex128)
            assert np.allclose(states[b], want, atol=1e-10)


def test_energy_readout_matches_cirq():
    dag, params, _ = _random_case("paper-4q", 3)
    ham = Readout("energy", ((0.5, "ZZII"), (-1.25, "XIYI"), (0.3, "IIIZ"), (-0.7, "IIII")))
    a = get_simulator("torch").readout(dag, params, None, ham)
    b = get_simulator("cirq").readout(dag, params, None, ham)
    c = get_simulator("qsim").readout(dag, params, None, ham)
    assert a.shape == (1,) and np.allclose(a, b, atol=1e-5) and np.allclose(c, b, atol=1e-5)


def test_autograd_matches_finite_differences():
    dag, params, feats = _random_case("qml-4q", 11, batch=3)
    circ = TorchCircuit(dag, dtype=torch.complex128)
    p = torch.tensor(params, requires_grad=True)

    def f(x):
        return readout(circ.state(x, feats), Readout("z"), 4)[:, 0].sum()

    f(p).backward()
    eps = 1e-6
    for k in range(min(6, len(params))):
        e = torch.zeros_like(p)
        e[k] = eps
        fd = (f(p.detach() + e) - f(p.detach() - e)) / (2 * eps)
        assert abs(float(fd) - float(p.grad[k])) < 1e-6


def test_product_state_prefix_is_exact():
    """Leading one-qubit gates are folded into a product state; a circuit made only of them
    must still match the gate-by-gate reference."""
    dag = CircuitDAG(3, [Gate("RY", (q,), "feature", feature=q) for q in range(3)]
                     + [Gate("U3", (1,), "trainable"), Gate("H", (2,))])
    params = RNG.uniform(-1, 1, 3)
    feats = RNG.uniform(-1, 1, (4, 3))
    got = TorchCircuit(dag, dtype=torch.complex128).state(params, feats).numpy()
    for b in range(4):
        want = cirq.final_state_vector(to_cirq(dag, params, feats[b]), qubit_order=cirq.LineQubit.range(3), dtype=np.complex128)
        assert np.allclose(got[b], want, atol=1e-12)


def test_bad_shapes_are_named():
    dag = CircuitDAG(2, [Gate("RX", (0,), "feature", feature=1), Gate("RY", (1,), "trainable")])
    circ = TorchCircuit(dag)
    with pytest.raises(ValueError, match="expected 1 parameters"):
        circ.state(np.zeros(3), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="reads 2 features; none given"):
        circ.state(np.zeros(1))


@pytest.mark.parametrize("block_qubits", [2, 3, 5])
def test_reuploaded_feature_chains_are_exact_and_fused(block_qubits):
    """Feature gates after the prefix are fused into one per-input matmul per chain of gates on
    the same wires; a chain ends where another gate touches its wires. Checked against Cirq."""
    n = 5
    enc = [Gate(rot, (q,), "feature", feature=(4 * q + layer) % 7) for layer, rot in enumerate(("RY", "RZ", "RX", "RY"))
           for q in range(n)]
    cell = [Gate("U3", (q,), "trainable") for q in range(n)] + [Gate("CNOT", (q, (q + 1) % n)) for q in range(n)]
    mixed = [Gate("RX", (0,), "feature", feature=1), Gate("RZZ", (1, 2), "feature", feature=2),
             Gate("RZZ", (1, 2), "feature", feature=3), Gate("RY", (0,), "trainable"), Gate("RZ", (0,), "feature", feature=4),
             Gate("H", (3,)), Gate("RY", (4,), "feature", feature=5), Gate("CZ", (3, 4)), Gate("RX", (4,), "feature", feature=6)]
    dag = CircuitDAG(n, enc + cell + enc + cell + mixed + cell)
    params = RNG.uniform(-np.pi, np.pi, dag.num_params)
    feats = RNG.uniform(-np.pi, np.pi, (3, 7))
    circ = TorchCircuit(dag, dtype=torch.complex128, block_qubits=block_qubits)
    got = circ.state(params, feats).numpy()
    for b in range(3):
        want = cirq.final_state_vector(to_cirq(dag, params, feats[b]), qubit_order=cirq.LineQubit.range(n),
                                       dtype=np.complex128)
        assert np.allclose(got[b], want, atol=1e-10)
    # per-input matmuls: the second encoding is one product over its 5 wires (20 gates); in
    # `mixed`, RZZ.RZZ is one chain, and the four one-wire chains (RX|RZ on q0, split by the
    # trainable RY; RY|RX on q4, split by CZ) pair up into two products on (q0, q4).
    assert sum(kind == "feature" for kind, _, _ in circ.program.items) == 4
