"""A batched, differentiable statevector simulator on torch: the training backend.

Candidate training needs gradients over thousands of inputs; qsim through ``qsimcirq`` pays
~0.6 ms of Python/Cirq overhead per input circuit (../shared/COSTS.md), so training runs here
and qsim scores. One :class:`TorchCircuit` is compiled per circuit structure and applies each
gate to the whole batch at once. States are ``(B, 2**n)`` in Cirq's big-endian order.

At the sizes we train (4-10 qubits, batches of 32-256) the arithmetic is microseconds; the
cost is the number of torch operations (each ~5-20 µs of dispatch, and again in backward).
So the circuit is compiled (:mod:`qas.backends.torch_plan`) into a few large, vectorised
operations, with the same maths, which :meth:`TorchCircuit.state` runs:

- every gate entry is gathered from two flat real tables (:mod:`qas.backends.torch_tables`):
  the shared one, input independent, comes out of one ``addmm`` and one ``cos`` for all
  trainable gates; the per-input one likewise for the feature gates;
- the data-encoding prefix is a product state, all wires and the whole batch at once; the
  first fused blocks, until one joins every wire, act on the product of their wires' factors
  only (``torch_plan.factor_blocks``: a 10-qubit QNN's first two blocks on 16 and 128
  amplitudes a row, not 1,024), and then the factors are multiplied into the state;
- the input-independent gates meet the batch as one matmul per fused block (all ``n`` qubits,
  i.e. one unitary, for ``n <= 5``), each block's matrix a balanced tree of batched matmuls;
  between blocks the state is held as ``(2**n, B)``, the batch innermost, so that bringing a
  block's wires together copies runs of ``B`` amplitudes (a single state: one gather); a block
  whose wires are consecutive axes already applies in place, as one batched matmul;
- re-uploaded feature gates meet it as per-input chains and Kronecker products (a product on
  every wire as two half-size ones from both sides, :func:`_kron_apply`);
- :meth:`TorchCircuit.outputs` (the trainer's path) reads ``<Z>`` in the last step's wire order
  and reorders the n outputs, not the state; without autograd it runs a large batch in chunks
  of rows whose states stay in cache (``CHUNK_BYTES``);
- a circuit whose gates are all real (RY, CNOT, CZ, H, ...: most VQE ansätze) runs on real
  amplitudes throughout, half the arithmetic and no complex autograd (``real=None``, the default,
  decides from the gates; :meth:`TorchCircuit.state` still returns complex unless asked not to).

The maths is the gate-by-gate product; only the float operations differ, so results agree
with a gate-by-gate reference to rounding (complex128: ~1e-15; complex64: ~1e-6 on <Z>, as
before). ``block_qubits`` only changes speed.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from qas.backends.torch_plan import KRON_QUBITS, Program, compile_circuit
from qas.core.circuit import CircuitDAG
from qas.core.readout import Readout

__all__ = ["BATCH_BLOCK_QUBITS", "BLOCK_QUBITS", "CHUNK_BYTES", "FULL_UNITARY_MAX_QUBITS", "KRON_QUBITS", "TorchCircuit", "hamiltonian_matrix",
           "readout", "torch_readout", "z_signs"]

#: circuits of at most this many qubits fuse all input-independent gates into full unitaries
FULL_UNITARY_MAX_QUBITS = 5
#: otherwise, the largest fused blocks (in qubits) tried for a circuit without data (a batch
#: of one state): the plan of fewer steps is kept (``torch_plan.plan_cost``). Neither size wins
#: alone: 4 over 3 is 0.85-1.18x on 8-qubit VQEs, the kept one 0.98-1.20x over 3
#: (experiments/bench_block_size.py)
BLOCK_QUBITS = (3, 4)
#: ... and of a circuit that reads features (a batch of states: 4 over 3 is 1.01-1.30x on
#: 10-qubit QNNs, the same script)
BATCH_BLOCK_QUBITS = 4
#: :meth:`TorchCircuit.outputs` without autograd (scoring) runs a batch in chunks of rows whose
#: states take at most this many bytes: 10-qubit QNNs' readout of fashion-10's 3,000 validation
#: images 1.92-2.25x faster in chunks of 4 MiB (512 rows) than whole, a training step at batch
#: 256 no faster in chunks of 1 MiB (0.87-1.03x: its graph keeps every state anyway), so
#: training takes its batch whole (experiments/bench_chunks.py)
CHUNK_BYTES = 2**22


class TorchCircuit:
    """A compiled circuit: ``state(params, features)`` for a batch of inputs."""

    def __init__(self, dag: CircuitDAG, *, dtype: torch.dtype = torch.complex64,
                 block_qubits: int | tuple[int, ...] | None = None, real: bool | None = None) -> None:
        from qas.core.feature_weights import lower

        self.source = dag
        self._lowered = lower(dag)  # weighted feature gates run as plain ones on virtual features
        self.dag = dag = self._lowered.plain if self._lowered is not None else dag
        self.n = dag.num_qubits
        self.dtype = dtype
        self.real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
        if block_qubits is None:
            block_qubits = (self.n if self.n <= FULL_UNITARY_MAX_QUBITS
                            else BATCH_BLOCK_QUBITS if dag.num_features else BLOCK_QUBITS)
        sizes = (block_qubits,) if isinstance(block_qubits, int) else block_qubits
        sizes = tuple(sorted({max(2, min(k, self.n)) if self.n > 1 else 1 for k in sizes}))
        self.program: Program = compile_circuit(dag, dtype=dtype, block_qubits=sizes)
        #: the largest fused block, in qubits (of the sizes tried, the one kept)
        self.block_qubits = self.program.block_qubits
        if real and not self.program.tables.real:
            raise ValueError("real=True needs a circuit whose gates are all real (no RX, RZ, U3, ...)")
        if self.program.tables.real and real is not False:
            self.program = self.program.real_part()
        #: the amplitudes' dtype: real for a real circuit (see ``real``)
        self.state_dtype = self.real_dtype if self.program.real else dtype
        self._positions: dict[tuple[int, ...], torch.Tensor] = {}  # see _permuted

    @property
    def _one_unitary(self) -> bool:
        """The gates after the prefix are one unitary on all wires (n <= FULL_UNITARY_MAX_QUBITS)."""
        items = self.program.items
        return (len(items) == 1 and items[0][0] == "block" and items[0][1][0] == self.n
                and items[0][2] is None and self.program.final_dims is None and not self.program.factored)

    # -- the two tables -------------------------------------------------------------------
    def _shared_table(self, params: torch.Tensor) -> torch.Tensor:
        t = self.program.tables
        parts = [t.const]
        if t.kp:
            a = torch.addmm(t.p_bias, params[None], t.p_lin).view(2, t.kp).cos()
            parts.append(a[0] * a[1])
        for i in t.gen_p:
            op = t.ops[i]
            m = op.kind.torch_matrix([params[j] for j in op.index], self.dtype)
            parts.append(torch.stack([m.real, m.imag], -1).reshape(-1))  # (not view_as_real: odd offsets in backward)
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    def _feature_table(self, features: torch.Tensor | None, b: int) -> torch.Tensor:
        t = self.program.tables
        parts = []
        if t.kf:
            assert features is not None
            parts.append(torch.addmm(t.f_bias, features[:, : self.dag.num_features], t.f_lin).cos())
        for i in t.gen_f:
            assert features is not None
            op = t.ops[i]
            m = op.kind.torch_matrix([features[:, op.index[0]]], self.dtype)
            parts.append(torch.stack([m.real, m.imag], -1).reshape(b, -1))
        return torch.cat(parts, 1) if len(parts) > 1 else parts[0] if parts else torch.zeros(b, 0, dtype=self.real_dtype)

    # -- simulation -----------------------------------------------------------------------
    def state(self, params: torch.Tensor | np.ndarray | Sequence[float], features: torch.Tensor | np.ndarray | None = None,
              batch_size: int | None = None, *, as_complex: bool = True) -> torch.Tensor:
        """Final states ``(B, 2**n)``; ``B`` is the number of feature rows (1 without data).

        A real circuit's states are real (``state_dtype``) with ``as_complex=False``, which
        :func:`readout` takes as they are (the trainer's path)."""
        run, b = self._prepare(params, features, batch_size)
        state = run(0, b)
        return state.to(self.dtype) if as_complex and self.program.real else state

    def outputs(self, params: torch.Tensor | np.ndarray | Sequence[float], features: torch.Tensor | np.ndarray | None,
                spec: Readout, batch_size: int | None = None, *, chunk: int | None = None) -> torch.Tensor:
        """``readout(state(params, features, as_complex=False), spec, n)`` (differentiable), the
        trainer's path.

        Without autograd (scoring) the rows run in chunks of :meth:`chunk_rows` (or ``chunk``),
        each chunk from its product state to its readout while its amplitudes are in cache,
        and only the outputs are joined. A training step (autograd on) takes the batch whole
        unless ``chunk`` says otherwise: its graph keeps every intermediate state for the
        backward pass, so chunks gain nothing there (experiments/bench_chunks.py)."""
        run, b = self._prepare(params, features, batch_size)
        if chunk is None:
            chunk = b if torch.is_grad_enabled() else self.chunk_rows()
        final = self.program.final_dims
        # <Z> per wire does not need the state back in the basis order: read it per wire axis
        # and reorder the n columns (a batch's final permute and its backward are two copies of
        # the state); final_dims[w] is the axis that holds wire w
        axes = list(final[: self.n]) if spec.kind == "z" and isinstance(final, tuple) else None

        def read(lo: int, hi: int) -> torch.Tensor:
            if axes is None:
                return readout(run(lo, hi), spec, self.n)
            return readout(run(lo, hi, in_layout=True), spec, self.n)[:, axes]

        if not self.program.batched or chunk >= b:
            return read(0, b)
        return torch.cat([read(lo, min(lo + chunk, b)) for lo in range(0, b, chunk)])

    def chunk_rows(self) -> int:
        """Rows per chunk in :meth:`outputs`: states of at most ``CHUNK_BYTES`` together."""
        return max(1, CHUNK_BYTES // (2**self.n * self.state_dtype.itemsize))

    def _prepare(self, params: torch.Tensor | np.ndarray | Sequence[float], features: torch.Tensor | np.ndarray | None,
                 batch_size: int | None) -> tuple[Callable[..., torch.Tensor], int]:
        """The input-independent matrices, once; returns ``run(lo, hi, in_layout=False)``, the
        states of rows ``lo:hi`` (all ``b`` rows of a circuit that reads no feature; with
        ``in_layout``, their wire axes as the last step left them: ``final_dims`` not applied),
        and ``b``."""
        params, features = self._inputs(params, features)
        b = features.shape[0] if features is not None else (batch_size or 1)
        prog = self.program
        shared = self._shared_table(params)
        per_input = None
        if prog.batched:
            head = shared if prog.batch_head == prog.tables.ns else prog.tables.const
            per_input = torch.cat([head.expand(b, -1), self._feature_table(features, b)], 1)
        mats = self._block_matrices(shared)

        def run(lo: int, hi: int, in_layout: bool = False) -> torch.Tensor:
            rows = per_input if per_input is None or (lo, hi) == (0, b) else per_input[lo:hi]
            if prog.factored:
                state = self._factored_state(self._prefix_wires(shared, rows), mats)
            else:
                state = self._prefix_state(shared, rows)
            return self._apply_items(state, mats, rows, hi - lo if prog.batched else b, in_layout)

        return run, b

    def _inputs(self, params: torch.Tensor | np.ndarray | Sequence[float],
                features: torch.Tensor | np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Checked against the circuit as given; returned for its plain (lowered) form."""
        src = self.source
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
        return params, features

    def _prefix_wires(self, shared: torch.Tensor, per_input: torch.Tensor | None) -> torch.Tensor:
        """The prefix's one-qubit states, ``(rows, n, 2)``."""
        prog = self.program
        src = per_input if prog.prefix_batched else shared[None]
        return _tree(_gather(src, prog.prefix_idx, prog.real))[:, :, 0, :]  # the first row of each transposed product

    def _prefix_state(self, shared: torch.Tensor, per_input: torch.Tensor | None) -> torch.Tensor:
        """The product state of the prefix: (rows, n, 2) one-qubit states, then their Kronecker product."""
        prog, n = self.program, self.n
        if prog.prefix_idx is None:
            state = torch.zeros(1, 2**n, dtype=self.state_dtype)
            state[:, 0] = 1
            return state
        m = self._prefix_wires(shared, per_input)
        v = m.reshape(m.shape[0], 2 * n)
        state = None
        for w, idx in prog.kron:
            if prog.real:
                part = v.index_select(1, idx)
            else:  # index_select is several times faster on real tensors
                part = torch.view_as_complex(torch.view_as_real(v).index_select(1, idx))
            part = part.view(-1, w, 2**w).prod(1)
            state = part if state is None else (state[:, :, None] * part[:, None, :]).reshape(part.shape[0], -1)
        return state

    def _block_matrices(self, shared: torch.Tensor) -> dict[str, dict[int, tuple[torch.Tensor, ...]]]:
        """The fused blocks' matrices, per size: ``left`` as ``M`` (``M @ psi``), ``right`` as ``M^T``."""
        prog = self.program
        # unbound once: indexing per step would cost a zero-filled copy of the stack each in backward
        # (and made the blocks' own matrices, for column states: mm's backward is slower on a transposed view)
        trees = {k: _halves_tree(_gather(shared, idx, prog.real)) for k, idx in prog.block_idx.items()}
        if self._one_unitary:
            return {"whole": {self.n: (trees[self.n].squeeze(0),)}}
        return {"left": {k: t.mT.contiguous().unbind(0) for k, t in trees.items() if k in prog.left_sizes},
                "right": {k: t.unbind(0) for k, t in trees.items() if k in prog.right_sizes}}  # transposed, as they come

    def _factored_state(self, wires: torch.Tensor, blocks: dict[str, dict[int, tuple[torch.Tensor, ...]]]) -> torch.Tensor:
        """``(2**n, rows)``, the batch innermost, in the wire order after the blocks that act on
        the product state's factors (``torch_plan.factor_blocks``): each block on the product of
        its wires' factors only, then all factors multiplied together."""
        prog, mats = self.program, blocks["left"]
        rows = wires.shape[0]
        # per wire (2, rows), contiguous: a product of strided factors comes out strided (torch
        # follows its inputs' layout), and the last one's copy into the state cost 10x its product
        slots: list[torch.Tensor | None] = list(wires.permute(1, 2, 0).contiguous().unbind(0))

        def product(ids: tuple[int, ...]) -> torch.Tensor:
            out = slots[ids[0]]
            for s in ids[1:]:
                out = (out[:, None, :] * slots[s][None, :, :]).reshape(-1, rows)
            return out

        for (k, pos), ids, dims in prog.factored[:-1] if prog.join_wires else prog.factored:
            t = product(ids)
            g = t.shape[0].bit_length() - 1
            if dims is not None:
                t = t.reshape((2,) * g + (rows,)).permute(dims).reshape(2**g, rows)
            slots[ids[0]] = (mats[k][pos] @ t.reshape(2**k, -1)).view(2**g, rows)
        if not prog.join_wires:
            return product(prog.factor_slots)
        # the joining block: its matrix times the product of the whole factors is, per row, a
        # (2**k, 2**c) matrix, and the state its sum of products with the cut factor's 2**c slices
        (k, pos), ids, dims = prog.factored[-1]
        c, cut = prog.join_wires, slots[ids[0]]
        g = cut.shape[0].bit_length() - 1
        if dims is not None:
            cut = cut.reshape((2,) * g + (rows,)).permute(dims).reshape(2**g, rows)
        m = (mats[k][pos].reshape(2 ** (k + c), -1) @ product(ids[1:])).view(2**k, 2**c, 1, rows)
        cut = cut.view(2**c, 2 ** (g - c), rows)
        state = m[:, 0] * cut[0]
        for j in range(1, 2**c):
            state = state.addcmul(m[:, j], cut[j])
        return state.view(2**self.n, rows)

    def _apply_items(self, state: torch.Tensor, blocks: dict[str, dict[int, tuple[torch.Tensor, ...]]],
                     per_input: torch.Tensor | None, b: int, in_layout: bool = False) -> torch.Tensor:
        """The fused blocks and feature chains after the prefix, each one matmul on the batch.

        They run on the state as ``(2**n, rows)``, the batch innermost, each step's wires first
        (``torch_plan.physical_order``); the result is returned as its ``(rows, 2**n)`` transpose,
        a view that :func:`readout` takes as it is."""
        prog, n, dim = self.program, self.n, 2**self.n
        if not prog.items and prog.final_dims is None and not prog.factored:
            return state.expand(b, dim).contiguous() if state.shape[0] != b else state
        if self._one_unitary:  # the whole rest (n <= FULL_UNITARY_MAX_QUBITS): rows first, no transposes
            state = state @ blocks["whole"][n][0]
            return state.expand(b, dim).contiguous() if state.shape[0] != b else state
        mats, right = blocks["left"], blocks["right"]
        fmats = {k: _tree(_gather(per_input, idx, prog.real)) for k, idx in prog.feature_idx.items()}
        if prog.factored:  # (2**n, rows) already
            rows = state.shape[1]
        else:
            rows = state.shape[0]
            state = state.T.contiguous()
        for kind, (k, pos), reorder in prog.items:
            if kind == "feature" and rows != b:
                state, rows = state.expand(dim, b), b
            if isinstance(reorder, int):  # the block's wires are the axes from ``reorder`` on: in place
                m = mats[k][pos]
                state = torch.bmm(m.expand(2**reorder, *m.shape), state.view(2**reorder, 2**k, -1)).view(dim, rows)
                continue
            if reorder is not None:
                state = self._permuted(state, reorder, rows)
            if kind == "block":
                state = (mats[k][pos] @ state.reshape(2**k, -1)).view(dim, rows)
            elif kind == "right":  # a single state, its last k wire axes
                state = (state.reshape(-1, 2**k) @ right[k][pos]).view(dim, rows)
            elif not isinstance(pos, int) and k == n and k > 1:
                state = _kron_apply(state, fmats[1].index_select(1, pos), rows)
            else:
                m = fmats[k][:, pos] if isinstance(pos, int) else _kron(fmats[1].index_select(1, pos))
                # per input: rows first for the batched matmul, and back
                per_row = torch.bmm(state.reshape(2**k, -1, rows).permute(2, 1, 0), m)
                state = per_row.permute(2, 1, 0).reshape(dim, rows)
        if prog.final_dims is not None and not in_layout:
            state = self._permuted(state, prog.final_dims, rows)
        if rows != b:
            state = state.expand(dim, b)
        return state.T

    def _permuted(self, state: torch.Tensor, dims: tuple[int, ...] | torch.Tensor, rows: int) -> torch.Tensor:
        """``(2**n, rows)`` with its wire axes permuted by ``dims`` (the batch axis last), contiguous,
        or gathered at the positions ``dims`` (a single state's plan, ``torch_plan.single_state_order``).

        A single state (no batch) takes one ``index_select`` of precomputed positions: fewer
        autograd nodes than view-permute-copy, 1.12x on an 8-qubit VQE's step; a batch takes the
        permute, whose runs of ``rows`` copy faster than a gather scatters back (0.93x at 256)."""
        n = self.n
        if isinstance(dims, torch.Tensor):
            return state.index_select(0, dims)
        if rows > 1:
            return state.reshape((2,) * n + (rows,)).permute(dims).reshape(2**n, rows)
        if dims not in self._positions:
            self._positions[dims] = torch.arange(2**n).view((2,) * n).permute(dims[:n]).reshape(-1)
        return state.index_select(0, self._positions[dims])


def _gather(table: torch.Tensor, idx: torch.Tensor, real: bool = False) -> torch.Tensor:
    """Complex ``(rows,) + idx.shape[:-1]`` from a real ``(rows, T)`` table and ``(..., 2)`` (re, im)
    positions; with ``real``, real ``(rows,) + idx.shape`` from positions of real parts alone.
    A ``(T,)`` table (the shared one) gives no ``rows`` axis."""
    out = table.index_select(table.ndim - 1, idx.reshape(-1)).view(table.shape[:-1] + tuple(idx.shape))
    return out if real else torch.view_as_complex(out)


def _kron_apply(state: torch.Tensor, m: torch.Tensor, rows: int) -> torch.Tensor:
    """``(2**w, rows)`` states times the per-input Kronecker products of ``(rows, w, 2, 2)``
    one-wire matrices (transposed, as :func:`_kron` takes them), on all ``w`` wires, without
    building the ``2**w``-square products: each row's state as a ``2**a x 2**b`` matrix ``X``
    (``a = w // 2`` wires, then the rest) becomes ``L^T X R``, ``L`` and ``R`` the Kronecker
    products of the two halves. Two small batched matmuls instead of one ``2**w``-square outer
    product and its copy (4 wires: 4x4 instead of 16x16 matrices per input).

    Returns the ``(2**w, rows)`` transpose of a contiguous ``(rows, 2**w)``: the next block's
    matmul and :func:`readout` take it as it is."""
    w = m.shape[1]
    a = w // 2
    if 2 * a == w:  # both halves at once, as twice the rows
        left, right = _kron(m.reshape(rows * 2, a, 2, 2)).view(rows, 2, 2**a, 2**a).unbind(1)
    else:
        left, right = _kron(m[:, :a]), _kron(m[:, a:])
    x = state.T.view(rows, 2**a, 2 ** (w - a))
    return torch.bmm(left.mT, torch.bmm(x, right)).view(rows, 2**w).T


def _kron(m: torch.Tensor) -> torch.Tensor:
    """``(rows, w, 2, 2)`` one-wire matrices -> ``(rows, 2**w, 2**w)`` Kronecker products, first wire first.

    A balanced tree: each level multiplies all neighbouring pairs at once, as batched outer
    products (a matmul, whose backward is matmuls too: a broadcast product's backward sums over
    the broadcast axes, which took a fifth of a 4-qubit re-uploading classifier's step). A wire
    left over at an odd level joins at the end, in its place."""
    rows, left = m.shape[0], []
    while m.shape[1] > 1:
        if m.shape[1] % 2:
            left.append(m[:, -1])
            m = m[:, :-1]
        w, a = m.shape[1], m.shape[-1]
        x, y = m.view(rows, w // 2, 2, a, a).unbind(2)
        m = _outer(x, y).reshape(rows, w // 2, a * a, a * a)
    out = m[:, 0]
    for part in reversed(left):
        out = _outer(out, part)
    return out


def _outer(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Kronecker products of ``(..., a, a)`` and ``(..., b, b)`` matrices -> ``(..., a*b, a*b)``."""
    a, b = x.shape[-1], y.shape[-1]
    o = x.reshape(*x.shape[:-2], a * a, 1) @ y.reshape(*y.shape[:-2], 1, b * b)
    lead = o.shape[:-2]
    return o.view(*lead, a, a, b, b).transpose(-3, -2).reshape(*lead, a * b, a * b)


def _halves_tree(x: torch.Tensor) -> torch.Tensor:
    """``(depth, blocks, d, d)`` -> ``(blocks, d, d)``: the products over the depth, stored in
    ``torch_plan.bit_reversal`` order, as a balanced tree of contiguous halves (``x[:h] @ x[h:]``
    per level on one flat batch of matrices: no copies, three ops a level)."""
    depth, blocks, d = x.shape[0], x.shape[1], x.shape[-1]
    x = x.reshape(depth * blocks, d, d)
    while depth > 1:
        depth //= 2
        x = torch.bmm(*x.split(depth * blocks))  # split's backward is one cat; two slices' are two scatters
    return x


def _tree(x: torch.Tensor) -> torch.Tensor:
    """``x[..., 0, :, :] @ x[..., 1, :, :] @ ...`` over axis -3 (a power of two), as a balanced tree."""
    while x.shape[-3] > 1:
        a, b = x.unflatten(-3, (-1, 2)).unbind(-3)
        x = a @ b
    return x.squeeze(-3)


# -- readouts ------------------------------------------------------------------------------
_Z_SIGNS: dict[tuple[int, torch.dtype, bool], torch.Tensor] = {}
_HAMILTONIANS: dict[tuple, torch.Tensor] = {}


def z_signs(n: int, dtype: torch.dtype = torch.float32, *, interleaved: bool = False) -> torch.Tensor:
    """``(2**n, n)`` matrix of Z eigenvalues: row = basis state, column = qubit (big-endian);
    ``interleaved``: every row twice, ``(2**(n+1), n)``, for (re, im) pairs."""
    key = (n, dtype, interleaved)
    if key not in _Z_SIGNS:
        idx = torch.arange(2**n)
        bits = (idx[:, None] >> torch.arange(n - 1, -1, -1)[None, :]) & 1
        signs = (1 - 2 * bits).to(dtype)
        _Z_SIGNS[key] = signs.repeat_interleave(2, 0) if interleaved else signs
    return _Z_SIGNS[key]


def hamiltonian_matrix(hamiltonian: tuple[tuple[float, str], ...], n: int, dtype: torch.dtype) -> torch.Tensor:
    from qas.core.readout import pauli_matrix

    key = (hamiltonian, n, dtype)
    if key not in _HAMILTONIANS:
        m = pauli_matrix(hamiltonian, n)
        _HAMILTONIANS[key] = torch.as_tensor(m if dtype.is_complex else m.real, dtype=dtype)
    return _HAMILTONIANS[key]


def readout(state: torch.Tensor, spec: Readout, n: int) -> torch.Tensor:
    """Apply a task's :class:`~qas.tasks.base.Readout` to a batch of states (differentiable).

    Real states (a real circuit's, ``TorchCircuit.state(..., as_complex=False)``) are read as
    they are: ``<psi|H|psi>`` is then ``psi . Re(H) psi``, ``Im(H)`` being antisymmetric."""
    real = not state.is_complex()
    if spec.kind == "state":
        return state.to(torch.complex128 if state.dtype == torch.float64 else torch.complex64) if real else state
    if spec.kind == "z":
        if real:
            return (state * state) @ z_signs(n, state.dtype)
        rows = state.shape[0]
        if not state.is_contiguous() and state.T.is_contiguous():  # TorchCircuit's batch-innermost layout
            pairs = torch.view_as_real(state.T.resolve_conj()).reshape(-1, 2 * rows)  # (2**n, rows * (re, im))
            return (z_signs(n, pairs.dtype).T @ (pairs * pairs)).view(n, rows, 2).sum(-1).T
        # sum_x (re_x**2 + im_x**2) z_xi as one matmul over the interleaved (re, im) pairs: a sum
        # over the pair axis alone is slow, and it is a third of a 10-qubit QNN's readout
        pairs = torch.view_as_real(state.resolve_conj()).reshape(rows, -1)
        return (pairs * pairs) @ z_signs(n, pairs.dtype, interleaved=True)
    if spec.kind == "energy":
        h = hamiltonian_matrix(spec.hamiltonian, n, state.dtype)
        if real:
            return (state * (state @ h)).sum(-1)  # Re(H) is symmetric
        return torch.einsum("bi,bi->b", state.conj(), state @ h.T).real
    raise ValueError(f"unknown readout {spec.kind!r}")


def torch_readout(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout,
                  *, dtype: torch.dtype = torch.complex64, chunk: int = 4096) -> np.ndarray:
    """Non-differentiable convenience: the readout as float64/complex128 numpy, in chunks."""
    circ = TorchCircuit(dag, dtype=dtype)
    with torch.no_grad():
        if features is None:
            return circ.outputs(params, None, spec).numpy()
        parts = [circ.outputs(params, features[i:i + chunk], spec).numpy() for i in range(0, len(features), chunk)]
    return np.concatenate(parts)
