"""Errors raised by the encoders package (all are :class:`qas.core.errors.QasError`, so the CLI
prints their message and exits 2 instead of showing a traceback)."""

from __future__ import annotations

from qas.core.errors import QasError


class EmbeddingError(QasError, ValueError):
    """A circuit or latent point that an embedding model cannot handle (wrong space, bad shape)."""


class CheckpointError(EmbeddingError):
    """An embedding file that cannot be used: unreadable, corrupted, another format version,
    or made for a different search space. The message names the file."""
