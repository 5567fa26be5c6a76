"""The token codec of full files: a pool as ``[M, G, 3]`` int8 gate tokens (kind, first qubit,
second qubit or -1) and ``[M]`` int16 lengths, for circuits whose gates are rebuilt from their
tokens alone. The compact-file cache stores rebuilt pools the same way."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from qas.core.circuit import CircuitDAG, Gate
from qas.core.gates import GATES

from encoders.featurizer import Featurizer


def pool_tokens(featurizer: Featurizer, pool: Sequence[CircuitDAG]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(tokens [M, G, 3] int8: kind, first qubit, second qubit or -1; lengths [M] int16)``
    for the graph gates of each circuit, or ``None`` if some gate cannot be rebuilt from
    its token alone (a fixed angle, or a role other than the default for its kind)."""
    for dag in pool:
        for g in featurizer.graph_gates(dag):
            if g.angles or g.role != ("trainable" if g.spec.parameterized else "none"):
                return None
    tok, lengths = featurizer.tokens(pool)
    if featurizer.num_qubits > 127 or featurizer.max_gates > 32767:
        return None
    return tok[:, :, :3].astype(np.int8), lengths.astype(np.int16)


def pool_from_tokens(featurizer: Featurizer, tokens: np.ndarray, lengths: np.ndarray) -> list[CircuitDAG]:
    """Inverse of :func:`pool_tokens` (gate objects are shared between circuits)."""
    gates: dict[tuple[int, int, int], Gate] = {}
    space = featurizer.space
    out = []
    rows = tokens.tolist()
    for row, n in zip(rows, lengths.tolist()):
        gs = []
        for t in row[:n]:
            key = (t[0], t[1], t[2])
            g = gates.get(key)
            if g is None:
                kind = featurizer.kinds[t[0]]
                q = (t[1],) if t[2] < 0 else (t[1], t[2])
                g = gates[key] = Gate(kind, q, "trainable" if GATES.get(kind).parameterized else "none")
            gs.append(g)
        out.append(space.build(gs))
    return out
