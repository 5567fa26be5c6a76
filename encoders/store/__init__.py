"""The embedding store: one file with a trained circuit encoder, its space, its pool and latents.

* :mod:`~encoders.store.embedding_store`: :class:`EmbeddingStore`, the model with its space,
  pool and latent table; ``embed``, ``save`` and ``load``.
* :mod:`~encoders.store.file_format`: the file (format tag, version, JSON header, tensors,
  checksum), read and written; the pool as a full file stores it.
* :mod:`~encoders.store.tokens`: the gate-token codec of pools.
* :mod:`~encoders.store.compact_cache`: compact files' pools and latents, rebuilt into a cache.
* :mod:`~encoders.store.pretrained`: the shipped pretrained files and the lookup by space.
"""

from __future__ import annotations

from encoders.store.compact_cache import cache_root
from encoders.store.embedding_store import EmbeddingStore
from encoders.store.file_format import FORMAT, FORMAT_VERSION, read_checkpoint
from encoders.store.pretrained import PRETRAINED_DIR, load_embeddings, pretrained_path
from encoders.store.tokens import pool_from_tokens, pool_tokens

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PRETRAINED_DIR",
    "EmbeddingStore",
    "cache_root",
    "load_embeddings",
    "pool_from_tokens",
    "pool_tokens",
    "pretrained_path",
    "read_checkpoint",
]
