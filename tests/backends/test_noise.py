"""Noise-aware scoring on qsim trajectories."""

import numpy as np
import pytest

from qas import CircuitDAG, Gate
from qas.backends.noise import NoiseSpec
from qas.backends.simulators import NoisyQsimSimulator, QsimSimulator
from qas.core.errors import QasError, UnknownNameError
from qas.core.readout import Readout


def test_single_qubit_depolarizing_shrinks_z_as_physics_says():
    dag = CircuitDAG(1, [Gate("RX", (0,), "trainable")])
    theta = 0.3
    noisy = NoisyQsimSimulator(NoiseSpec.parse("depolarizing:p=0.3", repetitions=4000))
    z = noisy.readout(dag, np.array([theta]), None, Readout("z"))[0, 0]
    # one moment, then the channel: <Z> = (1 - 4p/3) cos(theta)
    assert z == pytest.approx((1 - 0.4) * np.cos(theta), abs=0.05)


def test_zero_noise_equals_noiseless_qsim():
    dag = CircuitDAG(2, [Gate("RY", (0,), "feature", feature=0), Gate("CNOT", (0, 1)), Gate("U3", (1,), "trainable")])
    params = np.array([0.4, -0.2, 1.1])
    feats = np.array([[0.3], [1.2], [-0.7]])
    a = NoisyQsimSimulator(NoiseSpec.parse("depolarizing:p=0", repetitions=3)).readout(dag, params, feats, Readout("z"))
    b = QsimSimulator().readout(dag, params, feats, Readout("z"))
    assert np.allclose(a, b, atol=1e-6)


def test_a_candidates_splits_share_one_translation_and_give_what_a_fresh_one_gives():
    dag = CircuitDAG(2, [Gate("RY", (0,), "feature", feature=0), Gate("CNOT", (0, 1)), Gate("U3", (1,), "trainable")])
    params = np.array([0.4, -0.2, 1.1])
    val, test = np.array([[0.3], [1.2]]), np.array([[-0.7], [0.5], [2.0]])
    noise = NoiseSpec.parse("depolarizing:p=0.05", repetitions=50)
    sim = NoisyQsimSimulator(noise, seed=4)
    a = sim.readout(dag, params, val, Readout("z"))
    b = sim.readout(dag, params, test, Readout("z"))
    assert len(sim._programs) == 1
    assert np.array_equal(b, NoisyQsimSimulator(noise, seed=4).readout(dag, params, test, Readout("z")))
    sim.readout(dag, params + 0.1, val, Readout("z"))  # new parameters: a new translation
    assert len(sim._programs) == 2 and a.shape == (2, 2)


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("depolarizing", QasError, "write it as depolarizing:p=<value>"),
        ("depolarizing:p=lots", QasError, "p must be a number"),
        ("depolarizing:p=1.5", QasError, r"must lie in \[0, 1\]"),
        ("amplitude-damping:p=0.1", QasError, "amplitude-damping:gamma=<value>"),
        ("cosmic-rays:p=0.1", UnknownNameError, "unknown noise channel 'cosmic-rays'"),
    ],
)
def test_bad_noise_specs(text, error, message):
    with pytest.raises(error, match=message):
        NoiseSpec.parse(text)


def test_state_readouts_refuse_noise_clearly():
    dag = CircuitDAG(1, [Gate("H", (0,))])
    with pytest.raises(QasError, match="scored without noise"):
        NoisyQsimSimulator(NoiseSpec.parse("bit-flip:p=0.1")).readout(dag, np.zeros(0), None, Readout("state"))


def test_a_users_noise_model_file(tmp_path):
    """cirq.to_json of a NoiseModel, or of one channel: the same physics as the built-in spec
    (<Z> = (1 - 4p/3) cos(theta) after one depolarising moment); bad files are one-line errors."""
    import cirq

    from qas.backends.noise import NoiseFile, parse_noise

    dag = CircuitDAG(1, [Gate("RX", (0,), "trainable")])
    theta = 0.3
    model = tmp_path / "model.json"
    cirq.to_json(cirq.ConstantQubitNoiseModel(cirq.depolarize(0.3)), str(model))
    channel = tmp_path / "channel.json"
    cirq.to_json(cirq.depolarize(0.3), str(channel))
    for path in (model, channel):
        noise = parse_noise(str(path), repetitions=4000)
        assert isinstance(noise, NoiseFile) and str(noise) == f"file {path}"
        z = NoisyQsimSimulator(noise).readout(dag, np.array([theta]), None, Readout("z"))[0, 0]
        assert z == pytest.approx((1 - 0.4) * np.cos(theta), abs=0.05)
    not_noise = tmp_path / "circuit.json"
    cirq.to_json(cirq.Circuit(), str(not_noise))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for path, message in ((tmp_path / "none.json", "does not exist"), (not_noise, "holds a Circuit"),
                          (garbage, "not Cirq JSON")):
        with pytest.raises(QasError, match=message):
            parse_noise(str(path))


def test_clifford_noise_resilience_is_the_fidelity_physics_gives():
    """One random U3 snapped to a Clifford gate makes a stabilizer state; one depolarising moment
    leaves fidelity 1 - 2p/3 with it, whatever the draw. No noise: 1."""
    from qas.backends import clifford_noise_resilience

    one = CircuitDAG(1, [Gate("U3", (0,), "trainable")])
    for seed in range(3):
        assert clifford_noise_resilience(one, NoiseSpec.parse("depolarizing:p=0.3"), seed=seed) == pytest.approx(0.8, abs=1e-9)
    two = CircuitDAG(2, [Gate("RY", (0,), "feature", feature=0), Gate("CNOT", (0, 1)), Gate("CRX", (1, 0), "trainable")])
    assert clifford_noise_resilience(two, NoiseSpec.parse("depolarizing:p=0")) == pytest.approx(1.0, abs=1e-9)
    assert 0.5 < clifford_noise_resilience(two, NoiseSpec.parse("depolarizing:p=0.05")) < 0.99
