"""``EvaluationRecord``: the result of training and scoring one circuit on one task.

This is the currency between the evaluator, the result cache, the run store (Optuna trial
attributes) and reports. It is a frozen value with a JSON form.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from qas.core.circuit import CircuitDAG

RECORD_VERSION = 1


@dataclass(frozen=True)
class EvaluationRecord:
    circuit_key: str
    circuit_json: str
    task: str
    task_config: dict[str, Any]
    train_config: dict[str, Any]
    params: tuple[float, ...]
    score: float                      # qsim validation score: what search maximises
    metrics: dict[str, float] = field(default_factory=dict)  # "val_*", "test_*", "torch_val_score"
    train_seconds: float = 0.0
    score_seconds: float = 0.0
    cached: bool = False
    curve: tuple[float, ...] = ()     # the trainer's reports: validation score per epoch (or -loss per window)
    pruned: bool = False              # a pruner stopped its training early: a lower-fidelity score

    @property
    def dag(self) -> CircuitDAG:
        return CircuitDAG.from_json(self.circuit_json)

    @property
    def param_array(self) -> np.ndarray:
        return np.asarray(self.params, dtype=np.float64)

    def with_metrics(self, extra: dict[str, float], **changes: Any) -> "EvaluationRecord":
        return replace(self, metrics={**self.metrics, **extra}, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["params"] = list(self.params)
        d["version"] = RECORD_VERSION
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EvaluationRecord":
        d = dict(d)
        d.pop("version", None)
        d["params"] = tuple(float(p) for p in d["params"])
        d["curve"] = tuple(float(v) for v in d.get("curve", ()))
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "EvaluationRecord":
        return cls.from_dict(json.loads(text))
