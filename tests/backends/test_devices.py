"""Google processors from cirq-google's real calibration snapshots: spaces, qubit choice,
native circuits the device itself accepts, and noisy scoring under the calibrated model."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import cirq
import numpy as np
import pytest

from qas import CircuitDAG, Gate
from qas.backends.devices import (DEVICES, DeviceNoise, device_circuit, device_space, get_device, parse_qubits,
                                  patch_score, pick_qubits, qubit_name, route_to_device, validate)
from qas.backends.simulators import NoisyQsimSimulator, QsimSimulator
from qas.core.cirq_io import to_cirq
from qas.core.errors import QasError, UnknownNameError
from qas.core.readout import Readout
from search_spaces import load_space, sample_circuit


@pytest.fixture(scope="module")
def willow():
    return get_device("willow-pink")


@pytest.fixture(scope="module")
def patch4(willow):
    return pick_qubits(willow, 4)


def test_devices_and_their_native_entanglers():
    assert set(DEVICES.names()) == {"willow-pink", "weber", "rainbow"}
    assert get_device("Willow_Pink").gates == ("U3", "CZ")
    assert get_device("rainbow").gates == ("U3", "SQRT_ISWAP")  # its gateset also accepts CZ, uncalibrated
    assert get_device("weber").gates == ("U3", "SQRT_ISWAP")
    with pytest.raises(UnknownNameError, match="unknown device 'foo'.*willow-pink"):
        get_device("foo")


def test_a_4_qubit_device_space_of_willow_pink(willow, patch4):
    space = device_space(load_space("qml-4q-reup-w"), willow, patch4.qubits)
    assert space.num_qubits == 4 and space.gates == ("U3", "CZ")
    couplers = {frozenset((patch4.qubits[a], patch4.qubits[b])) for a, b in space.coupling}
    assert couplers == {c for c in willow.couplers if c <= set(patch4.qubits)}
    assert space.reuploads == 3 and space.encoding.weighted  # everything but gates and coupling kept
    dag = sample_circuit(space, random.Random(1))
    assert space.contains(dag)


def test_auto_picked_qubits_are_connected_and_best_among_all_patches():
    rainbow = get_device("rainbow")
    best = pick_qubits(rainbow, 3)
    adjacency = {q: {p for c in rainbow.couplers if q in c for p in c if p != q} for q in rainbow.qubits}
    patches = set()
    for q in rainbow.qubits:  # every connected 3-qubit patch: paths a-b-c
        for b in adjacency[q]:
            for c in adjacency[b] - {q}:
                patches.add(frozenset((q, b, c)))
    scores = {p: patch_score(rainbow, tuple(p)).score for p in patches}
    assert best.score == pytest.approx(max(scores.values()))
    assert len(best.tree) == 2 and set(best.one_qubit) == {qubit_name(q) for q in best.qubits}
    assert all(0 < e < 0.05 for e in (*best.one_qubit.values(), *best.two_qubit.values()))


def test_qubit_names_are_parsed_and_bad_ones_named(willow, patch4):
    names = ",".join(qubit_name(q) for q in patch4.qubits)
    assert parse_qubits(willow, names) == patch4.qubits
    with pytest.raises(QasError, match="qubit '99_99' is not on willow-pink"):
        parse_qubits(willow, "99_99")
    with pytest.raises(QasError, match="qubit 'q4': write qubits as ROW_COL"):
        parse_qubits(willow, "q4")
    far = (willow.qubits[0], willow.qubits[-1])
    with pytest.raises(QasError, match="not connected"):
        device_space(load_space("paper-4q").__class__("two", 2, ("U3", "CZ"), 1, 2), willow, far)


def _equal_up_to_phase(a: cirq.Circuit, b: cirq.Circuit, qubits) -> bool:
    return cirq.allclose_up_to_global_phase(a.unitary(qubit_order=qubits), b.unitary(qubit_order=qubits), atol=1e-6)


@pytest.mark.parametrize("name", ["willow-pink", "rainbow"])
def test_native_circuit_is_the_same_unitary_and_passes_the_device_validation(name):
    device = get_device(name)
    qubits = pick_qubits(device, 3).qubits
    pair = next((a, b) for a, b in itertools.permutations(range(3), 2) if frozenset((qubits[a], qubits[b])) in device.couplers)
    dag = CircuitDAG(3, [Gate("RY", (0,), "feature", feature=0, weighted=True), Gate("RX", (1,), "feature", feature=1),
                         Gate("U3", (2,), "trainable"), Gate("CNOT", pair), Gate("CZ", pair), Gate("SQRT_ISWAP", pair),
                         Gate("CRY", pair, "trainable"), Gate("H", (pair[1],)), Gate("RZ", (pair[0],), "trainable")])
    params = np.random.default_rng(0).uniform(-2, 2, dag.num_params)
    native = device_circuit(dag, params, device, qubits)
    validate(device, native)
    device.grid_device.validate_circuit(native)  # the device's own check, directly
    feats = {"x_0": 0.7, "x_1": -1.3}
    line = cirq.LineQubit.range(3)
    ours = to_cirq(dag, params, [0.7, -1.3]).transform_qubits(dict(zip(line, qubits)))
    assert _equal_up_to_phase(cirq.resolve_parameters(native, feats), ours, list(qubits))
    with pytest.raises(QasError, match="failed|fails .*validation"):
        validate(device, ours)  # CNOT, CRY, H are not native


def test_a_gate_between_uncoupled_qubits_is_refused_in_one_line(willow, patch4):
    uncoupled = next((a, b) for a, b in itertools.combinations(range(4), 2)
                     if frozenset((patch4.qubits[a], patch4.qubits[b])) not in willow.couplers)
    with pytest.raises(QasError, match="no coupler of willow-pink joins them"):
        device_circuit(CircuitDAG(4, [Gate("CZ", uncoupled)]), [], willow, patch4.qubits)


def test_device_noise_lowers_a_nontrivial_circuits_score(willow, patch4):
    space = device_space(load_space("qml-4q"), willow, patch4.qubits)
    pairs = space.coupling
    gates = [Gate("U3", (q,), "trainable") for q in range(4)]
    for _ in range(4):  # CZ layers between X-like rotations: <Z> stays near +-1 without noise
        gates += [Gate("CZ", p) for p in pairs] + [Gate("U3", (q,), "trainable") for q in range(4)]
    dag = CircuitDAG(4, gates)
    params = np.zeros(dag.num_params)
    params[0::3] = np.pi  # U3(pi, 0, 0) = X (up to phase): the state stays a basis state
    noiseless = QsimSimulator().readout(dag, params, None, Readout("z"))
    noise = DeviceNoise(willow, patch4.qubits, repetitions=4000)
    noisy = NoisyQsimSimulator(noise, seed=1).readout(dag, params, None, Readout("z"))
    circuit, qubits = noise.circuit(dag, params), sorted(patch4.qubits)
    rho = cirq.DensityMatrixSimulator(noise=noise.model(), dtype=np.complex128).simulate(
        circuit, qubit_order=qubits).final_density_matrix
    exact = np.array([np.real(cirq.Z(q).expectation_from_density_matrix(rho, {p: i for i, p in enumerate(qubits)}))
                      for q in patch4.qubits])
    assert np.allclose(np.abs(noiseless), 1, atol=1e-5)
    assert np.abs(noisy[0] - exact).max() < 4 * np.sqrt((1 - exact**2).max() / 4000)  # trajectories are unbiased
    assert np.abs(exact).mean() < np.abs(noiseless).mean() - 0.005  # calibrated errors and T1 decay over ~20 moments
    assert np.abs(exact).mean() > 0.95  # but a Willow chip is good


def test_exported_best_circuit_is_device_ready(tmp_path, willow, patch4):
    from qas.records import EvaluationRecord
    from qas.search.device_target import DeviceSetting
    from qas.search.outputs import write_best

    space = device_space(load_space("qml-4q-reup-w"), willow, patch4.qubits)
    dag = sample_circuit(space, random.Random(2))
    params = tuple(np.random.default_rng(3).uniform(-1, 1, dag.num_params))
    record = EvaluationRecord(dag.key, dag.to_json(), "t", {}, {}, params, 0.5, {})
    write_best(tmp_path, record, None, DeviceSetting(willow, patch4.qubits, patch4, True))
    circuit = cirq.read_json(tmp_path / "best_cirq.json")
    willow.grid_device.validate_circuit(circuit)
    assert circuit.all_qubits() == set(patch4.qubits)
    assert {type(op.gate) for op in circuit.all_operations()} <= {cirq.PhasedXZGate, cirq.CZPowGate}


def test_cli_names_a_bad_device_and_a_bad_qubit_in_one_line(tmp_path):
    def qas(*args):
        return subprocess.run([sys.executable, "-m", "qas", *args], capture_output=True, text=True, timeout=300)

    r = qas("search", "--task", "state-prep", "--device", "foo", "--out", str(tmp_path / "a"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    message = " ".join(r.stderr.split())
    assert "unknown device 'foo'" in message and "willow-pink" in message and "rainbow" in message
    r = qas("search", "--task", "state-prep", "--device", "willow-pink", "--qubits", "3_9,3_10,4_10,99_1",
            "--budget", "1", "--out", str(tmp_path / "b"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "qubit '99_1' is not on willow-pink" in " ".join(r.stderr.split())


def test_a_circuit_routed_onto_a_patch_computes_what_it_computed(willow, patch4):
    """A noiselessly found circuit (all-to-all CU3s, features) placed by Cirq's router: with
    its SWAPs and its readout permutation, every qubit's <Z> is the original's on every input,
    and its native form on the device qubits passes the device's validation."""
    rng = np.random.default_rng(0)
    dag = CircuitDAG(4, [Gate("RY", (q,), "feature", feature=q) for q in range(4)]
                     + [Gate("CU3", (0, 3), "trainable"), Gate("CU3", (2, 0), "trainable"), Gate("U3", (1,), "trainable"),
                        Gate("CNOT", (1, 3)), Gate("CU3", (3, 1), "trainable"), Gate("RX", (2,), "feature", feature=4)])
    params = rng.uniform(-np.pi, np.pi, dag.num_params)
    routed = route_to_device(dag, params, willow, patch4.qubits)
    assert routed.swaps >= 1  # (0, 3) and (1, 3) are not couplers of the line patch
    assert sorted(routed.readout) == [0, 1, 2, 3]
    feats = rng.uniform(0, np.pi, (6, dag.num_features))
    want = QsimSimulator().readout(dag, params, feats, Readout("z"))
    placed = QsimSimulator().readout(routed.dag, routed.params, feats, Readout("z"))
    np.testing.assert_allclose(placed[:, list(routed.readout)], want, atol=2e-6)
    native = device_circuit(routed.dag, routed.params, willow, patch4.qubits)
    validate(willow, cirq.resolve_parameters(native, {f"x{i}": 0.3 for i in range(dag.num_features)}))
    # scored under the device's noise, each qubit's <Z> is read where the router left it
    noise = DeviceNoise(willow, patch4.qubits, repetitions=2000, readout=routed.readout)
    noisy = NoisyQsimSimulator(noise).readout(routed.dag, routed.params, feats[:2], Readout("z"))
    assert np.abs(noisy - want[:2]).max() < 0.15
