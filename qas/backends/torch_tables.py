"""Where every gate entry of a compiled circuit lives: the flat real tables of the torch backend.

:class:`~qas.backends.torch_sv.TorchCircuit` never builds a gate matrix on its own. The real
and the imaginary part of every entry is read from one of two flat real tables, and
:func:`build_tables` gives each gate a ``(d, d, 2)`` *template*: the table positions of its
``(re, im)`` entries.

- Shared table (one per forward, input independent):
  ``[constants (0, 1, -1, fixed gates' entries) | trainable entries | other trainable gates]``.
  Trainable entries are ``cos(a0) * cos(a1)`` with ``(a0, a1)`` affine in the parameters: one
  ``addmm`` and one ``cos`` for all gates of the circuit (``cos(t/2)``, ``sin(t/2) = cos(t/2 -
  pi/2)``, ``-x = x cos(pi)``, U3's ``magnitude * cos/sin(phase)``).
- Feature table (per input): ``[feature entries | other feature gates' matrices]``, feature
  entries being ``cos(a0)`` with ``a0`` affine in the features.

Which gates have such entries (rotations, U3) is derived from each kind's matrix
(:mod:`qas.backends.torch_forms`); "other" gates are computed by their kind's matrix function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from qas.backends import torch_forms as forms
from qas.core.circuit import CircuitDAG
from qas.core.gate_matrices import real_dtype
from qas.core.gates import GateKind

#: table positions of the constants 0, 1 and -1
ZERO, ONE, MINUS_ONE = 0, 1, 2

_HALF_PI, _PI = math.pi / 2, math.pi
#: (bias of a0, bias of a1) of a trainable rotation entry ``cos(t/2 + b0) * cos(b1)``
_ROT_TERMS = {forms.CODE_C: (0.0, 0.0), forms.CODE_MINUS_C: (0.0, _PI),
              forms.CODE_S: (-_HALF_PI, 0.0), forms.CODE_MINUS_S: (-_HALF_PI, _PI)}
#: bias of a feature rotation entry ``cos(x/2 + b)``
_ROT_FEATURE_BIAS = {forms.CODE_C: 0.0, forms.CODE_MINUS_C: _PI, forms.CODE_S: -_HALF_PI, forms.CODE_MINUS_S: _HALF_PI}

#: a trainable entry's row: (coefficients of a0, bias of a0, coefficients of a1, bias of a1)
_ParamRow = tuple[dict[int, float], float, dict[int, float], float]


@dataclass(frozen=True)
class Op:
    """One gate of the circuit, as the compiler sees it."""

    kind: GateKind
    qubits: tuple[int, ...]
    source: str  # "none" | "fixed" | "param" | "feature"
    index: tuple[int, ...] = ()  # param indices or (feature,)
    angles: tuple[float, ...] = ()


def circuit_ops(dag: CircuitDAG) -> list[Op]:
    """The gates of a (plain, unweighted) circuit in its canonical order."""
    ops: list[Op] = []
    for g, sl in zip(dag.gates, dag.param_slices()):
        if g.role == "fixed":
            ops.append(Op(g.spec, g.qubits, "fixed", angles=g.angles))
        elif g.role == "trainable":
            ops.append(Op(g.spec, g.qubits, "param", tuple(range(sl.start, sl.stop))))
        elif g.role == "feature":
            ops.append(Op(g.spec, g.qubits, "feature", (g.feature,)))
        else:
            ops.append(Op(g.spec, g.qubits, "none"))
    return ops


@dataclass
class Tables:
    """The tables' layout and every op's template.

    Positions ``< ns`` are in the shared table; ``ns + j`` is position ``j`` of the feature table.
    """

    ops: list[Op]
    templates: dict[int, np.ndarray]
    const: torch.Tensor   # the constants, the head of the shared table
    p_lin: torch.Tensor   # (P, 2 kp): a0, a1 of the trainable entries = params @ p_lin + p_bias
    p_bias: torch.Tensor
    kp: int
    gen_p: list[int]      # op ids of trainable gates computed by their matrix function
    ns: int
    f_lin: torch.Tensor   # (F, kf): a0 of the feature entries = features @ f_lin + f_bias
    f_bias: torch.Tensor
    kf: int
    gen_f: list[int]      # op ids of feature gates computed by their matrix function

    @property
    def nconst(self) -> int:
        return self.const.shape[0]

    @cached_property
    def real(self) -> bool:
        """Every gate matrix is real for all parameters and features: each template's imaginary
        part reads a constant zero (RY, CNOT, CZ, H, SWAP, X, Z, ... but not RX, RZ, U3)."""
        zeros = np.flatnonzero(self.const.numpy() == 0)
        return all(np.isin(t[..., 1], zeros).all() for t in self.templates.values())

    def permutation(self, i: int) -> np.ndarray | None:
        """``s`` with ``(M v)[r] = v[s[r]]`` if op ``i`` is input independent and its matrix ``M``
        permutes the basis (X, CNOT, SWAP, CCX, ...), else None."""
        if self.ops[i].source not in ("none", "fixed"):
            return None
        t, const = self.templates[i], self.const.numpy()
        re, im = const[t[..., 0]], const[t[..., 1]]
        if np.any(im != 0) or not np.all((re == 0) | (re == 1)):
            return None
        if not (np.all(re.sum(0) == 1) and np.all(re.sum(1) == 1)):
            return None
        return re.argmax(1)

    def template_t(self, i: int) -> np.ndarray:
        """Op ``i``'s template, transposed (we multiply row vectors: ``state @ M^T``)."""
        return self.templates[i].transpose(1, 0, 2)

    def embed_t(self, i: int, wires: tuple[int, ...]) -> np.ndarray:
        """Op ``i``'s transposed template inside a block on ``wires`` (in that order, big-endian)."""
        qubits = self.ops[i].qubits
        k, dq = len(wires), len(qubits)
        if wires == qubits:
            return self.template_t(i)
        t = self.template_t(i)
        idx = np.arange(2**k)
        bits = {w: (idx >> (k - 1 - p)) & 1 for p, w in enumerate(wires)}
        sub = sum(bits[q] << (dq - 1 - m) for m, q in enumerate(qubits))
        others = [w for w in wires if w not in qubits]
        rest = sum((bits[w] << p for p, w in enumerate(others)), np.zeros_like(idx))
        out = t[sub[:, None], sub[None, :]]
        out[rest[:, None] != rest[None, :]] = ZERO
        return out


