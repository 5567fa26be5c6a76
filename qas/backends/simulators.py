"""Simulators behind one protocol: ``readout(dag, params, features, spec) -> np.ndarray``.

- ``torch``: the batched statevector we train on (complex64);
- ``qsim``: Google's qsim through ``qsimcirq``; every reported number comes from here. Z and
  energy readouts go through :class:`~qas.backends.qsim_fast.QsimBatchExpectation`, which
  translates a circuit structure once and only changes angles per input;
- ``cirq``: ``cirq.Simulator`` in complex128, the slow independent reference.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.feature_weights import lower_inputs
from qas.core.registry import Registry
from qas.core.readout import Readout


class Simulator(Protocol):
    def readout(self, dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout) -> np.ndarray:
        """``(B, ...)`` readout for ``B`` feature rows (``B = 1`` without features)."""


SIMULATORS: Registry[type] = Registry("simulator")


@SIMULATORS.register("torch")
class TorchSimulator:
    def readout(self, dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout) -> np.ndarray:
        from qas.backends.torch_sv import torch_readout

        return torch_readout(dag, params, features, spec)


def pauli_sum(hamiltonian: tuple[tuple[float, str], ...], qubits: list[Any]) -> Any:
    import cirq

    terms = []
    for coeff, word in hamiltonian:
        ops = {q: getattr(cirq, letter) for q, letter in zip(qubits, word) if letter != "I"}
        terms.append(cirq.PauliString(ops, coefficient=coeff))
    return cirq.PauliSum.from_pauli_strings(terms)


def observables(spec: Readout, num_qubits: int, qubits: list[Any] | None = None) -> list[Any]:
    """The readout's observables on ``qubits`` (default ``LineQubit(0..n-1)``)."""
    import cirq

    qubits = cirq.LineQubit.range(num_qubits) if qubits is None else qubits
    if spec.kind == "z":
        return [cirq.PauliString({q: cirq.Z}) for q in qubits]
    if spec.kind == "energy":
        return [pauli_sum(spec.hamiltonian, qubits)]
    raise ValueError(f"readout {spec.kind!r} has no observables")


def _values(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None) -> np.ndarray:
    """One row of symbol values per input: ``theta_0..theta_{P-1}, x_0..x_{F-1}``."""
    params = np.asarray(params, dtype=np.float64)
    if features is None:
        return params[None, :]
    feats = np.asarray(features, dtype=np.float64)[:, : dag.num_features]
    return np.concatenate([np.broadcast_to(params, (len(feats), len(params))), feats], 1)


@SIMULATORS.register("qsim")
class QsimSimulator:
    """qsim scoring; compiled programs are kept per (circuit, readout) for reuse across splits."""

    def __init__(self, *, num_threads: int = 1, cache_size: int = 8) -> None:
        self.num_threads = num_threads
        self._programs: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_size = cache_size

    def _program(self, dag: CircuitDAG, spec: Readout) -> Any:
        from qas.backends.qsim_fast import QsimBatchExpectation
        from qas.core.cirq_io import feature_symbols, param_symbols, to_cirq

        key = (dag, spec)
        if key not in self._programs:
            symbols = param_symbols(dag.num_params) + feature_symbols(dag.num_features)
            self._programs[key] = QsimBatchExpectation(
                to_cirq(dag), symbols, observables(spec, dag.num_qubits), num_threads=self.num_threads
            )
            if len(self._programs) > self._cache_size:
                self._programs.popitem(last=False)
        self._programs.move_to_end(key)
        return self._programs[key]

    def readout(self, dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout) -> np.ndarray:
        dag, params, features = lower_inputs(dag, params, features)
        if spec.kind == "state":
            return _states(dag, params, features, _qsim_state)
        out = self._program(dag, spec)(_values(dag, params, features))
        return out[:, 0] if spec.kind == "energy" else out


@SIMULATORS.register("cirq")
class CirqSimulator:
    """``cirq.Simulator`` in complex128: slow, independent, for cross-checks."""

    def readout(self, dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout) -> np.ndarray:
        # no lowering here: Cirq resolves ``w * x + b`` itself, an independent check of it
        return readout_of_states(_states(dag, params, features, _cirq_state), spec, dag.num_qubits)


