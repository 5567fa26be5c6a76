"""Gate matrices as differentiable torch functions of their angles: the pieces gate kinds use.

A matrix builder takes a sequence of angle tensors (shape ``()`` for shared angles or
``(B,)`` for per-input angles) and a complex dtype, and returns ``(..., d, d)`` matrices
equal to ``cirq.unitary`` of the kind's Cirq gate, phase included (a test checks every
registered kind). torch is imported when a matrix is first built, so ``import qas`` stays light.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    import torch

Angles = Sequence["torch.Tensor"]
MatrixFn = Callable[[Angles, "torch.dtype"], "torch.Tensor"]


def const(rows: list[list[complex]]) -> MatrixFn:
    """A gate without angles: the same matrix whatever the angles."""

    def fn(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
        import torch

        return torch.tensor(rows, dtype=dtype)

    return fn


def _c(re: torch.Tensor, im: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    import torch

    return torch.complex(re, im).to(dtype)


def stack2(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """``[[a, b], [c, d]]`` over the last two axes."""
    import torch

    return torch.stack([torch.stack([a, b], -1), torch.stack([c, d], -1)], -2)


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    import torch

    return torch.float64 if dtype == torch.complex128 else torch.float32


def rx(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    import torch

    t = angles[0].to(real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return stack2(_c(c, z, dtype), _c(z, -s, dtype), _c(z, -s, dtype), _c(c, z, dtype))


def ry(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    import torch

    t = angles[0].to(real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return stack2(_c(c, z, dtype), _c(-s, z, dtype), _c(s, z, dtype), _c(c, z, dtype))


def rz(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    import torch

    t = angles[0].to(real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return stack2(_c(c, -s, dtype), _c(z, z, dtype), _c(z, z, dtype), _c(c, s, dtype))


def u3(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    """Cirq's PhasedXZ form of U3, which is ``exp(i theta/2) u3(theta, phi, lam)``."""
    import torch

    rd = real_dtype(dtype)
    theta, phi, lam = (a.to(rd) for a in angles)
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    g = theta / 2

    def e(phase: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
        return _c(mag * torch.cos(phase), mag * torch.sin(phase), dtype)

    return stack2(e(g, c), e(g + lam + math.pi, s), e(g + phi, s), e(g + phi + lam, c))


def u3_textbook(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    """OpenQASM's ``u3`` exactly, phase included (Qiskit's ``U3Gate``):
    ``[[cos(theta/2), -exp(i lam) sin(theta/2)], [exp(i phi) sin(theta/2), exp(i (phi + lam)) cos(theta/2)]]``."""
    import torch

    rd = real_dtype(dtype)
    theta, phi, lam = (a.to(rd) for a in angles)
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)

    def e(phase: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
        return _c(mag * torch.cos(phase), mag * torch.sin(phase), dtype)

    return stack2(_c(c, torch.zeros_like(c), dtype), e(lam + math.pi, s), e(phi, s), e(phi + lam, c))


def rzz(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    import torch

    t = angles[0].to(real_dtype(dtype)) / 2
    minus = _c(torch.cos(t), -torch.sin(t), dtype)
    plus = _c(torch.cos(t), torch.sin(t), dtype)
    return torch.diag_embed(torch.stack([minus, plus, plus, minus], -1))


def controlled(sub: MatrixFn) -> MatrixFn:
    """``sub`` controlled by one qubit, the control first: ``diag(1, 1, sub)``."""

    def fn(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
        import torch

        u = sub(angles, dtype)
        out = torch.zeros(u.shape[:-2] + (4, 4), dtype=dtype)
        out[..., 0, 0] = 1
        out[..., 1, 1] = 1
        out[..., 2:, 2:] = u
        return out

    return fn


def givens(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    """``cirq.givens(t)``: ``|01>, |10>`` rotated by ``t`` (``[[c, -s], [s, c]]``), the rest fixed."""
    import torch

    t = angles[0].to(real_dtype(dtype))
    c, s = _c(torch.cos(t), torch.zeros_like(t), dtype), _c(torch.sin(t), torch.zeros_like(t), dtype)
    out = torch.zeros(t.shape + (4, 4), dtype=dtype)
    out[..., 0, 0] = 1
    out[..., 3, 3] = 1
    out[..., 1, 1], out[..., 1, 2], out[..., 2, 1], out[..., 2, 2] = c, -s, s, c
    return out
