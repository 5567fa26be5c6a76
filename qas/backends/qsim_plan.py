"""The plan of the fast qsim path, made once per circuit structure (see :mod:`qas.backends.qsim_fast`).

Every operation becomes a batched gate matrix (:mod:`qas.backends.qsim_matrices`). Gate
angles are sympy expressions; affine ones (the common case: ``theta_3``, ``x_5/pi``,
``0.318*theta_0 + 0.5``) are compiled into a sparse coefficient table (:class:`ParamTable`)
so that all angles of all gates for the whole batch come out of one gather. Operations are
greedily fused into blocks of at most ``max_block_qubits`` qubits, in a way that respects
gate ordering (:func:`fuse`), and each block gets a :class:`BlockProgram` that computes its
unitary for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cirq
import numpy as np
import sympy

from qas.backends.qsim_matrices import ConstMatrix, GateMatrix, UnsupportedGateError, gate_matrix

#: qsim's generic matrix gate accepts at most 6 qubits.
QSIM_MAX_MATRIX_QUBITS = 6


@dataclass
class Plan:
    """A circuit's angles as a :class:`ParamTable` and its operations as fused block programs."""

    params: "ParamTable"
    programs: List["BlockProgram"]
    num_exprs: int


def plan_circuit(circuit: cirq.Circuit, symbols: Sequence[sympy.Symbol], max_block_qubits: int) -> Plan:
    """Analyse ``circuit`` once: batched matrices, their angle table and the fused blocks.

    Raises:
        UnsupportedGateError: naming the first operation that cannot be handled.
        ValueError: if the circuit uses symbols not listed in ``symbols``.
    """
    planned: List[PlannedOp] = []
    exprs: List[sympy.Expr] = []
    for op in circuit.all_operations():
        if op.gate is None:
            raise UnsupportedGateError(f"Operation without a gate is not supported: {op!r}")
        if cirq.is_measurement(op):
            raise UnsupportedGateError(f"Measurements are not supported: {op!r}")
        if len(op.qubits) > QSIM_MAX_MATRIX_QUBITS:
            raise UnsupportedGateError(f"Operations on > {QSIM_MAX_MATRIX_QUBITS} qubits: {op!r}")
        matrix = gate_matrix(op.gate, op)
        start = len(exprs)
        exprs.extend(matrix.exprs)
        planned.append(PlannedOp(matrix, tuple(op.qubits), slice(start, len(exprs))))
    params = ParamTable(exprs, symbols)
    programs = [BlockProgram(b) for b in fuse(planned, max_block_qubits)]
    return Plan(params, programs, len(exprs))


def to_symbols(symbols: Sequence[Union[sympy.Symbol, str]]) -> List[sympy.Symbol]:
    """Symbol names or symbols as sympy symbols; duplicates are an error."""
    out = [sympy.Symbol(s) if isinstance(s, str) else s for s in symbols]
    if len(set(out)) != len(out):
        raise ValueError("`symbols` contains duplicates")
    return out


def flat_float32(u: np.ndarray, batch: Optional[int] = None) -> List[List[float]]:
    """(B|1, d, d) complex -> per-row flat [re, im, re, im, ...] float32 lists (qsim's format)."""
    if batch is not None and u.shape[0] != batch:
        u = np.broadcast_to(u, (batch,) + u.shape[1:])
    return np.ascontiguousarray(u, dtype=np.complex64).view(np.float32).reshape(u.shape[0], -1).tolist()


# ---------------------------------------------------------------------------
# Parameter evaluation
# ---------------------------------------------------------------------------


class ParamTable:
    """Evaluates all gate-parameter expressions for a batch of symbol values.

    Affine expressions (the common case) are stored sparsely -- each gate
    parameter depends on one or two symbols -- as padded ``(num_params, K)``
    symbol-index / coefficient tables, so the whole batch is one gather and a
    short sum.  Anything non-affine falls back to a vectorised
    ``sympy.lambdify``.

    Deliberately no BLAS here or in the other per-call numpy code: the
    products are tiny, and a multi-threaded OpenBLAS call on a loaded 2-core box
    can stall for milliseconds waiting for its worker thread (measured: 3-4x
    slower calls under contention).
    """

    def __init__(self, exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]):
        self.num_symbols = len(symbols)
        index = {s: i for i, s in enumerate(symbols)}
        known = set(symbols)
        terms: List[List[Tuple[int, float]]] = []
        self.b = np.zeros(len(exprs))
        self._nonlinear: List[Tuple[int, Callable[..., np.ndarray]]] = []
        for row, expr in enumerate(exprs):
            free = expr.free_symbols
            unknown = free - known
            if unknown:
                names = ", ".join(sorted(str(s) for s in unknown))
                raise ValueError(f"Circuit parameter expression {expr} uses symbols not in `symbols`: {names}")
            derivs = {s: sympy.diff(expr, s) for s in free}
            if all(not d.free_symbols for d in derivs.values()):
                terms.append([(index[s], float(d)) for s, d in derivs.items() if d != 0])
                self.b[row] = float(expr.subs({s: 0 for s in free}))
            else:
                terms.append([])
                self._nonlinear.append((row, sympy.lambdify(list(symbols), expr, "numpy")))
        width = max((len(t) for t in terms), default=0)
        self._idx = np.zeros((len(exprs), width), dtype=np.intp)
        self._coef = np.zeros((len(exprs), width))
        for row, t in enumerate(terms):
            for j, (col, c) in enumerate(t):
                self._idx[row, j] = col
                self._coef[row, j] = c

    def __call__(self, values: np.ndarray) -> np.ndarray:
        p = np.broadcast_to(self.b, (values.shape[0], self.b.shape[0])).copy()
        for j in range(self._idx.shape[1]):
            p += values[:, self._idx[:, j]] * self._coef[:, j]
        for row, fn in self._nonlinear:
            p[:, row] = fn(*values.T)
        return p


