"""Loading the latent space a search uses: the shipped checkpoint of the space, or any other."""

from __future__ import annotations

from typing import Any

from qas.search.pool_index import PoolIndex


def load_index(space: Any, embeddings: str | None, *, required: bool, seed: int = 0) -> PoolIndex | None:
    """The pool and latent table for ``space``.

    ``embeddings`` is a checkpoint path, or ``None`` for the shipped checkpoint of the space.
    Agents that need a latent space get a clear error when none exists; the others (random,
    evolution) use the pool when there is one and sample the space when not.
    """
    from encoders.store import load_embeddings, pretrained_path

    if embeddings is None and pretrained_path(space) is None and not required:
        return None
    store = load_embeddings(embeddings, space, progress=True)
    return PoolIndex.from_store(store)
