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
- :mod:`~qas.backends.noise`: noise models for noisy scoring.
"""
