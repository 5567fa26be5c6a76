"""The pool as latent-space agents see it: circuits, their latent means, and a visited mask.

``nearest_unvisited(z)`` is the decoder of every latent agent: the closest pool circuit to a
latent point that this run has not evaluated yet (squared Euclidean distance, vectorised
over a contiguous float32 matrix). It is the one nearest-neighbour index of qas: an
:class:`~encoders.store.EmbeddingStore` hands its pool and latents over with
:meth:`~encoders.store.EmbeddingStore.index`.

With a re-uploading (or weighted-encoding) space the pool holds one-block circuits of its
``cell_space`` (the embeddings are of cells); ``space`` lifts them to the searched circuits
and lowers back.

``encode`` (the store's :meth:`~encoders.store.EmbeddingStore.embed`, when the index came from
a store) gives agents the latents of circuits outside the pool: :meth:`embed`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG
from encoders.errors import EmbeddingError


class PoolIndex:
    def __init__(self, pool: Sequence[CircuitDAG], latents: np.ndarray, space: Any = None,
                 encode: Callable[[list[CircuitDAG]], np.ndarray] | None = None) -> None:
        latents = np.ascontiguousarray(latents, dtype=np.float32)
        if latents.ndim != 2 or len(latents) != len(pool):
            raise EmbeddingError(f"pool of {len(pool)} circuits but latent table of shape {latents.shape}")
        self.pool = list(pool)
        self.latents = latents
        self._sq = (latents.astype(np.float32) ** 2).sum(1)
        self._pos = {dag.key: i for i, dag in enumerate(self.pool)}
        self.visited = np.zeros(len(self.pool), dtype=bool)
        self.space = space if space is not None and space.lifts_cells else None
        self.encode = encode

    def fresh(self) -> "PoolIndex":
        """A copy with nothing visited that shares the (read-only) pool and tables."""
        new = object.__new__(PoolIndex)
        new.pool, new.latents, new._sq, new._pos = self.pool, self.latents, self._sq, self._pos
        new.space, new.encode = self.space, self.encode
        new.visited = np.zeros(len(self.pool), dtype=bool)
        return new

    def subset(self, positions: Sequence[int]) -> "PoolIndex":
        """A fresh index over the pool circuits at ``positions`` (in that order)."""
        positions = np.asarray(positions, dtype=np.int64)
        return PoolIndex([self.pool[i] for i in positions], self.latents[positions], self.space, self.encode)

    @property
    def dim(self) -> int:
        return self.latents.shape[1]

    def __len__(self) -> int:
        return len(self.pool)

    def circuit(self, i: int) -> CircuitDAG:
        return self.pool[i] if self.space is None else self.space.lift(self.pool[i])

    def position(self, dag: CircuitDAG) -> int | None:
        if self.space is not None:
            if not self.space.contains(dag):
                return None
            dag = self.space.lower(dag)
        return self._pos.get(dag.key)

    def latent(self, dag: CircuitDAG) -> np.ndarray | None:
        i = self.position(dag)
        return None if i is None else self.latents[i]

    def embed(self, dags: Sequence[CircuitDAG]) -> np.ndarray:
        """Latents ``[n, dim]`` of searched circuits, in the pool or not (cells are lowered first)."""
        if self.encode is None:
            raise EmbeddingError("this pool index has no encoder: only its pool circuits have latents")
        if not dags:
            return np.zeros((0, self.dim), dtype=np.float32)
        cells = [dag if self.space is None else self.space.lower(dag) for dag in dags]
        return np.asarray(self.encode(cells), dtype=np.float32).reshape(len(cells), self.dim)

    def bounds(self, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """The latent box of the pool (per-dimension min and max), widened by ``margin``."""
        lo, hi = self.latents.min(0), self.latents.max(0)
        pad = margin * (hi - lo)
        return lo - pad, hi + pad

    def mark(self, dag: CircuitDAG) -> None:
        i = self.position(dag)
        if i is not None:
            self.visited[i] = True

    def nearest_unvisited(self, z: np.ndarray) -> int:
        """Position of the unvisited pool circuit nearest to latent point ``z``."""
        z = np.asarray(z, dtype=np.float32)
        if z.shape != (self.dim,):
            raise EmbeddingError(f"latent point must have shape ({self.dim},), got {z.shape}")
        d = self._sq - 2.0 * (self.latents @ z)  # |z|^2 is constant: omitted
        d[self.visited] = np.inf
        i = int(np.argmin(d))
        if not np.isfinite(d[i]):
            raise EmbeddingError("every circuit of the pool has been evaluated: the budget exceeds the pool")
        return i
