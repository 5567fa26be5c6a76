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


def test_re_uploaded_cells_fuse_into_one_block_each_and_stay_exact():
    """A re-uploading 4-qubit classifier (``qml-4q-reup-w``) runs as one fused block per cell
    with one per-input product per encoding layer between them, wherever the canonical order
    interleaves the next layer's feature gates with the cell's gates; checked against Cirq."""
    space = load_space("qml-4q-reup-w")
    for seed in range(6):
        dag = space.lift(sample_circuit(space.cell_space, random.Random(seed)))
        circ = TorchCircuit(dag, dtype=torch.complex128)
        assert [kind for kind, _, _ in circ.program.items] == ["block", "feature", "block", "feature", "block"]
        params = RNG.uniform(-np.pi, np.pi, dag.num_params)
        feats = RNG.uniform(-np.pi, np.pi, (2, dag.num_features))
        got = circ.state(params, feats).numpy()
        for b in range(2):
            want = cirq.final_state_vector(to_cirq(dag, params, feats[b]), qubit_order=cirq.LineQubit.range(4),
                                           dtype=np.complex128)
            assert np.allclose(got[b], want, atol=1e-10)


@pytest.mark.parametrize("wires", range(1, 8))
def test_per_input_kronecker_products_match_torch_kron(wires):
    from qas.backends.torch_sv import _kron

    m = torch.as_tensor(RNG.normal(size=(3, wires, 2, 2)) + 1j * RNG.normal(size=(3, wires, 2, 2)))
    for r in range(3):
        want = m[r, 0]
        for j in range(1, wires):
            want = torch.kron(want, m[r, j])
        assert torch.allclose(_kron(m)[r], want, atol=1e-12)


@pytest.mark.parametrize("wires", range(2, 6))
def test_two_sided_kronecker_application_equals_the_full_product(wires):
    """``_kron_apply`` (L^T X R per input, halves of equal or unequal size) against the state
    times the whole Kronecker product, as the batch-innermost (2**w, rows) layout holds it."""
    from qas.backends.torch_sv import _kron, _kron_apply

    rows = 5
    m = torch.as_tensor(RNG.normal(size=(rows, wires, 2, 2)) + 1j * RNG.normal(size=(rows, wires, 2, 2)))
    state = torch.as_tensor(RNG.normal(size=(2**wires, rows)) + 1j * RNG.normal(size=(2**wires, rows)))
    want = torch.bmm(state.T[:, None, :], _kron(m))[:, 0].T
    got = _kron_apply(state, m, rows)
    assert got.shape == (2**wires, rows)
    assert torch.allclose(got, want, atol=1e-12)


def _real_circuit(n: int = 7) -> CircuitDAG:
    """RY features, then real trainable and fixed gates on 7 qubits (blocks, not one unitary)."""
    gates = [Gate("RY", (q,), "feature", feature=q) for q in range(n)]
    for layer in range(2):
        gates += [Gate("RY", (q,), "trainable") for q in range(n)]
        gates += [Gate("CNOT", (q, (q + 1 + layer) % n)) for q in range(n)]
        gates += [Gate("H", (layer,)), Gate("CZ", (0, n - 1)), Gate("SWAP", (1, 4))]
    gates += [Gate("RY", (q,), "feature", feature=n + q) for q in range(3)]  # re-uploaded: per-input chains
    return CircuitDAG(n, gates)


def test_real_circuits_run_on_real_amplitudes_and_others_do_not():
    dag = _real_circuit()
    circ = TorchCircuit(dag)
    assert circ.program.real and circ.state_dtype == torch.float32
    assert not TorchCircuit(dag, real=False).program.real
    rx = CircuitDAG(2, [Gate("RX", (0,), "trainable"), Gate("CNOT", (0, 1))])
    assert not TorchCircuit(rx).program.real
    with pytest.raises(ValueError, match="real=True needs"):
        TorchCircuit(rx, real=True)
    x = torch.as_tensor(RNG.uniform(-np.pi, np.pi, (3, dag.num_features)))
    p = torch.as_tensor(RNG.uniform(-np.pi, np.pi, dag.num_params))
    raw = circ.state(p.float(), x.float(), as_complex=False)
    assert not raw.is_complex() and circ.state(p.float(), x.float()).dtype == torch.complex64
    assert readout(raw, Readout("state"), dag.num_qubits).dtype == torch.complex64


