"""Loading the latent space a search uses: the shipped checkpoint of the space, or any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from encoders.pool_index import PoolIndex

# Loading a 100k-circuit store takes seconds; a process that runs several searches (tests,
# experiments) loads each file once. Keyed by file, size and mtime, so a rewritten file reloads.
_LOADED: dict[tuple, PoolIndex] = {}


def load_index(space: Any, embeddings: str | None, *, required: bool, seed: int = 0) -> PoolIndex | None:
    """The pool and latent table for ``space``.

    ``embeddings`` is a checkpoint path, or ``None`` for the shipped checkpoint of the space.
    Agents that need a latent space get a clear error when none exists; the others (random,
    evolution) use the pool when there is one and sample the space when not. A re-uploading
    space uses the embeddings of its cells (``space.cell_space``).
    """
    from encoders.store import load_embeddings, pretrained_path

    searched, space = space, space.cell_space
    path = Path(embeddings) if embeddings else pretrained_path(space)
    if path is None and not required:
        return None
    stat = path.stat() if path is not None and path.exists() else None
    key = (str(path), stat.st_size, stat.st_mtime_ns, searched.fingerprint) if stat else None
    if key is None or key not in _LOADED:
        index = load_embeddings(embeddings, space, progress=True).index(searched)
        if key is None:
            return index
        _LOADED[key] = index
    return _LOADED[key].fresh()
