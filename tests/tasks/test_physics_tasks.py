"""Physics tasks: vqe-h2, tfim, maxcut, state-prep (exact energies, metrics, losses)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

import qas.tasks.maxcut  # noqa: F401  (registers the tasks even before qas.tasks imports them)
import qas.tasks.state_prep  # noqa: F401
import qas.tasks.tfim  # noqa: F401
import qas.tasks.vqe_h2  # noqa: F401
from qas.core.circuit import CircuitDAG, Gate
from qas.tasks import make_task
from qas.core.readout import Readout, ground_energy, pauli_matrix
from qas.tasks.base import TASKS, Batch
from qas.tasks.maxcut import GRAPH_8, MaxCut
from qas.tasks.state_prep import StatePrep
from qas.tasks.tfim import TFIM, tfim_hamiltonian
from qas.tasks.vqe_h2 import FCI_ENERGY, H2_STO3G_0_7414, HF_ENERGY, VqeH2

NONE = Batch(None, None)


def basis(n: int, bits: str) -> np.ndarray:
    """``|bits>`` with qubit 0 first (big-endian)."""
    v = np.zeros(2**n, dtype=np.complex128)
    v[int(bits, 2)] = 1
    return v


def energy_of(task, state: np.ndarray) -> float:
    return float(np.real(state.conj() @ task.matrix() @ state))


def random_state(n: int, seed: int, dtype=torch.complex128) -> tuple[torch.Tensor, torch.Tensor]:
    """A normalised ``(1, 2**n)`` state built from real leaf parameters (for gradients)."""
    g = torch.Generator().manual_seed(seed)
    real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
    leaf = torch.randn(2, 2**n, generator=g, dtype=real_dtype, requires_grad=True)
    psi = torch.complex(leaf[0], leaf[1])
    psi = psi / torch.linalg.vector_norm(psi)
    return leaf, psi[None, :].to(dtype)


# -- registry ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls, n",
    [("vqe-h2", VqeH2, 4), ("tfim", TFIM, 8), ("tfim-8", TFIM, 8), ("TFIM_8", TFIM, 8),
     ("maxcut", MaxCut, 4), ("state-prep", StatePrep, 4), ("state_prep", StatePrep, 4)],
)
def test_registry_resolves(name, cls, n):
    assert TASKS.get(name) is cls
    task = make_task(name)
    assert isinstance(task, cls) and task.num_qubits == n and not task.has_data
    assert task.split("val") == NONE


def test_configs_and_fingerprints():
    assert make_task("maxcut").config() == {"graph": "cycle-4"}
    assert make_task("maxcut", graph="graph-8").config() == {"graph": "graph-8"}
    assert make_task("tfim").config() == {"num_qubits": 8, "J": 1.0, "h": 1.0}
    assert make_task("state-prep", num_qubits=8, target_seed=3).config() == {"num_qubits": 8, "target_seed": 3}
    fps = {make_task("maxcut").fingerprint, make_task("maxcut", graph="graph-8").fingerprint,
           make_task("tfim").fingerprint, make_task("tfim", h=0.5).fingerprint,
           make_task("state-prep").fingerprint, make_task("state-prep", target_seed=1).fingerprint}
    assert len(fps) == 6
    assert make_task("tfim-8").fingerprint == make_task("tfim").fingerprint


def test_default_spaces():
    assert make_task("vqe-h2").default_space == "paper-4q"
    assert make_task("tfim").default_space == "ansatz-8q"
    assert make_task("maxcut", graph="graph-8").default_space == "paper-8q"
    assert make_task("state-prep", num_qubits=8).default_space == "paper-8q"


def test_tfim8_default_space_holds_the_hand_designed_ansatze():
    """A search of tfim-8 must be able to return what a researcher would write by hand."""
    from search_spaces import load_space
    from search_spaces.ansatze import build_ansatz

    space = load_space(make_task("tfim-8").default_space)
    for spec in ("u3cu3:2", "hea:2"):
        assert space.problems(build_ansatz(spec, space)) == [], spec
    assert not load_space("paper-8q").contains(build_ansatz("u3cu3:2", load_space("paper-8q")))


def test_bad_options_raise():
    from qas.core.errors import QasError

    with pytest.raises(QasError):
        make_task("maxcut", graph="petersen")
    with pytest.raises(QasError):
        make_task("state-prep", num_qubits=5)
    with pytest.raises(QasError):
        make_task("vqe-h2", bond_length=1.0)


# -- H2 ------------------------------------------------------------------------------------
def test_h2_hamiltonian_exact_energy():
    task = VqeH2()
    assert len(H2_STO3G_0_7414) == 15 and task.readout == Readout("energy", H2_STO3G_0_7414)
    h = pauli_matrix(H2_STO3G_0_7414, 4)
    np.testing.assert_allclose(h, h.conj().T, atol=1e-15)
    evals = np.linalg.eigvalsh(h)
    assert evals[0] == pytest.approx(-1.1373, abs=1e-4)
    assert evals[0] == pytest.approx(FCI_ENERGY, abs=1e-10)  # PySCF FCI at 0.7414 A
    assert task.exact_energy == pytest.approx(FCI_ENERGY, abs=1e-10)
    assert evals[1] - evals[0] > 0.1  # non-degenerate ground state
    # Hartree-Fock = |1100> (spin orbitals 0 and 1 occupied)
    assert energy_of(task, basis(4, "1100")) == pytest.approx(HF_ENERGY, abs=1e-10)


def test_h2_ground_state_has_two_electrons_and_zero_spin():
    h = pauli_matrix(H2_STO3G_0_7414, 4)
    evals, evecs = np.linalg.eigh(h)
    ground = evecs[:, 0]
    idx = np.arange(16)
    bits = (idx[:, None] >> np.arange(3, -1, -1)[None, :]) & 1  # column q = qubit q
    number = bits.sum(1)
    sz = (bits[:, 0] + bits[:, 2]) - (bits[:, 1] + bits[:, 3])  # even qubits alpha, odd beta
    weight = np.abs(ground) ** 2
    assert weight[number == 2].sum() == pytest.approx(1.0, abs=1e-12)
    assert weight[sz == 0].sum() == pytest.approx(1.0, abs=1e-12)
    # H conserves particle number: it is block diagonal in N
    assert np.abs(h[number[:, None] != number[None, :]]).max() < 1e-14
    # the FCI state is mostly Hartree-Fock plus the doubly excited |0011>
    assert weight[0b1100] > 0.98 and weight[0b0011] == pytest.approx(1 - weight[0b1100], abs=1e-12)


def test_h2_metrics():
    task = VqeH2()
    ground = np.linalg.eigh(task.matrix())[1][:, 0]
    m = task.metrics(np.array([energy_of(task, ground)]), NONE)
    assert m["score"] == pytest.approx(1.0, abs=1e-12)
    assert m["error"] == pytest.approx(0.0, abs=1e-12) and m["chemical_accuracy"] == 1.0
    hf = task.metrics(np.array([HF_ENERGY]), NONE)
    assert hf["error_mha"] == pytest.approx(1000 * (HF_ENERGY - FCI_ENERGY), abs=1e-9)
    assert hf["error_mha"] == pytest.approx(20.586, abs=1e-3)
    assert hf["chemical_accuracy"] == 0.0
    assert hf["score"] == pytest.approx(HF_ENERGY / FCI_ENERGY, abs=1e-12)
    near = task.metrics(np.array([FCI_ENERGY + 1.5e-3]), NONE)
    assert near["chemical_accuracy"] == 1.0 and near["error_mha"] == pytest.approx(1.5)
    assert task.metrics(np.array([FCI_ENERGY + 1.7e-3]), NONE)["chemical_accuracy"] == 0.0
    assert all(isinstance(v, float) for v in m.values())


# -- TFIM ----------------------------------------------------------------------------------
def free_fermion_energy(n: int, J: float, h: float) -> float:
    """Ground energy of the periodic TFIM ring: even-parity sector, antiperiodic momenta."""
    ks = np.pi * (2 * np.arange(n) + 1) / n
    return float(-np.sum(np.sqrt(J**2 + h**2 - 2 * J * h * np.cos(ks))))


def test_tfim8_critical_exact_energy():
    task = make_task("tfim-8")
    assert len(task.hamiltonian) == 16
    assert task.exact_energy == pytest.approx(-2 / math.sin(math.pi / 16), abs=1e-10)
    assert task.exact_energy == pytest.approx(-10.251661790966, abs=1e-10)
    assert task.exact_energy == pytest.approx(free_fermion_energy(8, 1.0, 1.0), abs=1e-10)


@pytest.mark.parametrize("n, J, h", [(8, 1.0, 0.5), (8, 1.0, 2.0), (8, 0.7, 1.3), (4, 1.0, 1.0), (6, 1.0, 0.8)])
def test_tfim_exact_energy_matches_free_fermions(n, J, h):
    task = TFIM(num_qubits=n, J=J, h=h)
    assert task.exact_energy == pytest.approx(free_fermion_energy(n, J, h), abs=1e-10)


def test_tfim_hamiltonian_terms():
    assert tfim_hamiltonian(3, 2.0, 0.5) == (
        (-2.0, "ZZI"), (-2.0, "IZZ"), (-2.0, "ZIZ"), (-0.5, "XII"), (-0.5, "IXI"), (-0.5, "IIX"),
    )
    with pytest.raises(ValueError):
        TFIM(num_qubits=2)


def test_tfim_score_orders_states():
    task = make_task("tfim")
    evals, evecs = np.linalg.eigh(task.matrix())
    ground, up = evecs[:, 0], basis(8, "0" * 8)
    plus = np.full(256, 1 / 16, dtype=np.complex128)
    neel = basis(8, "01" * 4)
    energies = [energy_of(task, s) for s in (ground, up, plus, neel)]
    assert energies[1] == pytest.approx(-8.0) and energies[2] == pytest.approx(-8.0)
    assert energies[3] == pytest.approx(8.0)
    scores = [task.metrics(np.array([e]), NONE)["score"] for e in energies]
    assert scores[0] == pytest.approx(1.0, abs=1e-12)
    assert scores[1] == pytest.approx(8 / 10.251661790966, abs=1e-9)
    assert scores[1] == pytest.approx(scores[2], abs=1e-12)
    assert scores[0] > scores[1] > 0 > scores[3]


# -- Max-Cut -------------------------------------------------------------------------------
def test_graph8_is_fixed_connected_15_edges():
    assert len(GRAPH_8) == 15 and len(set(GRAPH_8)) == 15
    assert all(0 <= i < j < 8 for i, j in GRAPH_8)
    seen, frontier = {0}, [0]
    while frontier:
        v = frontier.pop()
        for i, j in GRAPH_8:
            for a, b in ((i, j), (j, i)):
                if a == v and b not in seen:
                    seen.add(b)
                    frontier.append(b)
    assert seen == set(range(8))
    # brute force, independent of cut_values
    best = max(sum(s[i] != s[j] for i, j in GRAPH_8) for s in itertools.product((0, 1), repeat=8))
    assert best == 12 == MaxCut(graph="graph-8").max_cut


def test_maxcut_metrics_on_hand_computed_states():
    task = MaxCut()
    uniform = np.full((1, 16), 0.25, dtype=np.complex64)
    m = task.metrics(uniform, NONE)
    assert m["max_cut"] == 4.0
    assert m["expected_cut"] == pytest.approx(2.0, abs=1e-6)
    assert m["approx_ratio"] == m["score"] == pytest.approx(0.5, abs=1e-6)
    assert m["energy"] == pytest.approx(-2.0, abs=1e-6)
    assert m["p_optimal"] == pytest.approx(2 / 16, abs=1e-6)  # |0101> and |1010>
    best = task.metrics(basis(4, "0101")[None], NONE)
    assert best["expected_cut"] == 4.0 and best["score"] == 1.0
    assert best["best_bitstring_cut"] == 4.0 and best["p_optimal"] == 1.0
    assert task.metrics(basis(4, "0011")[None], NONE)["expected_cut"] == 2.0
    assert task.metrics(basis(4, "0000")[None], NONE)["expected_cut"] == 0.0
    # (|0101> + |0000>)/sqrt 2: expected 2, most probable bitstring is a tie -> lowest index
    mix = (basis(4, "0101") + basis(4, "0000")) / math.sqrt(2)
    m = task.metrics(mix[None], NONE)
    assert m["expected_cut"] == pytest.approx(2.0) and m["p_optimal"] == pytest.approx(0.5)
    three = np.sqrt(0.6) * basis(4, "1010") + np.sqrt(0.4) * basis(4, "0001")
    m = task.metrics(three[None], NONE)
    assert m["best_bitstring_cut"] == 4.0 and m["expected_cut"] == pytest.approx(0.6 * 4 + 0.4 * 2)


def test_maxcut_bit_order_is_cirq_big_endian():
    import cirq

    task = MaxCut(graph="graph-8")  # node 0 has degree 5, node 3 degree 1
    q = cirq.LineQubit.range(8)
    for node, degree in ((0, 5), (3, 1), (4, 3)):
        state = cirq.final_state_vector(cirq.Circuit(cirq.I.on_each(*q), cirq.X(q[node])),
                                        qubit_order=q, dtype=np.complex128)
        assert task.metrics(state[None], NONE)["expected_cut"] == pytest.approx(degree)


def test_maxcut_graph8_uniform_and_score_order():
    task = MaxCut(graph="graph-8")
    uniform = np.full((1, 256), 1 / 16, dtype=np.complex128)
    assert task.metrics(uniform, NONE)["expected_cut"] == pytest.approx(7.5)
    opt = np.flatnonzero(task.optimal)
    assert len(opt) == 2 and opt[0] ^ opt[1] == 255  # a cut and its complement
    s_opt = task.metrics(basis(8, format(opt[0], "08b"))[None], NONE)["score"]
    s_uni = task.metrics(uniform, NONE)["score"]
    s_zero = task.metrics(basis(8, "0" * 8)[None], NONE)["score"]
    assert s_uni == pytest.approx(0.625)
    assert s_opt == 1.0 > s_uni > s_zero == 0.0


# -- state preparation ---------------------------------------------------------------------
@pytest.mark.parametrize("n", [4, 8])
def test_state_prep_target_reachable_by_its_circuit(n):
    import cirq

    from qas.core.cirq_io import to_cirq

    task = StatePrep(num_qubits=n, target_seed=0)
    dag, params = task.target_circuit, task.target_params
    assert dag.num_qubits == n and len(params) == dag.num_params
    assert np.all(np.abs(params) <= math.pi)
    assert np.linalg.norm(task.target_state) == pytest.approx(1.0, abs=1e-12)
    # same circuit, independent simulation (and a global phase does not matter)
    state = cirq.final_state_vector(to_cirq(dag, params), qubit_order=cirq.LineQubit.range(n), dtype=np.complex128)
    m = task.metrics((np.exp(0.3j) * state)[None], NONE)
    assert m["fidelity"] == m["score"] == pytest.approx(1.0, abs=1e-12)
    # the torch training backend (complex64) agrees
    from qas.backends.torch_sv import TorchCircuit

    torch_state = TorchCircuit(dag).state(torch.as_tensor(params, dtype=torch.float32)).detach().numpy()
    assert task.metrics(torch_state, NONE)["fidelity"] == pytest.approx(1.0, abs=1e-5)


def test_state_prep_other_states_score_less():
    import cirq

    from qas.core.cirq_io import to_cirq

    task = StatePrep(num_qubits=4, target_seed=0)
    other = StatePrep(num_qubits=4, target_seed=1)
    assert other.target_circuit != task.target_circuit
    f_other = task.metrics(other.target_state[None], NONE)["fidelity"]
    assert f_other < 0.99
    # the target circuit with perturbed parameters: close but not 1, and ordered by distance
    q = cirq.LineQubit.range(4)
    fids = []
    for eps in (0.0, 0.1, 0.5):
        params = task.target_params + eps
        state = cirq.final_state_vector(to_cirq(task.target_circuit, params), qubit_order=q, dtype=np.complex128)
        fids.append(task.metrics(state[None], NONE)["score"])
    assert fids[0] == pytest.approx(1.0, abs=1e-12) and fids[0] > fids[1] > fids[2]
    # reproducible
    np.testing.assert_array_equal(StatePrep(num_qubits=4, target_seed=0).target_state, task.target_state)


def test_state_prep_through_qsim_scores_one():
    from qas.evaluation import score

    task = StatePrep(num_qubits=4, target_seed=0)
    m = score(task.target_circuit, task, task.target_params, simulator="qsim")
    assert m["score"] == pytest.approx(1.0, abs=1e-5)


# -- losses: differentiable, and consistent with metrics -----------------------------------
def _tasks():
    return [VqeH2(), TFIM(num_qubits=4, h=0.7), TFIM(), MaxCut(), MaxCut(graph="graph-8"),
            StatePrep(), StatePrep(num_qubits=8, target_seed=2)]


@pytest.mark.parametrize("task", _tasks(), ids=repr)
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64], ids=["c128", "c64"])
def test_loss_is_differentiable_and_matches_metrics(task, dtype):
    from qas.backends.torch_sv import readout

    leaf, psi = random_state(task.num_qubits, seed=7, dtype=dtype)
    out = readout(psi, task.readout, task.num_qubits)
    loss = task.loss(out, NONE)
    assert loss.ndim == 0
    loss.backward()
    assert leaf.grad is not None and torch.isfinite(leaf.grad).all() and leaf.grad.abs().max() > 0
    m = task.metrics(out.detach().numpy(), NONE)
    tol = 1e-10 if dtype == torch.complex128 else 1e-5
    if task.readout.kind == "energy":
        expected = m["energy"]
    elif isinstance(task, MaxCut):
        expected = -m["expected_cut"]
        assert m["energy"] == pytest.approx(expected, abs=tol)
    else:
        expected = 1 - m["fidelity"]
    assert loss.item() == pytest.approx(expected, abs=tol * max(1.0, abs(expected)))
    assert "score" in m and all(isinstance(v, float) for v in m.values())


@pytest.mark.parametrize("task", _tasks(), ids=repr)
def test_batched_loss_is_the_mean(task):
    from qas.backends.torch_sv import readout

    states = torch.cat([random_state(task.num_qubits, seed=s)[1] for s in range(3)]).detach()
    out = readout(states, task.readout, task.num_qubits)
    each = torch.stack([task.loss(out[i:i + 1], NONE) for i in range(3)])
    assert task.loss(out, NONE).item() == pytest.approx(each.mean().item(), abs=1e-12)


def test_gradient_descent_on_energy_reaches_ground_state():
    """A free state vector minimised on the loss converges to E0 (loss points the right way)."""
    from qas.backends.torch_sv import readout

    task = VqeH2()
    leaf, _ = random_state(4, seed=0)
    opt = torch.optim.Adam([leaf], lr=0.05)
    for _ in range(400):
        opt.zero_grad()
        psi = torch.complex(leaf[0], leaf[1])
        psi = (psi / torch.linalg.vector_norm(psi))[None]
        loss = task.loss(readout(psi, task.readout, 4), NONE)
        loss.backward()
        opt.step()
    assert loss.item() == pytest.approx(ground_energy(task.hamiltonian, 4), abs=1e-6)
