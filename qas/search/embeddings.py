"""Loading the latent space a search uses: the shipped checkpoint of the space, or any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qas.errors import QasError
from qas.search.pool_index import PoolIndex


def load_index(space: Any, embeddings: str | None, *, required: bool, seed: int = 0) -> PoolIndex | None:
    """The pool and latent table for ``space``.

    ``embeddings`` is a checkpoint path, or ``None`` for the shipped checkpoint of the space
    (if there is one). Agents that need a latent space get a clear error when none exists.
    """
    try:
        from encoders.store import EmbeddingStore, shipped_checkpoint
    except ImportError:  # pragma: no cover - encoders is part of the package
        if required:
            raise
        return None
    path = Path(embeddings) if embeddings else shipped_checkpoint(space.name)
    if path is None or not Path(path).exists():
        if required:
            where = embeddings or f"the shipped checkpoint for {space.name}"
            raise QasError(
                f"no embeddings for space {space.name!r} ({where} not found); "
                f"make some with `qas pretrain --space {space.name} -o emb.pt` and pass --embeddings emb.pt"
            )
        return None
    store = EmbeddingStore.load(path, space=space)
    return PoolIndex.from_store(store)
