"""The floor of qas: what every other layer may use and nothing here imports from above.

- :mod:`~qas.core.circuit`: ``CircuitDAG`` and ``Gate``, the value every stage passes on;
- :mod:`~qas.core.gates`: the gate alphabet (``GATES``), each kind with its whole contract
  (Cirq gate, torch matrix from :mod:`~qas.core.gate_matrices`, Cirq matcher);
- :mod:`~qas.core.cirq_io`: ``CircuitDAG`` <-> ``cirq.Circuit``, and OpenQASM out;
- :mod:`~qas.core.readout`: the readout contract between tasks and simulators, Pauli sums;
- :mod:`~qas.core.registry`, :mod:`~qas.core.errors`: names to objects, user errors;
- :mod:`~qas.core.symbols`: the ``theta_k`` / ``x_i`` symbol names of Cirq circuits;
- :mod:`~qas.core.feature_weights`, :mod:`~qas.core.tomlfile`, :mod:`~qas.core.console`.
"""
