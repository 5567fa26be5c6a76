"""The translate-once noisy qsim path against qsimcirq's public path and exact density matrices."""

import cirq
import numpy as np
import pytest
import qsimcirq
import sympy

from qas.backends.qsim_matrices import UnsupportedGateError
from qas.backends.qsim_noisy import QsimTrajectoryExpectation
from qas.backends.qsim_plan import Barrier, PlannedOp, fuse
from qas.backends.qsim_matrices import gate_matrix

X = sympy.symbols("x0:3")
Q = cirq.LineQubit.range(3)


def _circuit() -> cirq.Circuit:
    return cirq.Circuit(
        [cirq.ry(X[i]).on(q) for i, q in enumerate(Q)],
        cirq.CZ(Q[0], Q[1]), cirq.CNOT(Q[1], Q[2]),
        cirq.rx(0.7 * X[0] + 0.2).on(Q[2]), cirq.PhasedXZGate(x_exponent=X[1], z_exponent=0.3, axis_phase_exponent=X[2]).on(Q[0]),
        cirq.ISWAP(Q[0], Q[2]) ** 0.5,
    )


def _observables():
    return [cirq.Z(q) for q in Q] + [cirq.PauliSum.from_pauli_strings([0.5 * cirq.X(Q[0]) * cirq.Y(Q[2]), cirq.Z(Q[1])])]


def _values(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, (n, len(X)))


def test_mixture_noise_runs_the_public_paths_trajectories():
    """Mixture channels draw independently of the state: same seeds, same trajectories."""
    noise = cirq.ConstantQubitNoiseModel(cirq.depolarize(0.05))
    values = _values(6)
    ours = QsimTrajectoryExpectation(_circuit(), X, _observables(), noise=noise, repetitions=50, seed=7)(values)
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(ev_noisy_repetitions=50), noise=noise, seed=7)
    public = np.real(sim.simulate_expectation_values_sweep(
        _circuit(), _observables(), [cirq.ParamResolver(dict(zip(X, row))) for row in values]))
    np.testing.assert_allclose(ours, public, atol=2e-6)


def test_kraus_noise_is_unbiased_against_the_exact_density_matrix():
    """Amplitude damping (Kraus, not a mixture) plus depolarising: trajectories average to the
    density-matrix answer within four standard errors."""
    noise = cirq.NoiseModel.from_noise_model_like(cirq.amplitude_damp(0.08))
    circuit = _circuit()
    values = _values(3, seed=1)
    reps = 4000
    ours = QsimTrajectoryExpectation(circuit, X, _observables(), noise=noise, repetitions=reps, seed=3)(values)
    dm = cirq.DensityMatrixSimulator(noise=noise, dtype=np.complex128)
    index = {q: i for i, q in enumerate(Q)}
    for row, got in zip(values, ours):
        rho = dm.simulate(cirq.resolve_parameters(circuit, dict(zip(X, row))), qubit_order=Q).final_density_matrix
        exact = np.array([np.real(cirq.PauliSum.wrap(o).expectation_from_density_matrix(rho, index)) for o in _observables()])
        se = np.sqrt(np.maximum(1 - exact[:3] ** 2, 0.05) / reps)
        assert np.all(np.abs(got[:3] - exact[:3]) < 4 * se), (got, exact)
        assert abs(got[3] - exact[3]) < 4 * np.sqrt(1.25 / reps)
    noiseless = QsimTrajectoryExpectation(circuit, X, _observables(), noise=cirq.NO_NOISE, repetitions=1)(values)
    assert np.abs(ours - noiseless)[:, :3].max() > 0.02  # the noise is there to be seen


def test_no_noise_equals_the_noiseless_answer():
    circuit = _circuit()
    values = _values(4)
    ours = QsimTrajectoryExpectation(circuit, X, _observables(), noise=cirq.NO_NOISE, repetitions=1)(values)
    sim = cirq.Simulator(dtype=np.complex128)
    ref = np.real(sim.simulate_expectation_values_sweep(
        circuit, _observables(), [cirq.ParamResolver(dict(zip(X, row))) for row in values]))
    np.testing.assert_allclose(ours, ref, atol=2e-6)


def test_gates_are_never_fused_across_a_channel_on_their_qubits():
    a, b = Q[:2]
    names = {}

    def op(name, *qs):
        gate = getattr(cirq, name)
        planned = PlannedOp(gate_matrix(gate, gate.on(*qs)), qs, slice(0, 0))
        names[id(planned)] = name
        return planned

    items = [op("X", a), op("Y", b), Barrier((a,)), op("Z", a), op("H", b), op("CZ", a, b)]
    order = [("channel",) if blk.barrier is not None else tuple(names[id(p)] for p in blk.ops) for blk in fuse(items, 2)]
    # X(a) ends before the channel on a; Y(b), H(b) may pass it (they act on b); Z(a) and CZ(a, b) follow it
    assert order == [("X",), ("channel",), ("Y", "H", "Z", "CZ")]


def test_measurements_are_refused_by_name():
    circuit = cirq.Circuit(cirq.H(Q[0]), cirq.measure(Q[0], key="m"))
    with pytest.raises(UnsupportedGateError, match="measure|Measurement|gates and channels"):
        QsimTrajectoryExpectation(circuit, [], [cirq.Z(Q[0])], noise=cirq.depolarize(0.01), repetitions=2)