def identity_template(d: int) -> np.ndarray:
    t = np.full((d, d, 2), ZERO, dtype=np.int64)
    t[np.arange(d), np.arange(d), 0] = ONE
    return t


def build_tables(ops: list[Op], num_params: int, num_features: int, dtype: torch.dtype) -> Tables:
    """Lay out the shared and the feature table and give every op its template."""
    rd = real_dtype(dtype)
    consts, const_base = _constants(ops, dtype, rd)
    rot_p, u3_p, gen_p, rot_f, gen_f = _classify(ops)
    nc = len(consts)
    templates: dict[int, np.ndarray] = {}
    for i, base in const_base.items():
        d = _dim(ops[i])
        templates[i] = base + np.arange(d * d * 2).reshape(d, d, 2)

    # shared table: [constants | trainable entries | other trainable gates' matrices]
    p_rows: list[_ParamRow] = []
    for i in rot_p:
        templates[i] = _rotation_template(ops[i], nc, p_rows, False)
    for i in u3_p:
        templates[i] = _u3_template(ops[i], nc, p_rows)
    p_lin, p_bias = _param_affine(p_rows, num_params, rd)
    ns = _generic_templates(ops, gen_p, nc + len(p_rows), templates)

    # feature table: [feature entries | other feature gates' matrices]
    f_rows: list[tuple[int, float]] = []  # (feature, bias) of a0 = feature / 2 + bias
    for i in rot_f:
        templates[i] = _rotation_template(ops[i], ns, f_rows, True)
    flin = np.zeros((num_features, len(f_rows)))
    for r, (j, _) in enumerate(f_rows):
        flin[j, r] = 0.5
    _generic_templates(ops, gen_f, ns + len(f_rows), templates)
    return Tables(
        ops=ops, templates=templates, const=torch.tensor(consts, dtype=rd),
        p_lin=p_lin, p_bias=p_bias, kp=len(p_rows), gen_p=gen_p, ns=ns,
        f_lin=torch.as_tensor(flin, dtype=rd), f_bias=torch.as_tensor([b for _, b in f_rows], dtype=rd),
        kf=len(f_rows), gen_f=gen_f,
    )


def _dim(op: Op) -> int:
    return 2 ** len(op.qubits)


def _constants(ops: list[Op], dtype: torch.dtype, rd: torch.dtype) -> tuple[list[float], dict[int, int]]:
    """The constant head of the shared table: 0, 1, -1, then every input-independent gate's entries."""
    consts: list[float] = [0.0, 1.0, -1.0]
    const_base: dict[int, int] = {}
    for i, op in enumerate(ops):
        if op.source in ("none", "fixed"):
            fn = op.kind.torch_matrix
            angles = [torch.tensor(a, dtype=rd) for a in op.angles]
            m = torch.view_as_real(fn(angles if op.source == "fixed" else (), dtype).resolve_conj())
            const_base[i] = len(consts)
            consts += m.reshape(-1).tolist()
    return consts, const_base