@pytest.mark.parametrize("kind", ["z", "energy", "state"])
def test_real_amplitudes_give_the_complex_path_s_readouts_and_gradients(kind):
    dag = _real_circuit()
    n = dag.num_qubits
    # odd Y words (imaginary, antisymmetric) read 0 on real states; even ones (YY) do not
    ham = ((0.7, "ZZIIIII"), (-1.1, "XIIIIIX"), (0.4, "YYIIIII"), (0.9, "IXYIIII"), (0.3, "IIIIIIZ"))
    spec = Readout(kind, ham if kind == "energy" else ())
    x = torch.as_tensor(RNG.uniform(-np.pi, np.pi, (4, dag.num_features)))
    p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
    target = torch.as_tensor(RNG.normal(size=(4, 2**n)) + 1j * RNG.normal(size=(4, 2**n)))
    outs, grads = [], []
    for real in (None, False):
        circ = TorchCircuit(dag, dtype=torch.complex128, real=real)
        p = torch.tensor(p0, requires_grad=True)
        out = readout(circ.state(p, x, as_complex=False), spec, n)
        loss = (out.conj() * target).real.sum() if kind == "state" else (out * torch.arange(1, out.numel() + 1).view(out.shape)).sum()
        loss.backward()
        outs.append(out.detach().numpy())
        grads.append(p.grad.numpy())
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-12)
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-11)
    if kind == "energy":  # and both are the physics: <psi|H|psi> from Cirq's states
        states = TorchCircuit(dag, dtype=torch.complex128, real=False).state(p0, x).numpy()
        from qas.core.readout import pauli_matrix
        h = pauli_matrix(ham, n)
        np.testing.assert_allclose(outs[0], np.einsum("bi,ij,bj->b", states.conj(), h, states).real, atol=1e-12)


# -- a single state: permutation gates absorbed into gathers, blocks on the last wires -----------
_ALPHABET = [("RY", 1, "trainable"), ("RX", 1, "trainable"), ("U3", 1, "trainable"), ("H", 1, "none"),
             ("X", 1, "none"), ("CNOT", 2, "none"), ("SWAP", 2, "none"), ("CZ", 2, "none"), ("CRY", 2, "trainable")]


def _random_single_state_circuit(n: int, gates: int, rng: random.Random) -> CircuitDAG:
    out = []
    for _ in range(gates):
        kind, arity, role = rng.choice(_ALPHABET)
        out.append(Gate(kind, tuple(rng.sample(range(n), arity)), role))
    return CircuitDAG(n, out)


def _cirq_state(dag: CircuitDAG, params: np.ndarray) -> np.ndarray:
    return cirq.final_state_vector(to_cirq(dag, params, None), qubit_order=cirq.LineQubit.range(dag.num_qubits),
                                   dtype=np.complex128)


@pytest.mark.parametrize("block_qubits", [2, 3, 4])
def test_single_state_plans_with_and_without_permutation_gates_match_cirq(block_qubits):
    """Both plans of a circuit without features (every gate in blocks; X, CNOT and SWAP taken out
    and absorbed into gathers) give Cirq's state to 1e-10, and so does the one chosen."""
    from qas.backends.torch_plan import compile_circuit

    rng = random.Random(block_qubits)
    for case in range(12):
        n = rng.choice([3, 5, 6, 8])
        dag = _random_single_state_circuit(n, rng.randrange(4, 40), rng)
        params = RNG.uniform(-np.pi, np.pi, dag.num_params)
        want = _cirq_state(dag, params)
        for permutations in (None, False, True):
            circ = TorchCircuit(dag, dtype=torch.complex128, block_qubits=block_qubits, real=False)
            circ.program = compile_circuit(circ.dag, dtype=torch.complex128, block_qubits=circ.block_qubits,
                                           permutations=permutations)
            got = circ.state(params).numpy()[0]
            assert np.allclose(got, want, atol=1e-10), (case, permutations)


