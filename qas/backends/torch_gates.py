"""Gate matrices as differentiable torch functions of their angles, one per gate kind.

Each function takes a list of angle tensors (shape ``()`` for shared angles or ``(B,)`` for
per-input angles) and returns ``(..., d, d)`` complex matrices equal to ``cirq.unitary`` of
the Cirq gate that :mod:`qas.core.gates` builds, phase included (a test checks every kind).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

Angles = Sequence[torch.Tensor]
MatrixFn = Callable[[Angles, torch.dtype], torch.Tensor]


def _const(rows: list[list[complex]]) -> MatrixFn:
    def fn(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
        return torch.tensor(rows, dtype=dtype)

    return fn


def _c(re: torch.Tensor, im: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return torch.complex(re, im).to(dtype)


def _stack2(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.stack([a, b], -1), torch.stack([c, d], -1)], -2)


def _real_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.complex128 else torch.float32


def rx(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    t = angles[0].to(_real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return _stack2(_c(c, z, dtype), _c(z, -s, dtype), _c(z, -s, dtype), _c(c, z, dtype))


def ry(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    t = angles[0].to(_real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return _stack2(_c(c, z, dtype), _c(-s, z, dtype), _c(s, z, dtype), _c(c, z, dtype))


def rz(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    t = angles[0].to(_real_dtype(dtype)) / 2
    c, s, z = torch.cos(t), torch.sin(t), torch.zeros_like(t)
    return _stack2(_c(c, -s, dtype), _c(z, z, dtype), _c(z, z, dtype), _c(c, s, dtype))


def u3(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    """Cirq's PhasedXZ form of U3, which is ``exp(i theta/2) u3(theta, phi, lam)``."""
    rd = _real_dtype(dtype)
    theta, phi, lam = (a.to(rd) for a in angles)
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    g = theta / 2

    def e(phase: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
        return _c(mag * torch.cos(phase), mag * torch.sin(phase), dtype)

    return _stack2(e(g, c), e(g + lam + math.pi, s), e(g + phi, s), e(g + phi + lam, c))


def rzz(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
    t = angles[0].to(_real_dtype(dtype)) / 2
    minus = _c(torch.cos(t), -torch.sin(t), dtype)
    plus = _c(torch.cos(t), torch.sin(t), dtype)
    return torch.diag_embed(torch.stack([minus, plus, plus, minus], -1))


def controlled(sub: MatrixFn) -> MatrixFn:
    def fn(angles: Angles, dtype: torch.dtype) -> torch.Tensor:
        u = sub(angles, dtype)
        out = torch.zeros(u.shape[:-2] + (4, 4), dtype=dtype)
        out[..., 0, 0] = 1
        out[..., 1, 1] = 1
        out[..., 2:, 2:] = u
        return out

    return fn


_S2 = 1 / math.sqrt(2)
_T = complex(math.cos(math.pi / 4), math.sin(math.pi / 4))

MATRICES: dict[str, MatrixFn] = {
    "X": _const([[0, 1], [1, 0]]),
    "Y": _const([[0, -1j], [1j, 0]]),
    "Z": _const([[1, 0], [0, -1]]),
    "H": _const([[_S2, _S2], [_S2, -_S2]]),
    "S": _const([[1, 0], [0, 1j]]),
    "T": _const([[1, 0], [0, _T]]),
    "RX": rx,
    "RY": ry,
    "RZ": rz,
    "U3": u3,
    "CNOT": _const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
    "CZ": _const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]]),
    "SWAP": _const([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "RZZ": rzz,
    "CRX": controlled(rx),
    "CRY": controlled(ry),
    "CRZ": controlled(rz),
    "CU3": controlled(u3),
}