def readout_of_states(states: np.ndarray, spec: Readout, num_qubits: int) -> np.ndarray:
    """A task's readout of exact state vectors ``(batch, 2**n)`` (numpy, complex128)."""
    if spec.kind == "state":
        return states
    if spec.kind == "z":
        from qas.backends.torch_sv import z_signs

        return (np.abs(states) ** 2) @ z_signs(num_qubits).numpy().astype(np.float64)
    from qas.core.readout import pauli_matrix

    h = pauli_matrix(spec.hamiltonian, num_qubits)
    return np.einsum("bi,bi->b", states.conj(), states @ h.T).real


def _states(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, fn: Any) -> np.ndarray:
    from qas.core.cirq_io import to_cirq

    rows = [None] if features is None else list(features)
    return np.stack([fn(to_cirq(dag, params, None if f is None else f[: dag.num_features]), dag.num_qubits) for f in rows])


def _qsim_state(circuit: Any, n: int) -> np.ndarray:
    import cirq
    import qsimcirq

    res = qsimcirq.QSimSimulator().simulate(circuit, qubit_order=cirq.LineQubit.range(n))
    return np.asarray(res.final_state_vector, dtype=np.complex128)


def _cirq_state(circuit: Any, n: int) -> np.ndarray:
    import cirq

    return cirq.final_state_vector(circuit, qubit_order=cirq.LineQubit.range(n), dtype=np.complex128)


def get_simulator(name: str, **options: Any) -> Simulator:
    return SIMULATORS.get(name)(**options)


class NoisyQsimSimulator:
    """qsim with a noise model: expectation values averaged over quantum trajectories.

    ``noise`` is a :class:`~qas.backends.noise.NoiseSpec` or a device's
    :class:`~qas.backends.devices.DeviceNoise`: it gives the model, the qubits and the circuit.

    The noisy circuit is translated into qsim's form once per (circuit, parameters, readout), kept
    for the candidate's other splits, and only its angles change per input
    (:class:`~qas.backends.qsim_noisy.QsimTrajectoryExpectation`). Input ``i`` of every call runs
    its trajectories with the ``i``-th seed of ``seed``, as ``qsimcirq.QSimSimulator(seed=seed)``
    would. ``max_inputs`` caps the inputs scored per split.
    """

    def __init__(self, noise: Any, *, seed: int = 0, max_inputs: int | None = None, cache_size: int = 4) -> None:
        self.noise = noise
        self.seed = seed
        self.max_inputs = max_inputs
        self._programs: OrderedDict[tuple, Any] = OrderedDict()  # one translation for a candidate's splits
        self._cache_size = cache_size

    def _program(self, dag: CircuitDAG, params: np.ndarray, spec: Readout) -> Any:
        import cirq

        from qas.backends.qsim_noisy import QsimTrajectoryExpectation
        from qas.core.cirq_io import feature_symbols, param_symbols

        key = (dag, np.asarray(params, dtype=np.float64).tobytes(), spec)
        if key not in self._programs:
            qubits = self.noise.qubits(dag.num_qubits)
            circuit = self.noise.circuit(dag, params)
            # idle qubits get the model's noise too, as they would on the device
            circuit += cirq.Circuit(cirq.I.on_each(*[q for q in qubits if q not in circuit.all_qubits()]))
            self._programs[key] = QsimTrajectoryExpectation(
                circuit, param_symbols(dag.num_params) + feature_symbols(dag.num_features),
                observables(spec, dag.num_qubits, qubits), noise=self.noise.model(),
                repetitions=self.noise.repetitions, seed=self.seed, qubits=sorted(qubits))
            if len(self._programs) > self._cache_size:
                self._programs.popitem(last=False)
        self._programs.move_to_end(key)
        return self._programs[key]

    def readout(self, dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout) -> np.ndarray:
        from qas.core.errors import QasError

        dag, params, features = lower_inputs(dag, params, features)
        if spec.kind == "state":
            raise QasError("noisy scoring gives expectation values; tasks read out as a state vector "
                           "(state-prep, maxcut) are scored without noise")
        out = self._program(dag, params, spec)(_values(dag, params, features))
        return out[:, 0] if spec.kind == "energy" else out