def test_a_cnot_ladder_costs_one_gather_per_layer_and_two_matmuls_per_rotation_layer():
    """RY on 8 qubits then a CNOT ladder, 4 times, in blocks of 4: each RY layer is one block on
    the first four wires and one on the last four (no reorder), each ladder only changes which
    basis state each position holds and is paid for by the next gather; exact, and its
    gradient is the gate-by-gate one's."""
    from qas.backends.torch_plan import compile_circuit

    gates = []
    for _ in range(4):
        gates += [Gate("RY", (q,), "trainable") for q in range(8)]
        gates += [Gate("CNOT", (q, q + 1)) for q in range(7)]
    dag = CircuitDAG(8, gates)
    circ = TorchCircuit(dag, dtype=torch.complex128, block_qubits=4)
    prog = circ.program
    assert [kind for kind, _, _ in prog.items] == ["block", "right"] * 4
    assert sum(r is not None for *_, r in prog.items) == 3 and prog.final_dims is not None
    params = RNG.uniform(-np.pi, np.pi, dag.num_params)
    assert np.allclose(circ.state(params).numpy()[0], _cirq_state(dag, params), atol=1e-10)
    ham = Readout("energy", ((0.5, "ZZIIIIII"), (-1.2, "IXIIIXII"), (0.8, "IIIIIIZX")))
    grads = []
    for permutations in (True, False):
        c = TorchCircuit(dag, dtype=torch.complex128, block_qubits=4)
        c.program = compile_circuit(c.dag, dtype=torch.complex128, block_qubits=4,
                                    permutations=permutations).real_part()
        p = torch.tensor(params, requires_grad=True)
        readout(c.state(p, as_complex=False), ham, 8).sum().backward()
        grads.append(p.grad.numpy())
    assert np.allclose(grads[0], grads[1], atol=1e-12)


def test_a_wave_of_swaps_is_a_relabelling_of_wires_and_costs_nothing():
    from qas.backends.torch_plan import tensor_layout, tensor_order
    from qas.backends.torch_tables import build_tables, circuit_ops

    layout = tensor_layout([2, 0, 3, 1], 4)
    assert tensor_order(layout, 4) == [2, 0, 3, 1] and tensor_order(layout[::-1].copy(), 4) is None
    kinds = [("X", (0,)), ("CNOT", (0, 1)), ("SWAP", (0, 1)), ("CZ", (0, 1)), ("H", (0,)), ("Y", (0,))]
    ops = circuit_ops(CircuitDAG(2, [Gate(k, q) for k, q in kinds]))
    tables = build_tables(ops, 0, 0, torch.complex64)
    assert [None if (s := tables.permutation(i)) is None else s.tolist() for i in range(len(ops))] == [
        [1, 0], [0, 1, 3, 2], [0, 2, 1, 3], None, None, None]
    # RY layer, swaps reversing the wires, RY layer: no gather at all (the last layer meets wires 7..4 first)
    gates = [Gate("RY", (q,), "trainable") for q in range(8)] + [Gate("SWAP", (q, 7 - q)) for q in range(4)]
    gates += [Gate("RY", (q,), "trainable") for q in range(8)]
    dag = CircuitDAG(8, gates)
    circ = TorchCircuit(dag, dtype=torch.complex128, block_qubits=4)
    assert all(r is None for *_, r in circ.program.items) and circ.program.final_dims is not None
    params = RNG.uniform(-np.pi, np.pi, dag.num_params)
    assert np.allclose(circ.state(params).numpy()[0], _cirq_state(dag, params), atol=1e-10)


# -- outputs: a batch in chunks of rows ----------------------------------------------------------
@pytest.mark.parametrize("space,kind", [("qml-10q", "z"), ("qml-4q-reup", "z"), ("qml-10q-reup-w", "z"), ("qml-10q", "energy"),
                                        ("qml-4q", "state"), ("paper-8q", "energy")])
