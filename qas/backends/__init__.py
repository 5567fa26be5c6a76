"""Simulator backends: a batched differentiable torch statevector for training, qsim for scoring.

- :mod:`~qas.backends.simulators`: the ``torch``, ``qsim`` and ``cirq`` simulators behind one
  protocol (``SIMULATORS``), and noisy qsim;
- torch: :mod:`~qas.backends.torch_sv` runs a compiled circuit (``TorchCircuit``) and the
  readouts; :mod:`~qas.backends.torch_plan` compiles it (fusion), over the table layout of
  :mod:`~qas.backends.torch_tables` and each kind's fast-path form from
  :mod:`~qas.backends.torch_forms`;
- qsim: :mod:`~qas.backends.qsim_fast` runs ``QsimBatchExpectation``;
  :mod:`~qas.backends.qsim_plan` plans a circuit once (over :mod:`~qas.backends.qsim_matrices`)
  and :mod:`~qas.backends.qsim_observables` evaluates the observables;
- :mod:`~qas.backends.noise`: noise models for noisy scoring;
- :mod:`~qas.backends.predictors`: training-free predictors (expressibility, entangling
  capability, gradient variance, Clifford noise resilience);
- :mod:`~qas.backends.heap`: the training process keeps the memory it frees (``keep_freed_memory``);
- :mod:`~qas.backends.devices`: Google processors (cirq-google): qubits, native gates, calibrated noise.

The names below import lazily, so ``import qas.backends`` imports neither torch nor qsim.
"""

from __future__ import annotations

from qas.core.lazy import lazy_names

_EXPORTS = {
    "SIMULATORS": "qas.backends.simulators",
    "get_simulator": "qas.backends.simulators",
    "readout_of_states": "qas.backends.simulators",
    "NoiseSpec": "qas.backends.noise",
    "NoiseFile": "qas.backends.noise",
    "parse_noise": "qas.backends.noise",
    "clifford_noise_resilience": "qas.backends.predictors",
    "expressibility": "qas.backends.predictors",
    "entangling_capability": "qas.backends.predictors",
    "gradient_variance": "qas.backends.predictors",
    "NoisyQsimSimulator": "qas.backends.simulators",
    "QsimSimulator": "qas.backends.simulators",
    "DEVICES": "qas.backends.devices",
    "Device": "qas.backends.devices",
    "DeviceNoise": "qas.backends.devices",
    "get_device": "qas.backends.devices",
    "pick_qubits": "qas.backends.devices",
    "patch_score": "qas.backends.devices",
    "device_space": "qas.backends.devices",
    "device_circuit": "qas.backends.devices",
    "route_to_device": "qas.backends.devices",
    "Routed": "qas.backends.devices",
    "QsimTrajectoryExpectation": "qas.backends.qsim_noisy",
    "TorchCircuit": "qas.backends.torch_sv",
    "keep_freed_memory": "qas.backends.heap",
    "readout": "qas.backends.torch_sv",
    "torch_readout": "qas.backends.torch_sv",
    "QsimBatchExpectation": "qas.backends.qsim_fast",
    "reference_expectations": "qas.backends.qsim_fast",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
