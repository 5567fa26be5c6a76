"""Simulator backends: a batched differentiable torch statevector for training, qsim for scoring.

The names below import lazily, so ``import qas.backends`` imports neither torch nor qsim.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SIMULATORS": "qas.backends.simulators",
    "get_simulator": "qas.backends.simulators",
    "readout_of_states": "qas.backends.simulators",
    "NoiseSpec": "qas.backends.noise",
    "TorchCircuit": "qas.backends.torch_sv",
    "readout": "qas.backends.torch_sv",
    "torch_readout": "qas.backends.torch_sv",
    "QsimBatchExpectation": "qas.backends.qsim_fast",
    "reference_expectations": "qas.backends.qsim_fast",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qas.backends' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
