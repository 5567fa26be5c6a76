"""How circuits become vectors: featurizer, graph autoencoders (one registry,
:data:`ENCODERS`), pretraining, embedding store.

The names below import lazily (``import encoders`` does not import torch until one of them
is used), so the CLI and agents can import this package cheaply.
"""

from __future__ import annotations

from qas.core.lazy import lazy_names

_EXPORTS = {
    "CheckpointError": "encoders.errors",
    "CircuitAutoencoder": "encoders.base",
    "CircuitVGAE": "encoders.vgae",
    "ENCODERS": "encoders.registry",
    "EmbeddingError": "encoders.errors",
    "EmbeddingStore": "encoders.store",
    "FORMAT_VERSION": "encoders.store",
    "Featurizer": "encoders.featurizer",
    "GINEncoder": "encoders.gin_encoder",
    "GraphTable": "encoders.featurizer",
    "InnerProductDecoder": "encoders.decoders",
    "NodeStateDecoder": "encoders.decoders",
    "OpDecoder": "encoders.decoders",
    "PoolIndex": "encoders.pool_index",
    "PretrainConfig": "encoders.pretrain",
    "PretrainReport": "encoders.pretrain",
    "QubitDecoder": "encoders.decoders",
    "embed_circuit": "encoders.api",
    "load_embeddings": "encoders.store",
    "pretrain": "encoders.pretrain",
    "pretrained_path": "encoders.store",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
