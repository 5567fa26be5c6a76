"""qas: quantum architecture search over a learned latent space of circuits.

The public API. The light core (circuits, gates, errors) imports eagerly; everything else
is imported on first use (PEP 562), so ``import qas`` does not import torch, qsim or Optuna:

    import qas
    task = qas.build_task("fashion-2")
    record = qas.evaluate(qas.CircuitDAG.from_json(text), task, qas.TrainConfig(epochs=5))
    result = qas.search(task=qas.tasks.Classification(X, y), budget=50)

Subpackages: :mod:`qas.tasks`, :mod:`qas.search` (agents, ``optimize``, runs),
:mod:`qas.backends` (simulators); the search spaces are :mod:`search_spaces`, the circuit
embeddings :mod:`encoders`.
"""

from __future__ import annotations

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import CircuitError, CircuitFormatError, QasError, SpaceError, UnknownNameError
from qas.core.gates import GATES, GateKind, gate_kind
from qas.core.lazy import lazy_names

__version__ = "0.1.0"

_SUBPACKAGES = ("search", "tasks", "backends")
#: public name -> the module that defines it (imported on first use)
_LAZY = {
    "Readout": "qas.core.readout",
    "pauli_matrix": "qas.core.readout",
    "ground_energy": "qas.core.readout",
    "to_cirq": "qas.core.cirq_io",
    "from_cirq": "qas.core.cirq_io",
    "to_qasm": "qas.core.cirq_io",
    "to_qasm3": "qas.core.qasm",
    "from_qasm": "qas.core.qasm",
    "read_qasm": "qas.core.qasm",
    "circuit_cost": "qas.core.cost",
    "CircuitCost": "qas.core.cost",
    "feature_symbols": "qas.core.cirq_io",
    "param_symbols": "qas.core.cirq_io",
    "lower": "qas.core.feature_weights",
    "Registry": "qas.core.registry",
    "progress_bar": "qas.core.console",
    "EvaluationRecord": "qas.records",
    "ResultCache": "qas.cache",
    "TrainConfig": "qas.trainer",
    "train": "qas.trainer",
    "evaluate": "qas.evaluation",
    "score": "qas.evaluation",
    "build_task": "qas.tasks",
    "TASKS": "qas.tasks",
    "SearchConfig": "qas.search",
    "optimize": "qas.search",
    "read_circuit": "search_spaces.circuit_files",
    "load_space": "search_spaces",
    "build_ansatz": "search_spaces.ansatze",
}

__all__ = sorted([
    "CircuitDAG",
    "CircuitError",
    "CircuitFormatError",
    "GATES",
    "Gate",
    "GateKind",
    "QasError",
    "SpaceError",
    "UnknownNameError",
    "gate_kind",
    *_SUBPACKAGES,
    *_LAZY,
])


# qas.search is callable: qas.search(task=..., budget=...)
__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals(), subpackages=_SUBPACKAGES)