# ---------------------------------------------------------------------------
# Fusion
# ---------------------------------------------------------------------------


@dataclass
class PlannedOp:
    matrix: GateMatrix
    qubits: Tuple[cirq.Qid, ...]
    param_slice: slice


@dataclass
class Barrier:
    """Something fusion must not move gates across on its qubits (a noise channel): it gets a
    block of its own that nothing joins."""

    qubits: Tuple[cirq.Qid, ...]
    payload: object = None


@dataclass
class Block:
    qubits: List[cirq.Qid]
    ops: List[PlannedOp] = field(default_factory=list)
    alive: bool = True
    barrier: Optional[Barrier] = None


def fuse(ops: Sequence["PlannedOp | Barrier"], max_block_qubits: int) -> List[Block]:
    """Greedy, order-preserving fusion of operations into blocks of few qubits.

    ``last[q]`` is the block holding the latest operation on qubit ``q``.  An
    operation joins the single block owning its qubits if the union stays
    small enough (valid: no later block touches those qubits).  If several
    blocks own its qubits they are merged only if each is on the "frontier"
    (no later block touches any of its qubits), so moving them to the end
    cannot reorder non-commuting operations.  Otherwise a new block starts.
    A :class:`Barrier` is a block of its own that no operation joins or merges with, so gates
    never cross it on its qubits; barriers keep their order among themselves.
    """
    blocks: List[Block] = []
    last: Dict[cirq.Qid, int] = {}
    for op in ops:
        if isinstance(op, Barrier):
            blocks.append(Block(list(op.qubits), barrier=op))
            for q in op.qubits:
                last[q] = len(blocks) - 1
            continue
        owners = sorted({last[q] for q in op.qubits if q in last})
        target: Optional[int] = None
        if any(blocks[o].barrier is not None for o in owners):
            owners = []  # a new block: nothing joins or merges across a channel
        if len(owners) == 1:
            blk = blocks[owners[0]]
            extra = [q for q in op.qubits if q not in blk.qubits]
            if len(blk.qubits) + len(extra) <= max_block_qubits:
                blk.qubits.extend(extra)
                target = owners[0]
        elif len(owners) > 1:
            frontier = all(all(last[q] == o for q in blocks[o].qubits) for o in owners)
            union = [q for o in owners for q in blocks[o].qubits]
            union += [q for q in op.qubits if q not in union]
            if frontier and len(union) <= max_block_qubits:
                merged = Block(union, [p for o in owners for p in blocks[o].ops])
                for o in owners:
                    blocks[o].alive = False
                blocks.append(merged)
                target = len(blocks) - 1
                for q in merged.qubits:
                    last[q] = target
        if target is None:
            blocks.append(Block(list(op.qubits)))
            target = len(blocks) - 1
        blocks[target].ops.append(op)
        for q in op.qubits:
            last[q] = target
    return [b for b in blocks if b.alive]


class BlockProgram:
    """Computes one fused block's unitary for a whole batch.

    Each constituent gate is embedded into the block's ``d x d`` space with a
    precomputed gather (``kron`` with identity on the block's other qubits,
    done as one ``take``), then multiplied in with a batched ``matmul``.  For
    ``d <= 8`` this is much faster than ``einsum`` with broadcasting.
    """

    def __init__(self, block: Block):
        self.qubits = tuple(block.qubits)
        k = len(self.qubits)
        self.dim = d = 2**k
        pos = {q: i for i, q in enumerate(self.qubits)}
        # bits[i, j]: value of block qubit j (big-endian, cirq convention) in basis state i.
        bits = (np.arange(d)[:, None] >> (k - 1 - np.arange(k))[None, :]) & 1
        self.steps: List[Tuple[PlannedOp, np.ndarray]] = []
        for op in block.ops:
            m = len(op.qubits)
            g = 2**m
            cols = [pos[q] for q in op.qubits]
            others = [j for j in range(k) if j not in cols]
            weights = 1 << (m - 1 - np.arange(m))
            sub = bits[:, cols] @ weights  # index of each block basis state in the gate's space
            row, col = sub[:, None], sub[None, :]
            same_rest = np.all(bits[:, None, others] == bits[None, :, others], axis=-1)
            # Entries outside the gate's support point at an appended zero (index g*g).
            gather = np.where(same_rest, row * g + col, g * g)
            self.steps.append((op, gather))
        self.constant = all(isinstance(op.matrix, ConstMatrix) for op in block.ops)

    def __call__(self, params: np.ndarray) -> np.ndarray:
        """``params``: (batch, P) -> (batch or 1, dim, dim) complex128 block unitary."""
        u: Optional[np.ndarray] = None
        for op, gather in self.steps:
            g = op.matrix(params[:, op.param_slice])
            flat = np.concatenate([g.reshape(g.shape[0], -1), np.zeros((g.shape[0], 1), g.dtype)], axis=1)
            full = flat[:, gather]
            u = full if u is None else np.matmul(full, u)
        assert u is not None
        return u