def _classify(ops: list[Op]) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Op ids of trainable rotations, trainable U3 forms, other trainable gates, feature
    rotations and other feature gates."""
    rot_p: list[int] = []
    u3_p: list[int] = []
    gen_p: list[int] = []
    rot_f: list[int] = []
    gen_f: list[int] = []
    for i, op in enumerate(ops):
        if op.source == "param":
            rotation = forms.rotation_codes(op.kind) is not None
            (rot_p if rotation else u3_p if forms.u3_form(op.kind) is not None else gen_p).append(i)
        elif op.source == "feature":
            (rot_f if forms.rotation_codes(op.kind) is not None else gen_f).append(i)
    return rot_p, u3_p, gen_p, rot_f, gen_f


def _rotation_template(op: Op, offset: int, rows: list, feature: bool) -> np.ndarray:
    """A rotation's template; appends a row per distinct +-cos/+-sin entry to ``rows`` (``_ParamRow``
    for a trainable gate, ``(feature, bias)`` for a feature gate), at positions from ``offset``."""
    codes = forms.rotation_codes(op.kind)
    assert codes is not None
    lookup = np.array([ZERO, ONE, MINUS_ONE, 0, 0, 0, 0])
    for code in (forms.CODE_C, forms.CODE_MINUS_C, forms.CODE_S, forms.CODE_MINUS_S):
        if (codes == code).any():
            lookup[code] = offset + len(rows)
            j = op.index[0]
            if feature:
                rows.append((j, _ROT_FEATURE_BIAS[code]))
            else:
                b0, b1 = _ROT_TERMS[code]
                rows.append(({j: 0.5}, b0, {}, b1))
    return lookup[codes]


def _u3_template(op: Op, offset: int, p_rows: list[_ParamRow]) -> np.ndarray:
    """A trainable U3 (or controlled U3): eight ``magnitude * cos/sin(phase)`` rows.

    U3 is ``[[e(g, c), e(g + lam + pi, s)], [e(g + phi, s), e(g + phi + lam, c)]]`` with
    ``e(p, m) = m cos p + i m sin p``, ``g = theta/2``, ``c, s = cos g, sin g``; the textbook
    controlled U3 (``CU3Q``) has ``g = 0`` in the phases.
    """
    th, ph, lm = op.index
    form = forms.u3_form(op.kind)
    g = {} if form == forms.CONTROLLED_U3_TEXTBOOK else {th: 0.5}  # the textbook form has no exp(i theta/2)
    phases = [dict(g), {**g, lm: 1.0}, {**g, ph: 1.0}, {**g, ph: 1.0, lm: 1.0}]
    phase_bias = [0.0, _PI, 0.0, 0.0]
    mag_bias = [0.0, -_HALF_PI, -_HALF_PI, 0.0]
    core = np.empty((2, 2, 2), dtype=np.int64)
    for part, shift in ((0, 0.0), (1, -_HALF_PI)):  # re = mag cos(phase), im = mag sin(phase)
        for k in range(4):
            core[k // 2, k % 2, part] = offset + len(p_rows)
            p_rows.append(({th: 0.5}, mag_bias[k], phases[k], phase_bias[k] + shift))
    if form == forms.U3:
        return core
    t = np.zeros((4, 4, 2), dtype=np.int64)
    t[0, 0, 0] = t[1, 1, 0] = ONE
    t[2:, 2:] = core
    return t


def _param_affine(p_rows: list[_ParamRow], num_params: int, rd: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """``(P, 2 kp)`` coefficients and ``(2 kp,)`` biases of ``a0 | a1`` for every trainable entry."""
    kp = len(p_rows)
    lin = np.zeros((max(num_params, 1), 2 * kp))
    bias = np.zeros(2 * kp)
    for r, (c0, b0, c1, b1) in enumerate(p_rows):
        for j, v in c0.items():
            lin[j, r] += v
        for j, v in c1.items():
            lin[j, kp + r] += v
        bias[r], bias[kp + r] = b0, b1
    return torch.as_tensor(lin[:num_params], dtype=rd), torch.as_tensor(bias, dtype=rd)


def _generic_templates(ops: list[Op], ids: list[int], offset: int, templates: dict[int, np.ndarray]) -> int:
    """Whole matrices, one after the other from ``offset``; returns the position after them."""
    for i in ids:
        d = _dim(ops[i])
        templates[i] = offset + np.arange(d * d * 2).reshape(d, d, 2)
        offset += d * d * 2
    return offset
