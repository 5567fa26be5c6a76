"""Weighted feature gates (angle ``w * x + b``): the same physics on every backend, gradients
that reach ``w`` and ``b``, faithful files and exports, and spaces that share embeddings."""

import re

import cirq
import numpy as np
import pytest
import torch

from qas import CircuitDAG, CircuitError, Gate
from qas.backends.simulators import get_simulator
from qas.backends.torch_sv import TorchCircuit, readout
from qas.core.errors import CircuitFormatError
from qas.core.cirq_io import from_cirq, to_cirq
from qas.core.feature_weights import initial_weights, lower
from qas.core.readout import Readout
from search_spaces import load_space, space_from_dict
from search_spaces.ansatze import ANSATZE, build_ansatz
from search_spaces.spec import SpaceError

ROT = ("RY", "RZ", "RX", "RY")


def mixed_circuit(copies: int = 2) -> CircuitDAG:
    """Weighted and plain feature gates, re-uploaded between entangling cells."""
    enc = [Gate(ROT[f // 4], (f % 4,), "feature", feature=f, weighted=f % 3 != 0) for f in range(16)]
    cell = ANSATZE.get("u3cu3")(4, 1) + [Gate("RZZ", (0, 2), "trainable"), Gate("CRX", (3, 1), "trainable")]
    return CircuitDAG(4, (enc + cell) * copies)


def test_weighted_gate_is_the_rotation_by_w_x_plus_b():
    dag = CircuitDAG(2, [Gate("RY", (0,), "feature", feature=1, weighted=True), Gate("CNOT", (0, 1))])
    ref = CircuitDAG(2, [Gate("RY", (0,), "fixed", (2.5 * 0.7 - 0.3,)), Gate("CNOT", (0, 1))])
    x = np.array([[9.0, 0.7]])
    for sim in ("torch", "qsim", "cirq"):
        got = get_simulator(sim).readout(dag, np.array([2.5, -0.3]), x, Readout("state"))[0]
        want = get_simulator("cirq").readout(ref, np.zeros(0), None, Readout("state"))[0]
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=sim)


@pytest.mark.parametrize("kind", ["z", "state"])
def test_backends_agree_on_weighted_circuits(kind):
    dag = mixed_circuit()
    rng = np.random.default_rng(1)
    params, x = rng.uniform(-3, 3, dag.num_params), rng.normal(size=(6, 16))
    cirq_out = get_simulator("cirq").readout(dag, params, x, Readout(kind))  # resolves w*x+b itself
    for sim in ("torch", "qsim"):
        np.testing.assert_allclose(get_simulator(sim).readout(dag, params, x, Readout(kind)), cirq_out, atol=1e-5)


def test_gradient_reaches_the_weights():
    """torch's d<Z>/dw and d<Z>/db match central differences of Cirq's complex128 answer."""
    dag = mixed_circuit()
    rng = np.random.default_rng(2)
    params, x = rng.uniform(-3, 3, dag.num_params), rng.normal(size=(1, 16))
    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    out = readout(TorchCircuit(dag, dtype=torch.complex128).state(p, torch.tensor(x)), Readout("z"), 4)
    out[0, 1].backward()
    scale, shift = initial_weights(dag)
    assert len(scale) == len(shift) == dag.num_weighted == 20
    cirq_sim = get_simulator("cirq")
    for k in (*scale[:3], *shift[:3]):
        e = np.zeros_like(params)
        e[k] = 1e-5
        up = cirq_sim.readout(dag, params + e, x, Readout("z"))[0, 1]
        down = cirq_sim.readout(dag, params - e, x, Readout("z"))[0, 1]
        assert p.grad[k].item() == pytest.approx((up - down) / 2e-5, abs=1e-7)


def test_lowering_keeps_parameter_order():
    dag = mixed_circuit()
    low = lower(dag)
    assert low is not None and low.plain.num_weighted == 0
    assert low.plain.num_features == 16 + 20 and low.plain.num_params == dag.num_params - 40
    assert lower(low.plain) is None
    params = np.arange(dag.num_params, dtype=float)
    trainable = [params[sl] for g, sl in zip(dag.gates, dag.param_slices()) if g.role == "trainable"]
    np.testing.assert_array_equal(low.params(params), np.concatenate(trainable))


def test_training_starts_plain_and_moves_the_weights():
    from qas.tasks import make_task
    from qas.trainer import TrainConfig, train

    task = make_task("fashion-2", train_limit=200, val_limit=50, test_limit=50)
    dag = build_ansatz("u3cu3:1", load_space("qml-4q-reup-w"))
    scale, shift = initial_weights(dag)
    still = train(dag, task, TrainConfig(epochs=1, lr=0.0)).params
    assert np.all(still[scale] == 1.0) and np.all(still[shift] == 0.0)
    moved = train(dag, task, TrainConfig(epochs=1, lr=0.05)).params
    assert np.abs(moved[scale] - 1.0).max() > 1e-3 and np.abs(moved[shift]).max() > 1e-3


def test_files_repr_and_cirq_round_trip():
    dag = mixed_circuit()
    assert CircuitDAG.from_json(dag.to_json()) == dag
    assert eval(repr(dag), {"qas": __import__("qas")}) == dag
    assert from_cirq(to_cirq(dag), dag.num_qubits) == dag
    assert "RY(w·x1+b)@1" in str(dag)
    plain = CircuitDAG(1, [Gate("RY", (0,), "feature", feature=0)])
    assert "weighted" not in plain.to_json()  # keys of unweighted circuits are unchanged
    assert plain.key != CircuitDAG(1, [Gate("RY", (0,), "feature", feature=0, weighted=True)]).key


def test_bad_weighted_gates_are_clear_errors():
    with pytest.raises(CircuitError, match="only a feature gate can be weighted"):
        Gate("RY", (0,), "trainable", weighted=True)
    with pytest.raises(CircuitError, match="weighted must be true or false"):
        Gate("RY", (0,), "feature", feature=0, weighted=1)
    text = '{"schema":"qas.circuit","version":1,"num_qubits":1,"gates":[{"kind":"RY","qubits":[0],' \
           '"role":"feature","feature":0,"weighted":"yes"}]}'
    with pytest.raises(CircuitFormatError, match="'weighted' must be true or false"):
        CircuitDAG.from_json(text)
    import sympy

    x0, x1, t = sympy.symbols("x_0 x_1 theta_0")
    for angle in (x0 * x1 + t, t * x0 * x0 + t):
        with pytest.raises(CircuitError, match="neither a symbol nor 'w \\* x_<i> \\+ b'"):
            from_cirq(cirq.Circuit(cirq.ry(angle).on(cirq.LineQubit(0))))


def test_weighted_space_shares_its_cells_embeddings():
    from encoders.store import pretrained_path
    from qas.search.embeddings import load_index

    space, plain = load_space("qml-4q-reup-w"), load_space("qml-4q-reup")
    assert space.cell_space.fingerprint == load_space("qml-4q").fingerprint
    assert pretrained_path(space.cell_space) == pretrained_path("qml-4q")
    index = load_index(space, None, required=True)
    dag = index.circuit(5)
    assert space.contains(dag) and not plain.contains(dag)
    assert dag.num_weighted == 48 and space.lower(dag) == index.pool[5] and index.position(dag) == 5
    assert space.lower(dag) == plain.lower(plain.lift(index.pool[5]))


def test_weighted_encoding_in_a_space_file():
    spec = {"num_qubits": 4, "gates": ["RY", "CNOT"], "min_gates": 1, "max_gates": 4,
            "encoding": {"num_features": 4, "rotations": ["RY"], "weighted": True}}
    space = space_from_dict(spec)
    assert all(g.weighted for g in space.encoding_gates()) and space.lifts_cells
    assert space.cell_space.fingerprint == space_from_dict({**spec, "encoding": {"num_features": 4, "rotations": ["RY"]}}).fingerprint
    with pytest.raises(SpaceError, match="encoding.weighted must be true or false"):
        space_from_dict({**spec, "encoding": {"num_features": 4, "rotations": ["RY"], "weighted": "yes"}})
    with pytest.raises(SpaceError, match="unknown encoding key"):
        space_from_dict({**spec, "encoding": {"num_features": 4, "scale": 2}})


def test_qasm_comments_carry_the_trained_weights():
    from cirq.contrib.qasm_import import circuit_from_qasm

    from qas.search.outputs import best_qasm

    dag = build_ansatz("u3cu3:1", load_space("qml-4q-reup-w"))
    rng = np.random.default_rng(3)
    params, x = rng.uniform(-np.pi, np.pi, dag.num_params), rng.uniform(-1, 3, 16)
    text = best_qasm(dag, params)
    pattern = r"// data encoding: (\w+)\((\S+)\*x_(\d+)\+(\S+)\) (q\[\d\]);"
    assert len(re.findall(pattern, text)) == 48
    filled = re.sub(pattern, lambda m: f"{float(m[2]) * float(x[int(m[3])]) + float(m[4])!r}".join((f"{m[1]}(", f") {m[5]};")), text)
    got = cirq.final_state_vector(circuit_from_qasm(filled), qubit_order=[cirq.NamedQubit(f"q_{i}") for i in range(4)])
    want = cirq.final_state_vector(to_cirq(dag, params, x), qubit_order=cirq.LineQubit.range(4))
    assert abs(np.vdot(want, got)) == pytest.approx(1.0, abs=1e-6)


def test_noisy_scoring_runs_weighted_circuits():
    from qas.backends.noise import NoiseSpec
    from qas.backends.simulators import NoisyQsimSimulator

    dag = mixed_circuit(1)
    rng = np.random.default_rng(4)
    params, x = rng.uniform(-3, 3, dag.num_params), rng.normal(size=(3, 16))
    noisy = NoisyQsimSimulator(NoiseSpec.parse("depolarizing:p=0", repetitions=2)).readout(dag, params, x, Readout("z"))
    np.testing.assert_allclose(noisy, get_simulator("cirq").readout(dag, params, x, Readout("z")), atol=1e-5)


def test_weighted_circuits_embed_as_their_cell(tmp_path):
    from encoders import embed_circuit
    from encoders.store import EmbeddingStore, pretrained_path

    store = EmbeddingStore.load(pretrained_path("qml-4q"), space="qml-4q")
    path = tmp_path / "weighted.json"
    path.write_text(load_space("qml-4q-reup-w").lift(store.pool[7]).to_json())
    np.testing.assert_allclose(embed_circuit(path, embeddings=store), store.latents[7], atol=1e-5)
