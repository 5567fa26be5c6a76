"""A batched, differentiable statevector simulator on torch: the training backend.

Candidate training needs gradients over thousands of inputs; qsim through ``qsimcirq`` pays
~0.6 ms of Python/Cirq overhead per input circuit (../shared/COSTS.md), so training runs here
and qsim scores. One :class:`TorchCircuit` is compiled per circuit structure and applies each
gate to the whole batch at once. States are ``(B, 2**n)`` in Cirq's big-endian order.

At the sizes we train (4-10 qubits, batches of 32-256) the arithmetic is microseconds; the
cost is the number of torch operations (each ~5-20 µs of dispatch, and again in backward).
So the circuit is compiled into a few large, vectorised operations, with the same maths:

- the real and imaginary part of every gate entry is read from one of two flat real tables:
  constants, and ``cos(a0) * cos(a1)`` with ``a0``, ``a1`` affine in the parameters (one
  ``addmm`` and one ``cos`` for all trainable gates of the circuit: ``cos(t/2)``, ``sin(t/2) =
  cos(t/2 - pi/2)``, U3's ``magnitude * cos/sin(phase)``), or ``cos(a0)`` affine in the
  features. Gate matrices are gathered from the tables with precomputed indices (one
  ``index_select`` + ``view_as_complex`` per group). Which kinds have such entries is
  derived from each kind's own matrix (:mod:`qas.backends.torch_forms`);
- the data-encoding prefix (one-qubit gates that come first on their wires) is built as a
  product state, all wires and the whole batch at once;
- the gates that do not depend on the input are fused greedily into blocks of at most
  ``block_qubits`` qubits (all ``n`` qubits, i.e. one unitary, for ``n <= 5``); each block's
  matrix is the product of its gates' matrices embedded in the block, computed for all blocks
  at once by a balanced tree of batched matmuls. The batch then meets one matmul per block;
- gates that read a feature outside the prefix (a re-uploaded encoding) are fused into chains
  of consecutive gates on the same wires, and chains on single, distinct wires into per-input
  Kronecker products of up to ``KRON_QUBITS`` wires, each applied as one batched matmul.

The maths is the gate-by-gate product; only the float operations differ, so results agree
with a gate-by-gate reference to rounding (complex128: ~1e-15; complex64: ~1e-6 on <Z>, as
before). ``block_qubits`` only changes speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from qas.backends.torch_forms import (CODE_C as _CODE_C, CODE_MINUS_C as _CODE_MINUS_C, CODE_MINUS_S as _CODE_MINUS_S,
                                      CODE_S as _CODE_S, U3, rotation_codes, u3_form)
from qas.core.circuit import CircuitDAG
from qas.core.gates import GateKind
from qas.core.readout import Readout

#: circuits of at most this many qubits fuse all input-independent gates into full unitaries
FULL_UNITARY_MAX_QUBITS = 5
#: otherwise, the largest fused block (in qubits)
BLOCK_QUBITS = 3
#: The most wires whose one-qubit per-input (feature) gates are applied as one Kronecker product.
KRON_QUBITS = 5


@dataclass(frozen=True)
class _Op:
    kind: GateKind
    qubits: tuple[int, ...]
    source: str  # "none" | "fixed" | "param" | "feature"
    index: tuple[int, ...] = ()  # param indices or (feature,)
    angles: tuple[float, ...] = ()


# Table layout. Shared table (one per forward, input independent):
#   [constants (0, 1, -1, fixed gates' entries) | trainable entries | other trainable gates]
# Feature table (per input): [feature entries | other feature gates' matrices].
_ZERO, _ONE, _MINUS_ONE = 0, 1, 2


class TorchCircuit:
    """A compiled circuit: ``state(params, features)`` for a batch of inputs."""

    def __init__(self, dag: CircuitDAG, *, dtype: torch.dtype = torch.complex64,
                 block_qubits: int | None = None) -> None:
        from qas.core.feature_weights import lower

        self.source = dag
        self._lowered = lower(dag)  # weighted feature gates run as plain ones on virtual features
        self.dag = dag = self._lowered.plain if self._lowered is not None else dag
        self.n = dag.num_qubits
        self.dtype = dtype
        self.real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
        if block_qubits is None:
            block_qubits = self.n if self.n <= FULL_UNITARY_MAX_QUBITS else BLOCK_QUBITS
        self.block_qubits = max(2, min(block_qubits, self.n)) if self.n > 1 else 1
        self._compile(dag)

    # -- compilation ----------------------------------------------------------------------
    def _compile(self, dag: CircuitDAG) -> None:
        n = self.n
        ops: list[_Op] = []
        for g, sl in zip(dag.gates, dag.param_slices()):
            if g.role == "fixed":
                ops.append(_Op(g.spec, g.qubits, "fixed", angles=g.angles))
            elif g.role == "trainable":
                ops.append(_Op(g.spec, g.qubits, "param", tuple(range(sl.start, sl.stop))))
            elif g.role == "feature":
                ops.append(_Op(g.spec, g.qubits, "feature", (g.feature,)))
            else:
                ops.append(_Op(g.spec, g.qubits, "none"))
        self._ops = ops
        self._build_tables(ops)

        # Leading one-qubit gates on each wire act on a product state.
        chains: list[list[int]] = [[] for _ in range(n)]
        blocked = [False] * n
        rest: list[int] = []
        for i, op in enumerate(ops):
            if len(op.qubits) == 1 and not blocked[op.qubits[0]]:
                chains[op.qubits[0]].append(i)
            else:
                rest.append(i)
                for q in op.qubits:
                    blocked[q] = True
        # Input-independent gates after a wire's last feature gate are moved to the fused blocks
        # (they come before anything else on their wire), where they cost nothing extra and the
        # per-input product state needs no gradient. With one unitary for the whole rest that is
        # always so; with smaller blocks, only on wires that have later gates to fuse with.
        later = {q for i in rest for q in ops[i].qubits}
        moved: list[int] = []
        for q in range(n):
            if self.block_qubits >= n or q in later:
                last = max((k for k, i in enumerate(chains[q]) if ops[i].source == "feature"), default=-1)
                moved += chains[q][last + 1:]
                chains[q] = chains[q][:last + 1]
        rest = sorted(moved) + rest
        self._compile_prefix(chains)
        self._compile_rest(rest)

    def _build_tables(self, ops: list[_Op]) -> None:
        """Give every op a ``(d, d, 2)`` template of table positions for its (re, im) entries.

        Positions ``< self._ns`` are in the shared table; ``self._ns + j`` is position ``j`` of
        the feature table.
        """
        consts: list[float] = [0.0, 1.0, -1.0]
        rot_p: list[int] = []        # op ids of trainable rotation gates
        u3_p: list[int] = []         # op ids of trainable U3/CU3 gates
        gen_p: list[int] = []        # op ids of other trainable gates
        rot_f: list[int] = []
        gen_f: list[int] = []
        const_base: dict[int, int] = {}
        for i, op in enumerate(ops):
            if op.source in ("none", "fixed"):
                fn = op.kind.torch_matrix
                angles = [torch.tensor(a, dtype=self.real_dtype) for a in op.angles]
                m = torch.view_as_real(fn(angles if op.source == "fixed" else (), self.dtype).resolve_conj())
                const_base[i] = len(consts)
                consts += m.reshape(-1).tolist()
            elif op.source == "param":
                rotation = rotation_codes(op.kind) is not None
                (rot_p if rotation else u3_p if u3_form(op.kind) is not None else gen_p).append(i)
            else:
                (rot_f if rotation_codes(op.kind) is not None else gen_f).append(i)
        self._const = torch.tensor(consts, dtype=self.real_dtype)
        nc = len(consts)
        self._nconst = nc

        def dim(i: int) -> int:
            return 2 ** len(ops[i].qubits)

        templates: dict[int, np.ndarray] = {}
        for i, base in const_base.items():
            d = dim(i)
            templates[i] = base + np.arange(d * d * 2).reshape(d, d, 2)

        # Trainable entries are cos(a0) * cos(a1) with (a0, a1) affine in the parameters, and
        # feature entries cos(a0) with a0 affine in the features: one addmm and one cos for all
        # gates of the circuit (sin x = cos(x - pi/2), -x = x cos(pi)).
        half_pi, pi = math.pi / 2, math.pi
        rot_terms = {_CODE_C: (0.0, 0.0), _CODE_MINUS_C: (0.0, pi), _CODE_S: (-half_pi, 0.0), _CODE_MINUS_S: (-half_pi, pi)}
        rot_feature_bias = {_CODE_C: 0.0, _CODE_MINUS_C: pi, _CODE_S: -half_pi, _CODE_MINUS_S: half_pi}
        p_rows: list[tuple[dict[int, float], float, dict[int, float], float]] = []  # (coef0, bias0, coef1, bias1)
        f_rows: list[tuple[int, float]] = []  # (feature, bias) of a0 = feature / 2 + bias

        def rotation_template(i: int, offset: int, rows: list, feature: bool) -> np.ndarray:
            codes = rotation_codes(ops[i].kind)
            lookup = np.array([_ZERO, _ONE, _MINUS_ONE, 0, 0, 0, 0])
            for code in (_CODE_C, _CODE_MINUS_C, _CODE_S, _CODE_MINUS_S):
                if (codes == code).any():
                    lookup[code] = offset + len(rows)
                    j = ops[i].index[0]
                    if feature:
                        rows.append((j, rot_feature_bias[code]))
                    else:
                        b0, b1 = rot_terms[code]
                        rows.append(({j: 0.5}, b0, {}, b1))
            return lookup[codes]

        def generic_templates(ids: list[int], offset: int) -> int:
            for i in ids:
                d = dim(i)
                templates[i] = offset + np.arange(d * d * 2).reshape(d, d, 2)
                offset += d * d * 2
            return offset

        # shared table: [constants | trainable entries | other trainable gates' matrices]
        for i in rot_p:
            templates[i] = rotation_template(i, nc, p_rows, False)
        for i in u3_p:
            th, ph, lm = ops[i].index
            phases = [{th: 0.5}, {th: 0.5, lm: 1.0}, {th: 0.5, ph: 1.0}, {th: 0.5, ph: 1.0, lm: 1.0}]
            phase_bias = [0.0, pi, 0.0, 0.0]
            mag_bias = [0.0, -half_pi, -half_pi, 0.0]
            core = np.empty((2, 2, 2), dtype=np.int64)
            for part, shift in ((0, 0.0), (1, -half_pi)):  # re = mag cos(phase), im = mag sin(phase)
                for k in range(4):
                    core[k // 2, k % 2, part] = nc + len(p_rows)
                    p_rows.append(({th: 0.5}, mag_bias[k], phases[k], phase_bias[k] + shift))
            if u3_form(ops[i].kind) == U3:
                templates[i] = core
            else:
                t = np.zeros((4, 4, 2), dtype=np.int64)
                t[0, 0, 0] = t[1, 1, 0] = _ONE
                t[2:, 2:] = core
                templates[i] = t
        kp = len(p_rows)
        lin = np.zeros((max(self.dag.num_params, 1), 2 * kp))
        bias = np.zeros(2 * kp)
        for r, (c0, b0, c1, b1) in enumerate(p_rows):
            for j, v in c0.items():
                lin[j, r] += v
            for j, v in c1.items():
                lin[j, kp + r] += v
            bias[r], bias[kp + r] = b0, b1
        self._p_lin = torch.as_tensor(lin[: self.dag.num_params], dtype=self.real_dtype)
        self._p_bias = torch.as_tensor(bias, dtype=self.real_dtype)
        self._kp = kp
        off = nc + kp
        self._gen_p = gen_p
        off = generic_templates(gen_p, off)
        self._ns = off
        # feature table: [feature entries | other feature gates' matrices]
        for i in rot_f:
            templates[i] = rotation_template(i, off, f_rows, True)
        nf = self.dag.num_features
        flin = np.zeros((nf, len(f_rows)))
        for r, (j, _) in enumerate(f_rows):
            flin[j, r] = 0.5
        self._f_lin = torch.as_tensor(flin, dtype=self.real_dtype)
        self._f_bias = torch.as_tensor([b for _, b in f_rows], dtype=self.real_dtype)
        self._kf = len(f_rows)
        self._gen_f = gen_f
        generic_templates(gen_f, off + self._kf)
        self._templates = templates

    def _tmpl_t(self, i: int) -> np.ndarray:
        """The op's template, transposed (we multiply row vectors: ``state @ M^T``)."""
        return self._templates[i].transpose(1, 0, 2)

    @staticmethod
    def _identity(d: int) -> np.ndarray:
        t = np.full((d, d, 2), _ZERO, dtype=np.int64)
        t[np.arange(d), np.arange(d), 0] = _ONE
        return t

    def _embed_t(self, i: int, wires: tuple[int, ...]) -> np.ndarray:
        """Op ``i``'s transposed template inside a block on ``wires`` (in that order, big-endian)."""
        qubits = self._ops[i].qubits
        k, dq = len(wires), len(qubits)
        if wires == qubits:
            return self._tmpl_t(i)
        t = self._tmpl_t(i)
        idx = np.arange(2**k)
        bits = {w: (idx >> (k - 1 - p)) & 1 for p, w in enumerate(wires)}
        sub = sum(bits[q] << (dq - 1 - m) for m, q in enumerate(qubits))
        others = [w for w in wires if w not in qubits]
        rest = sum((bits[w] << p for p, w in enumerate(others)), np.zeros_like(idx))
        out = t[sub[:, None], sub[None, :]]
        out[rest[:, None] != rest[None, :]] = _ZERO
        return out

    def _compile_prefix(self, chains: list[list[int]]) -> None:
        n = self.n
        depth = max((len(c) for c in chains), default=0)
        self._prefix_batched = any(self._ops[i].source == "feature" for c in chains for i in c)
        if depth == 0:
            self._prefix_idx = None
            return
        tp = 1 << (depth - 1).bit_length()
        idx = np.empty((n, tp, 2, 2, 2), dtype=np.int64)
        for q in range(n):
            for t in range(tp):
                idx[q, t] = self._tmpl_t(chains[q][t]) if t < len(chains[q]) else self._identity(2)
        self._prefix_idx = idx
        # Kronecker product in chunks of <= 5 wires: one gather + prod per chunk (an (n, 2**n)
        # gather for all wires at once would be n times the state's size).
        self._kron: list[tuple[int, torch.Tensor]] = []
        for lo in range(0, n, 5):
            w = min(5, n - lo)
            bits = (np.arange(2**w)[None, :] >> np.arange(w - 1, -1, -1)[:, None]) & 1
            self._kron.append((w, torch.as_tensor((bits + 2 * np.arange(lo, lo + w)[:, None]).reshape(-1))))

    def _compile_rest(self, rest: list[int]) -> None:
        """Greedy fusion of input-independent gates into blocks, and of feature gates into chains.

        A feature gate joins the chain of feature gates on the same wires when nothing else has
        touched those wires since (gates on other wires commute with it): a re-uploaded encoding
        layer (RY, RZ, RX, RY on each wire) then costs one per-input matmul per wire, not four.
        """
        kmax = self.block_qubits
        blocks: list[tuple[tuple[int, ...], list[int]]] = []
        chains: list[tuple[tuple[int, ...], list[int]]] = []  # feature chains: (wires, op ids)
        items: list[tuple[str, int]] = []  # ("block", block id) | ("feature", chain id), in order
        open_: dict[int, int] = {}        # wire -> open block id
        block_wires: dict[int, set[int]] = {}
        last_chain: dict[int, int] = {}   # wire -> chain id, while the chain is the wire's last item

        def close(bid: int) -> None:
            for w in block_wires.pop(bid):
                del open_[w]
            items.append(("block", bid))

        for i in rest:
            op = self._ops[i]
            q = set(op.qubits)
            cands = sorted({open_[w] for w in q if w in open_})
            if op.source == "feature":
                cid = last_chain.get(op.qubits[0])
                if cid is not None and chains[cid][0] == op.qubits and all(last_chain.get(w) == cid for w in q):
                    chains[cid][1].append(i)
                    continue
                for bid in cands:
                    close(bid)
                chains.append((op.qubits, [i]))
                items.append(("feature", len(chains) - 1))
                for w in q:
                    last_chain[w] = len(chains) - 1
                continue
            for w in q:
                last_chain.pop(w, None)
            union = set(q).union(*(block_wires[b] for b in cands))
            merge = cands if len(union) <= kmax else [b for b in cands if block_wires[b] <= q]
            for bid in cands:
                if bid not in merge:
                    close(bid)
            gates = [g for bid in merge for g in blocks[bid][1]] + [i]
            wires = set(q).union(*(block_wires[b] for b in merge))
            for bid in merge:
                for w in block_wires.pop(bid):
                    del open_[w]
            bid = len(blocks)
            blocks.append((tuple(sorted(wires)), gates))
            block_wires[bid] = wires
            for w in wires:
                open_[w] = bid
        for bid in sorted(block_wires):
            close(bid)

        # One-wire feature chains on distinct wires become one per-input Kronecker product of up
        # to KRON_QUBITS wires: a re-uploaded encoding layer then meets the state in
        # ceil(n / KRON_QUBITS) matmuls. While such a group is open (last in the order), a block
        # on other wires commutes with it and is moved before it, so it does not split the group.
        kron_max = min(KRON_QUBITS, self.n)
        merged: list[tuple[str, int]] = []
        groups: list[list[int]] = []  # feature item -> its chains (several only when one-wire)
        open_group: set[int] = set()  # wires of the group that ends ``merged``; empty if none
        for kind, x in items:
            if kind == "block":
                if open_group and not open_group & set(blocks[x][0]):
                    merged.insert(len(merged) - 1, (kind, x))
                    continue
                open_group = set()
            elif len(chains[x][0]) == 1:
                w = chains[x][0][0]
                if open_group and w not in open_group and len(open_group) < kron_max:
                    groups[merged[-1][1]].append(x)
                    open_group.add(w)
                    continue
                groups.append([x])
                open_group = {w}
                x = len(groups) - 1
            else:
                groups.append([x])
                open_group = set()
                x = len(groups) - 1
            merged.append((kind, x))
        items = merged

        def group_wires(g: int) -> tuple[int, ...]:
            return tuple(w for c in groups[g] for w in chains[c][0])

        # The state is kept contiguous in a "physical" wire order that the items permute lazily:
        # an item acts on the last k physical axes, so it needs a copy (a permute) only when its
        # wires are not already there; its matrix is built for the wires in that physical order.
        perm = list(range(self.n))
        plan: list[tuple[str, int, tuple[int, ...], tuple[int, ...] | None]] = []
        for kind, x in items:
            wires = blocks[x][0] if kind == "block" else group_wires(x)
            k = len(wires)
            if set(perm[self.n - k:]) == set(wires):
                order, dims = tuple(perm[self.n - k:]), None
            else:
                order = wires
                new = [w for w in perm if w not in wires] + list(order)
                dims = (0,) + tuple(1 + perm.index(w) for w in new)
                perm = new
            plan.append((kind, x, order, dims))
        self._final_dims = None if perm == list(range(self.n)) else (0,) + tuple(1 + perm.index(w) for w in range(self.n))

        # Block matrices: one gather + a tree of matmuls per block size.
        by_size: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
        for kind, x, order, _ in plan:
            if kind == "block":
                by_size.setdefault(len(order), []).append((x, order))
        self._block_idx: dict[int, torch.Tensor] = {}
        where: dict[int, tuple[int, int]] = {}
        for k, entries in by_size.items():
            depth = max(len(blocks[b][1]) for b, _ in entries)
            lp = 1 << (depth - 1).bit_length()
            idx = np.empty((len(entries), lp, 2**k, 2**k, 2), dtype=np.int64)
            for pos, (bid, order) in enumerate(entries):
                gates = blocks[bid][1]
                where[bid] = (k, pos)
                for t in range(lp):
                    idx[pos, t] = self._embed_t(gates[t], order) if t < len(gates) else self._identity(2**k)
            self._block_idx[k] = torch.as_tensor(idx)
        # Per-input (feature) chains outside the prefix: one gather + matmul tree per matrix size;
        # a group of one-wire chains is the Kronecker product of their 2x2 matrices, in ``order``.
        fsizes: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
        fwhere: dict[int, tuple[int, int | torch.Tensor]] = {}  # plan position -> (k, chain position(s))
        for at, (kind, x, order, _) in enumerate(plan):
            if kind != "feature":
                continue
            if len(groups[x]) == 1:
                ids = fsizes.setdefault(len(order), [])
                fwhere[at] = (len(order), len(ids))
                ids.append((groups[x][0], order))
            else:
                by_wire = {chains[c][0][0]: c for c in groups[x]}
                ids = fsizes.setdefault(1, [])
                fwhere[at] = (len(order), torch.arange(len(ids), len(ids) + len(order)))
                ids.extend((by_wire[w], (w,)) for w in order)
        feats = list(fwhere)
        fidx = {}
        for k, ids in fsizes.items():
            lp = 1 << (max(len(chains[c][1]) for c, _ in ids) - 1).bit_length()
            fidx[k] = np.stack([np.stack([self._embed_t(chains[c][1][t], order) if t < len(chains[c][1])
                                          else self._identity(2**k) for t in range(lp)]) for c, order in ids])
        self._items = [(kind, where[x] if kind == "block" else fwhere[at], dims)
                       for at, (kind, x, _, dims) in enumerate(plan)]
        # Per-input tables only need the constants of the shared table unless they read more.
        self._batched = self._prefix_batched or bool(feats)
        per_input = [a for a in ([self._prefix_idx] if self._prefix_batched else []) + list(fidx.values())]
        shared_max = max((int(a[a < self._ns].max(initial=0)) for a in per_input), default=0)
        self._batch_head = self._nconst if shared_max < self._nconst else self._ns
        shift = self._ns - self._batch_head

        def remap(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.where(a >= self._ns, a - shift, a))

        self._feature_idx = {k: remap(a) for k, a in fidx.items()}
        if self._prefix_idx is not None:
            self._prefix_idx = remap(self._prefix_idx) if self._prefix_batched else torch.as_tensor(self._prefix_idx)

    # -- tables ---------------------------------------------------------------------------
    def _shared_table(self, params: torch.Tensor) -> torch.Tensor:
        parts = [self._const]
        if self._kp:
            a = torch.addmm(self._p_bias, params[None], self._p_lin).view(2, self._kp).cos()
            parts.append(a[0] * a[1])
        for i in self._gen_p:
            op = self._ops[i]
            m = op.kind.torch_matrix([params[j] for j in op.index], self.dtype)
            parts.append(torch.stack([m.real, m.imag], -1).reshape(-1))  # (not view_as_real: odd offsets in backward)
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    def _feature_table(self, features: torch.Tensor | None, b: int) -> torch.Tensor:
        parts = []
        if self._kf:
            assert features is not None
            parts.append(torch.addmm(self._f_bias, features[:, : self.dag.num_features], self._f_lin).cos())
        for i in self._gen_f:
            assert features is not None
            op = self._ops[i]
            m = op.kind.torch_matrix([features[:, op.index[0]]], self.dtype)
            parts.append(torch.stack([m.real, m.imag], -1).reshape(b, -1))
        return torch.cat(parts, 1) if len(parts) > 1 else parts[0] if parts else torch.zeros(b, 0, dtype=self.real_dtype)

    # -- simulation -----------------------------------------------------------------------
    def state(self, params: torch.Tensor | np.ndarray | Sequence[float], features: torch.Tensor | np.ndarray | None = None,
              batch_size: int | None = None) -> torch.Tensor:
        """Final states ``(B, 2**n)``; ``B`` is the number of feature rows (1 without data)."""
        src = self.source  # checked against the circuit as given; then run as its plain form
        params = torch.as_tensor(params, dtype=self.real_dtype)
        if features is not None:
            features = torch.as_tensor(features, dtype=self.real_dtype)
            if features.ndim != 2 or features.shape[1] < src.num_features:
                raise ValueError(f"features must be (batch, >= {src.num_features}), got {tuple(features.shape)}")
        elif src.num_features:
            raise ValueError(f"this circuit reads {src.num_features} features; none given")
        if params.shape != (src.num_params,):
            raise ValueError(f"expected {src.num_params} parameters, got shape {tuple(params.shape)}")
        if self._lowered is not None:
            params, features = self._lowered.params(params), self._lowered.features(params, features)
        b = features.shape[0] if features is not None else (batch_size or 1)
        n, dim = self.n, 2**self.n

        shared = self._shared_table(params)
        if self._batched:
            head = shared if self._batch_head == self._ns else self._const
            per_input = torch.cat([head.expand(b, -1), self._feature_table(features, b)], 1)

        # product state of the prefix: (rows, n, 2) one-qubit states, then their Kronecker product
        if self._prefix_idx is None:
            state = torch.zeros(1, dim, dtype=self.dtype)
            state[:, 0] = 1
        else:
            src = per_input if self._prefix_batched else shared[None]
            m = _tree(_gather(src, self._prefix_idx))  # (rows, n, 2, 2), transposed
            v = m[:, :, 0, :].reshape(m.shape[0], 2 * n)
            vr = torch.view_as_real(v)  # index_select is several times faster on real tensors
            state = None
            for w, idx in self._kron:
                part = torch.view_as_complex(vr.index_select(1, idx)).view(-1, w, 2**w).prod(1)
                state = part if state is None else (state[:, :, None] * part[:, None, :]).reshape(part.shape[0], -1)

        mats = {k: _tree(_gather(shared[None], idx)[0]) for k, idx in self._block_idx.items()}
        fmats = {k: _tree(_gather(per_input, idx)) for k, idx in self._feature_idx.items()}
        rows = state.shape[0]
        for kind, (k, pos), dims in self._items:
            if kind == "feature" and rows != b:
                state, rows = state.expand(b, dim), b
            if dims is None:
                flat = state.view(rows, -1, 2**k)
            else:
                flat = state.view((rows,) + (2,) * n).permute(dims).reshape(rows, -1, 2**k)
            if kind == "block":
                state = (flat @ mats[k][pos]).view(rows, dim)
            else:
                m = fmats[k][:, pos] if isinstance(pos, int) else _kron(fmats[1].index_select(1, pos))
                state = torch.bmm(flat, m).view(rows, dim)
        if self._final_dims is not None:
            state = state.view((rows,) + (2,) * n).permute(self._final_dims).reshape(rows, dim)
        if rows != b:
            state = state.expand(b, dim).contiguous()
        return state


