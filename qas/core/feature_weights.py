"""Weighted feature gates (angle ``w * x + b``) lowered to plain ones, for every simulator.

Why: trainable input scaling is what lets a data re-uploading classifier widen its frequency
spectrum, but the simulators are built (and tuned) for feature gates whose angle *is* a
feature. Rather than teach each of them a new angle rule, a weighted circuit is run as the
plain circuit in which weighted gate ``j`` reads a *virtual* feature ``F + j``
(``F`` = the circuit's own features), computed per input as ``x[f_j] * w_j + b_j``. The plain
circuit's parameters are the others. Both steps are indexing and arithmetic that work on
numpy arrays and on torch tensors alike, so gradients reach ``w`` and ``b`` through the
virtual features, and every fusion in :mod:`qas.backends.torch_sv` still applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from qas.core.circuit import CircuitDAG

__all__ = ["Lowered", "lower", "initial_weights", "lower_inputs"]


@dataclass(frozen=True, eq=False)
class Lowered:
    """``plain`` runs ``source``: pass it ``params(p)`` and ``features(p, x)``."""

    source: CircuitDAG
    plain: CircuitDAG
    keep: np.ndarray    # positions of the plain circuit's parameters in the source vector
    reads: np.ndarray   # the feature each weighted gate reads
    scale: np.ndarray   # position of each weighted gate's w
    shift: np.ndarray   # position of each weighted gate's b

    def params(self, params: Any) -> Any:
        return params[_index(self.keep, params)]

    def features(self, params: Any, features: Any) -> Any:
        """``(B, F + J)``: the real features, then one virtual feature per weighted gate."""
        real = features[:, : self.source.num_features]
        virtual = real[:, _index(self.reads, features)] * params[_index(self.scale, params)] \
            + params[_index(self.shift, params)]
        if isinstance(features, np.ndarray):
            return np.concatenate([real, virtual], 1)
        import torch

        return torch.cat([real, virtual.to(real.dtype)], 1)


def _index(idx: np.ndarray, like: Any) -> Any:
    if isinstance(like, np.ndarray):
        return idx
    import torch

    return torch.as_tensor(idx, dtype=torch.long)


def lower(dag: CircuitDAG) -> Lowered | None:
    """The plain form of ``dag``, or ``None`` when it has no weighted gate."""
    return _lower(dag) if dag.num_weighted else None


@lru_cache(maxsize=64)
def _lower(dag: CircuitDAG) -> Lowered:
    n_feat = dag.num_features
    gates, keep, reads, scale, shift = [], [], [], [], []
    for g, sl in zip(dag.gates, dag.param_slices()):
        if g.weighted:
            gates.append(replace(g, feature=n_feat + len(reads), weighted=False))
            reads.append(g.feature)
            scale.append(sl.start)
            shift.append(sl.start + 1)
        else:
            gates.append(g)
            if sl is not None:
                keep.extend(range(sl.start, sl.stop))
    as_idx = lambda xs: np.asarray(xs, dtype=np.intp)  # noqa: E731
    plain = CircuitDAG(dag.num_qubits, gates)
    # a feature index never decides the canonical order (gates ready together act on distinct
    # wires, and the wires come before it in the sort key), so parameters keep their order
    assert [(g.kind, g.qubits) for g in plain.gates] == [(g.kind, g.qubits) for g in gates]
    return Lowered(dag, plain, as_idx(keep), as_idx(reads), as_idx(scale),
                   as_idx(shift))


def lower_inputs(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None
                 ) -> tuple[CircuitDAG, np.ndarray, np.ndarray | None]:
    """``(circuit, params, features)`` for a simulator that knows only plain feature gates."""
    low = lower(dag)
    if low is None:
        return dag, params, features
    params = np.asarray(params, dtype=np.float64)
    if features is None:
        raise ValueError(f"this circuit reads {dag.num_features} features; none given")
    return low.plain, low.params(params), low.features(params, np.asarray(features, dtype=np.float64))


def initial_weights(dag: CircuitDAG) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``w`` (start at 1) and ``b`` (start at 0) entries of the parameter vector."""
    low = lower(dag)
    if low is None:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    return low.scale, low.shift