def test_outputs_in_chunks_equal_the_whole_batch_s_readout_and_gradient(space, kind, monkeypatch):
    """``outputs`` runs 11 rows in chunks of 3 (the last of 2): the same readouts and gradients
    as ``readout(state(...))`` of the whole batch, to rounding, and Cirq's <Z> for the outputs
    (a circuit without data: one state, no chunks)."""
    from qas.backends import torch_sv

    for seed in range(3):
        dag, p0, feats = _random_case(space, seed, batch=11)
        n = dag.num_qubits
        ham = ((0.7, "ZZ" + "I" * (n - 2)), (-1.1, "X" + "I" * (n - 2) + "Y"), (0.3, "I" * (n - 1) + "Z"))
        spec = Readout(kind, ham if kind == "energy" else ())
        x = None if feats is None else torch.as_tensor(feats)
        circ = TorchCircuit(dag, dtype=torch.complex128)
        results = []
        for chunk_bytes in (None, 3 * 2**n * circ.state_dtype.itemsize):
            if chunk_bytes is not None:
                monkeypatch.setattr(torch_sv, "CHUNK_BYTES", chunk_bytes)
            assert circ.chunk_rows() == (3 if chunk_bytes else max(1, torch_sv.CHUNK_BYTES // (2**n * circ.state_dtype.itemsize)))
            p = torch.tensor(p0, requires_grad=True)
            out = (circ.outputs(p, x, spec, chunk=3) if chunk_bytes else readout(circ.state(p, x, as_complex=False), spec, n))
            if chunk_bytes:  # scoring (no autograd) takes chunks of CHUNK_BYTES
                with torch.no_grad():
                    np.testing.assert_allclose(circ.outputs(p, x, spec).numpy(), out.detach().numpy(), atol=1e-13)
            weights = torch.as_tensor(np.random.default_rng(seed).normal(size=out.shape))  # the same in both runs
            (out.real * weights if kind == "state" else out * weights).sum().backward()
            results.append((out.detach().numpy(), p.grad.numpy()))
            monkeypatch.undo()
        (out_a, grad_a), (out_b, grad_b) = results
        assert out_b.shape == out_a.shape
        np.testing.assert_allclose(out_b, out_a, atol=1e-12)
        np.testing.assert_allclose(grad_b, grad_a, atol=1e-11)
        if kind == "z" and x is not None:
            want = [cirq.Simulator(dtype=np.complex128).simulate(to_cirq(dag, p0, f)).final_state_vector for f in feats]
            z = np.stack([np.abs(s) ** 2 for s in want]) @ torch_sv.z_signs(n, torch.float64).numpy()
            np.testing.assert_allclose(out_b, z, atol=1e-10)


# -- blocks on the product state's factors -------------------------------------------------------
def test_the_first_blocks_of_a_10_qubit_qnn_run_on_factors_of_the_product_state():
    """``u3cu3q:2`` on 10 qubits: its first block acts on wires 0-3 alone (16 amplitudes a row),
    its second joins wires 4-6 (128), and the third, on wires 6-9, joins the 7-wire factor
    (sharing wire 6) with wires 7, 8, 9 into the whole state without building their product;
    the states are Cirq's to 1e-10 and the gradient is the one without factors (every block on
    the whole state) to rounding."""
    from search_spaces import build_ansatz

    dag = build_ansatz("u3cu3q:2", load_space("qml-10q"))
    circ = TorchCircuit(dag, dtype=torch.complex128)
    sizes = [k for (k, _), _, _ in circ.program.factored]
    assert sizes == [4, 4, 4] and circ.program.join_wires == 1 and circ.program.factor_slots == ()
    feats = RNG.uniform(-np.pi, np.pi, (3, dag.num_features))
    p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
    _assert_states_are_cirqs(circ, dag, p0, feats, 1e-10)
    grads = []
    for c in (circ, _without_factors(dag)):
        p = torch.tensor(p0, requires_grad=True)
        (c.outputs(p, torch.as_tensor(feats), Readout("z")) * torch.arange(1.0, 31.0, dtype=torch.float64).view(3, 10)).sum().backward()
        grads.append(p.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-11)


def _assert_same_outputs_and_gradient(a: TorchCircuit, b: TorchCircuit, p0: np.ndarray, x) -> None:
    """Two compilations of one circuit: the same ``<Z>`` outputs (1e-12) and gradient of a random
    weighting of them (1e-11)."""
    res = []
    for c in (a, b):
        p = torch.tensor(p0, requires_grad=True)
        out = c.outputs(p, x, Readout("z"))
        (out * torch.as_tensor(np.random.default_rng(1).normal(size=out.shape))).sum().backward()
        res.append((out.detach().numpy(), p.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], atol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], atol=1e-11)


def _assert_states_are_cirqs(circ: TorchCircuit, dag: CircuitDAG, p0: np.ndarray, feats: np.ndarray, atol: float) -> None:
    """``circ``'s states for each row of ``feats`` equal Cirq's final state vector to ``atol``."""
    states = circ.state(p0, feats).numpy()
    for b in range(len(feats)):
        want = cirq.final_state_vector(to_cirq(dag, p0, feats[b]), qubit_order=cirq.LineQubit.range(dag.num_qubits),
                                       dtype=np.complex128)
        np.testing.assert_allclose(states[b], want, atol=atol)


def _without_factors(dag: CircuitDAG) -> TorchCircuit:
    """The circuit compiled with every block on the whole state (no ``factor_blocks``)."""
    import qas.backends.torch_plan as plan

    real = plan.factor_blocks
    plan.factor_blocks = lambda items, blocks, n: ([], (), list(range(n)), 0)
    try:
        circ = TorchCircuit(dag, dtype=torch.complex128)
    finally:
        plan.factor_blocks = real
    assert not circ.program.factored
    return circ


@pytest.mark.parametrize("space", ["qml-10q", "qml-10q-reup-w", "qml-4q-reup"])
def test_random_circuits_with_factored_blocks_match_the_plan_without_them(space):
    """Random cells whose first blocks run on factors: outputs and gradients equal those of
    the same circuit with every block on the whole state, to rounding (complex128)."""
    rng = random.Random(5)
    factored = joined = 0
    for _ in range(10):
        dag = sample_circuit(load_space(space), rng)
        circ = TorchCircuit(dag, dtype=torch.complex128)
        factored += bool(circ.program.factored)
        joined += bool(circ.program.join_wires)
        x = torch.as_tensor(RNG.uniform(-np.pi, np.pi, (4, dag.num_features)))
        p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
        _assert_same_outputs_and_gradient(circ, _without_factors(dag), p0, x)
    assert factored >= 1 and (joined >= 1 or space == "qml-4q-reup")  # 10 qubits: 4 and 2 of 10 join


def _with_blocks_first(dag: CircuitDAG) -> TorchCircuit:
    """The circuit compiled as before in-place blocks: every step's wires permuted to the first axes."""
    import qas.backends.torch_plan as plan

    run_at, lay_out = plan._run_at, plan._lay_out
    plan._run_at = lambda perm, wires: 0 if set(perm[:len(wires)]) == set(wires) else None
    plan._lay_out = lambda spans, kinds, perm: list(spans[0]) + [w for w in perm if w not in spans[0]]
    try:
        circ = TorchCircuit(dag, dtype=torch.complex128)
    finally:
        plan._run_at, plan._lay_out = run_at, lay_out
    assert not any(isinstance(d, int) for *_, d in circ.program.items)
    return circ


def test_a_ring_of_blocks_runs_in_place_with_a_permute_every_third_block():
    """``u3cu3q:2`` on 10 qubits: after the factored blocks, four blocks on the whole state, of
    which three act in place on consecutive wire axes (the joining block laid the state out
    for them) and one permutes first, not four; the states are Cirq's to 1e-10."""
    from search_spaces import build_ansatz

    dag = build_ansatz("u3cu3q:2", load_space("qml-10q"))
    circ = TorchCircuit(dag, dtype=torch.complex128)
    dims = [d for *_, d in circ.program.items]
    assert len(dims) == 4 and sum(isinstance(d, int) for d in dims) == 3 and sum(isinstance(d, tuple) for d in dims) == 1
    feats = RNG.uniform(-np.pi, np.pi, (2, dag.num_features))
    p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
    _assert_states_are_cirqs(circ, dag, p0, feats, 1e-10)


@pytest.mark.parametrize("space", ["qml-10q", "qml-10q-reup-w"])
def test_random_circuits_with_in_place_blocks_match_the_plan_without_them(space):
    """Random cells: outputs and gradients with blocks applied in place equal those with every
    block's wires permuted first, to rounding (complex128); some plans do run in place."""
    rng = random.Random(11)
    in_place = 0
    for _ in range(8):
        dag = sample_circuit(load_space(space), rng)
        circ = TorchCircuit(dag, dtype=torch.complex128)
        in_place += sum(isinstance(d, int) for *_, d in circ.program.items)
        x = torch.as_tensor(RNG.uniform(-np.pi, np.pi, (4, dag.num_features))) if dag.num_features else None
        p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
        _assert_same_outputs_and_gradient(circ, _with_blocks_first(dag), p0, x)
    assert in_place >= 1


def test_data_spaces_of_6_to_8_qubits_match_cirq_with_joins_and_in_place_blocks():
    """A user's data makes spaces the built-in ones do not cover (wine on 6, 7 and 8 qubits:
    re-uploaded, weighted encodings): random cells' states equal Cirq's to 1e-9, and the plans
    do use joining blocks and in-place steps."""
    from sklearn.datasets import load_wine

    from qas.tasks import DataTask

    x, y = load_wine(return_X_y=True)
    rng, joins, in_place = random.Random(3), 0, 0
    for q in (6, 7, 8):
        space = DataTask(x, y, label="wine", qubits=q).default_space
        for _ in range(4):
            dag = sample_circuit(space, rng)
            circ = TorchCircuit(dag, dtype=torch.complex128)
            joins += bool(circ.program.join_wires)
            in_place += sum(isinstance(d, int) for *_, d in circ.program.items)
            feats = RNG.uniform(0, np.pi, (2, dag.num_features))
            p0 = RNG.uniform(-np.pi, np.pi, dag.num_params)
            _assert_states_are_cirqs(circ, dag, p0, feats, 1e-9)
    assert joins >= 1 and in_place >= 10