def _gather(table: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Complex ``(rows,) + idx.shape[:-1]`` from a real ``(rows, T)`` table and ``(..., 2)`` (re, im) positions."""
    out = table.index_select(1, idx.reshape(-1)).view((table.shape[0],) + tuple(idx.shape))
    return torch.view_as_complex(out)


def _kron(m: torch.Tensor) -> torch.Tensor:
    """``(rows, w, 2, 2)`` one-wire matrices -> ``(rows, 2**w, 2**w)`` Kronecker products, first wire first."""
    out = m[:, 0]
    for j in range(1, m.shape[1]):
        d = out.shape[-1] * 2
        out = (out[:, :, None, :, None] * m[:, j, None, :, None, :]).reshape(-1, d, d)
    return out


def _tree(x: torch.Tensor) -> torch.Tensor:
    """``x[..., 0, :, :] @ x[..., 1, :, :] @ ...`` over axis -3 (a power of two), as a balanced tree."""
    while x.shape[-3] > 1:
        a, b = x.unflatten(-3, (-1, 2)).unbind(-3)
        x = a @ b
    return x.squeeze(-3)


# -- readouts ------------------------------------------------------------------------------
_Z_SIGNS: dict[tuple[int, torch.dtype], torch.Tensor] = {}
_HAMILTONIANS: dict[tuple, torch.Tensor] = {}


def z_signs(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(2**n, n)`` matrix of Z eigenvalues: row = basis state, column = qubit (big-endian)."""
    key = (n, dtype)
    if key not in _Z_SIGNS:
        idx = torch.arange(2**n)
        bits = (idx[:, None] >> torch.arange(n - 1, -1, -1)[None, :]) & 1
        _Z_SIGNS[key] = (1 - 2 * bits).to(dtype)
    return _Z_SIGNS[key]


def hamiltonian_matrix(hamiltonian: tuple[tuple[float, str], ...], n: int, dtype: torch.dtype) -> torch.Tensor:
    from qas.core.readout import pauli_matrix

    key = (hamiltonian, n, dtype)
    if key not in _HAMILTONIANS:
        _HAMILTONIANS[key] = torch.as_tensor(pauli_matrix(hamiltonian, n), dtype=dtype)
    return _HAMILTONIANS[key]


def readout(state: torch.Tensor, spec: Readout, n: int) -> torch.Tensor:
    """Apply a task's :class:`~qas.tasks.base.Readout` to a batch of states (differentiable)."""
    if spec.kind == "state":
        return state
    probs = torch.view_as_real(state.resolve_conj()).square().sum(-1)  # = re**2 + im**2, in fewer ops
    if spec.kind == "z":
        return probs @ z_signs(n, probs.dtype)
    if spec.kind == "energy":
        h = hamiltonian_matrix(spec.hamiltonian, n, state.dtype)
        return torch.einsum("bi,bi->b", state.conj(), state @ h.T).real
    raise ValueError(f"unknown readout {spec.kind!r}")


def torch_readout(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout,
                  *, dtype: torch.dtype = torch.complex64, chunk: int = 4096) -> np.ndarray:
    """Non-differentiable convenience: the readout as float64/complex128 numpy, in chunks."""
    circ = TorchCircuit(dag, dtype=dtype)
    with torch.no_grad():
        if features is None:
            return readout(circ.state(params), spec, dag.num_qubits).numpy()
        parts = [readout(circ.state(params, features[i:i + chunk]), spec, dag.num_qubits).numpy()
                 for i in range(0, len(features), chunk)]
    return np.concatenate(parts)
