""":data:`ENCODERS` with the built-in encoders registered. Import the registry from here (or
from ``encoders``); a new encoder module adds its import below."""

from __future__ import annotations

from encoders import vgae  # noqa: F401  (registers CircuitVGAE)
from encoders.base import ENCODERS, CircuitAutoencoder

__all__ = ["ENCODERS", "CircuitAutoencoder"]
