"""The compile step of the torch backend: a circuit's gates fused into a few large operations.

At the sizes we train the cost is the number of torch operations, not the arithmetic, so
:func:`compile_circuit` turns a circuit into a :class:`Program` of a few vectorised steps,
with the same maths (the gate-by-gate product):

- the data-encoding prefix (one-qubit gates that come first on their wires) is built as a
  product state, all wires and the whole batch at once (:func:`split_prefix`,
  :func:`compile_prefix`); the first blocks, until one joins every wire, act on its factors
  (:func:`factor_blocks`);
- the gates that do not depend on the input are fused greedily into blocks of at most
  ``block_qubits`` qubits (:func:`fuse`); each block's matrix is the product of its gates'
  matrices embedded in the block, computed for all blocks at once by a balanced tree of
  batched matmuls (:func:`block_gathers`). The batch then meets one matmul per block;
- gates that read a feature outside the prefix (a re-uploaded encoding) are fused into chains
  of consecutive gates on the same wires, and chains on single, distinct wires into per-input
  Kronecker products of up to ``KRON_QUBITS`` wires (:func:`group_one_wire_chains`,
  :func:`feature_gathers`), each applied as one batched matmul;
- the state is held with the batch innermost, in a "physical" wire order that the steps
  permute lazily (:func:`physical_order`).

Every matrix is gathered from the flat tables of :mod:`qas.backends.torch_tables` with the
index arrays computed here; :class:`~qas.backends.torch_sv.TorchCircuit` runs the program.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import numpy as np
import torch

from qas.backends.torch_tables import Op, Tables, build_tables, circuit_ops, identity_template
from qas.core.circuit import CircuitDAG

#: The most wires whose one-qubit per-input (feature) gates are applied as one Kronecker product.
KRON_QUBITS = 5

#: a fused block or a feature chain: (wires, op ids in order)
Group = tuple[tuple[int, ...], list[int]]
#: a step of the run, in order: ("block", block id) | ("feature", chain or chain-group id)
Item = tuple[str, int]


@dataclass
class Program:
    """What :meth:`TorchCircuit.state <qas.backends.torch_sv.TorchCircuit.state>` runs.

    ``items`` are the steps after the prefix: ``(kind, where, dims)``, ``kind`` ``"block"``
    (``where = (k, position)`` in ``block_idx[k]``), ``"right"`` (the same, applied to the last
    k wire axes of a single state) or ``"feature"`` (``where = (k, position)`` in
    ``feature_idx[k]``, or ``(k, positions)`` of one-wire matrices to Kronecker-multiply),
    ``dims`` the permutation of the ``(2,) * n + (rows,)`` state that brings the step's wires
    first, or for a single state the positions to gather (:func:`single_state_order`), or
    None if the state is already laid out for the step, or for a block an int ``a``: its wires
    are already the axes ``a, ..., a + k - 1``, where it applies in place (:func:`physical_order`).
    ``final_dims`` likewise, back to the basis order.
    """

    tables: Tables
    block_qubits: int = 0                     # the largest fused block, in qubits
    prefix_idx: torch.Tensor | None = None   # (n, depth, 2, 2, 2) positions of the prefix gates
    prefix_batched: bool = False              # the prefix reads features
    kron: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    block_idx: dict[int, torch.Tensor] = field(default_factory=dict)
    feature_idx: dict[int, torch.Tensor] = field(default_factory=dict)
    items: list[tuple[str, tuple[int, int | torch.Tensor], tuple[int, ...] | torch.Tensor | None]] = field(default_factory=list)
    final_dims: tuple[int, ...] | torch.Tensor | None = None
    #: blocks applied to the product state's factors before it is whole (:func:`factor_blocks`):
    #: ``((k, position), slots merged, dims or None)``; then the slots multiplied into the state
    factored: list[tuple[tuple[int, int], tuple[int, ...], tuple[int, ...] | None]] = field(default_factory=list)
    factor_slots: tuple[int, ...] = ()
    #: the last factored block joins every factor, sharing this many wires with its first slot
    join_wires: int = 0
    batched: bool = False                     # some step reads the per-input table
    batch_head: int = 0                       # how much of the shared table heads the per-input table
    real: bool = False                        # real gates only: positions hold no (re, im) axis

    @cached_property
    def left_sizes(self) -> set[int]:
        """Block sizes applied as ``M @ psi`` (``"block"`` items)."""
        return {k for kind, (k, _), _ in self.items if kind == "block"} | {k for (k, _), _, _ in self.factored}

    @cached_property
    def right_sizes(self) -> set[int]:
        """Block sizes applied as ``psi @ M^T`` (``"right"`` items, a single state's)."""
        return {k for kind, (k, _), _ in self.items if kind == "right"}

    def real_part(self) -> "Program":
        """The same program on real amplitudes (only for ``tables.real``): every gather reads the
        real parts alone, and the state stays real from start to end."""
        assert self.tables.real
        re = lambda idx: idx[..., 0].contiguous()  # noqa: E731
        return replace(self, real=True, prefix_idx=None if self.prefix_idx is None else re(self.prefix_idx),
                       block_idx={k: re(v) for k, v in self.block_idx.items()},
                       feature_idx={k: re(v) for k, v in self.feature_idx.items()})


def compile_circuit(dag: CircuitDAG, *, dtype: torch.dtype, block_qubits: int | tuple[int, ...],
                    permutations: bool | None = None) -> Program:
    """Compile a plain (unweighted) circuit; ``block_qubits`` and ``permutations`` only change speed.

    A circuit without features runs on a single state, whose plans' steps can be counted
    (:func:`plan_cost`): each size in ``block_qubits`` is tried with its basis-permutation gates
    in the blocks and taken out of them (``permutations`` None; True or False: only one way),
    and the plan of fewest steps is kept (:func:`_compile_single_state`). A circuit that reads
    features takes the largest size.
    """
    n = dag.num_qubits
    sizes = (block_qubits,) if isinstance(block_qubits, int) else tuple(block_qubits)
    ops = circuit_ops(dag)
    tables = build_tables(ops, dag.num_params, dag.num_features, dtype)
    if not any(op.source == "feature" for op in ops):
        best = min((_compile_single_state(tables, k, n, permutations) for k in sizes), key=lambda cp: cp[0])
        return best[1]
    block_qubits = max(sizes)
    chains, rest = split_prefix(ops, n, block_qubits)
    prog = Program(tables, block_qubits=block_qubits)
    prefix_idx = compile_prefix(prog, chains, n)
    rest = gates_late(ops, rest, lambda i: ops[i].source == "feature")
    blocks, fchains, items = fuse(ops, rest, block_qubits)
    items, groups = group_one_wire_chains(items, blocks, fchains, min(KRON_QUBITS, n))
    head, prog.factor_slots, start, prog.join_wires = factor_blocks(items, blocks, n) if prefix_idx is not None else ([], (), None, 0)
    plan, prog.final_dims = physical_order(items[len(head):], blocks, fchains, groups, n, start)
    plan = [("block", x, order, None) for x, order, _, _ in head] + plan
    prog.block_idx, where = block_gathers(tables, plan, blocks)
    fidx, fwhere = feature_gathers(tables, plan, groups, fchains)
    steps = [(kind, where[x] if kind == "block" else fwhere[at], dims) for at, (kind, x, _, dims) in enumerate(plan)]
    prog.factored = [(where[x], slots, dims) for x, _, slots, dims in head]
    prog.items = steps[len(head):]
    _lay_out_per_input(prog, prefix_idx, fidx)
    return prog


def _compile_single_state(tables: Tables, block_qubits: int, n: int,
                          permutations: bool | None = None) -> tuple[int, Program]:
    """A circuit that reads no features runs on one state, where a reorder is one gather.

    Two plans are compiled and the one of fewer torch operations (:func:`plan_cost`) is kept:
    every gate in fused blocks, or the basis-permutation gates (X, CNOT, SWAP, ...) taken out
    of the blocks, scheduled late and absorbed into the gathers (:func:`single_state_order`).
    On an 8-qubit RY + CNOT ladder, the second takes 4 blocks' matmuls and one gather per
    layer where the first took 3-4 blocks and their reorders. Returns the cost and the program.
    """
    ops = tables.ops
    chains, rest = split_prefix(ops, n, block_qubits)
    prog = Program(tables, block_qubits=block_qubits)
    prefix_idx = compile_prefix(prog, chains, n)
    found = {} if permutations is False else {i: s for i in rest if (s := tables.permutation(i)) is not None}
    best = None
    for perms in [{}] if not found else [found] if permutations else [{}, found]:
        order = gates_late(ops, rest, perms.__contains__) if perms else rest
        blocks, _, items = fuse(ops, order, block_qubits, frozenset(perms), pack=bool(perms))
        plan, final = single_state_order(items, blocks, {i: (s, ops[i].qubits) for i, s in perms.items()}, n)
        cost = plan_cost(plan, final, blocks)
        if best is None or cost < best[0]:
            best = (cost, blocks, plan, final)
    cost, blocks, plan, final = best
    prog.block_idx, where = block_gathers(tables, plan, blocks)
    as_tensor = lambda a: None if a is None else torch.as_tensor(a)  # noqa: E731
    prog.items = [(kind, where[x], as_tensor(reorder)) for kind, x, _, reorder in plan]
    prog.final_dims = as_tensor(final)
    _lay_out_per_input(prog, prefix_idx, {})
    return cost, prog


def split_prefix(ops: list[Op], n: int, block_qubits: int) -> tuple[list[list[int]], list[int]]:
    """The leading one-qubit gates of each wire (they act on a product state) and the rest.

    Input-independent gates after a wire's last feature gate are moved to the fused blocks
    (they come before anything else on their wire), where they cost nothing extra and the
    per-input product state needs no gradient. With one unitary for the whole rest that is
    always so; with smaller blocks, only on wires that have later gates to fuse with.
    """
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
    later = {q for i in rest for q in ops[i].qubits}
    moved: list[int] = []
    for q in range(n):
        if block_qubits >= n or q in later:
            last = max((k for k, i in enumerate(chains[q]) if ops[i].source == "feature"), default=-1)
            moved += chains[q][last + 1:]
            chains[q] = chains[q][:last + 1]
    return chains, sorted(moved) + rest


def gates_late(ops: list[Op], order: list[int], late: Callable[[int], bool]) -> list[int]:
    """``order`` rescheduled so that the gates ``late`` picks come as late as the wires allow.

    Gates on disjoint wires commute, so any order that keeps each wire's gates in sequence is
    the same circuit. Emitting every input-independent gate that is ready before any feature
    gate, and then a whole wave of ready feature gates, keeps a cell's gates together between
    two re-uploaded encoding layers: one fused block per cell instead of blocks split where the
    canonical order interleaves the next layer's feature gates (a 4-qubit re-uploading
    classifier's step: 9 steps become 5). For a single state, the same keeps a layer's
    permutation gates (a CNOT ladder) together, applied as one gather (:func:`fuse`).
    With nothing picked, the order is unchanged.
    """
    queues: dict[int, list[int]] = {}
    for i in order:
        for w in ops[i].qubits:
            queues.setdefault(w, []).append(i)
    head = {w: 0 for w in queues}

    def ready(i: int) -> bool:
        return all(queues[w][head[w]] == i for w in ops[i].qubits)

    def emit(i: int) -> None:
        out.append(i)
        for w in ops[i].qubits:
            head[w] += 1

    out: list[int] = []
    while len(out) < len(order):
        fronts = sorted({queues[w][head[w]] for w in queues if head[w] < len(queues[w])})
        gate = next((i for i in fronts if not late(i) and ready(i)), None)
        if gate is not None:
            emit(gate)
            continue
        wave = [i for i in fronts if ready(i)]  # only late gates are ready: emit them all
        while wave:
            for i in wave:
                emit(i)
            fronts = sorted({queues[w][head[w]] for w in queues if head[w] < len(queues[w])})
            wave = [i for i in fronts if late(i) and ready(i)]
    return out


def compile_prefix(prog: Program, chains: list[list[int]], n: int) -> np.ndarray | None:
    """The prefix's ``(n, depth, 2, 2, 2)`` transposed templates (None if empty); sets
    ``prog.prefix_batched`` and the Kronecker chunks ``prog.kron``."""
    ops, tables = prog.tables.ops, prog.tables
    depth = max((len(c) for c in chains), default=0)
    prog.prefix_batched = any(ops[i].source == "feature" for c in chains for i in c)
    if depth == 0:
        return None
    tp = 1 << (depth - 1).bit_length()
    idx = np.empty((n, tp, 2, 2, 2), dtype=np.int64)
    for q in range(n):
        for t in range(tp):
            idx[q, t] = tables.template_t(chains[q][t]) if t < len(chains[q]) else identity_template(2)
    # Kronecker product in chunks of <= 5 wires: one gather + prod per chunk (an (n, 2**n)
    # gather for all wires at once would be n times the state's size).
    for lo in range(0, n, 5):
        w = min(5, n - lo)
        bits = (np.arange(2**w)[None, :] >> np.arange(w - 1, -1, -1)[:, None]) & 1
        prog.kron.append((w, torch.as_tensor((bits + 2 * np.arange(lo, lo + w)[:, None]).reshape(-1))))
    return idx


def fuse(ops: list[Op], rest: list[int], kmax: int, perms: frozenset[int] = frozenset(),
         pack: bool = False) -> tuple[list[Group], list[Group], list[Item]]:
    """Greedy fusion of input-independent gates into blocks, and of feature gates into chains.

    A feature gate joins the chain of feature gates on the same wires when nothing else has
    touched those wires since (gates on other wires commute with it): a re-uploaded encoding
    layer (RY, RZ, RX, RY on each wire) then costs one per-input matmul per wire, not four.
    The gates in ``perms`` (basis permutations, of a single state) join no block: each is an
    item ``("perm", op id)`` and closes every open block, so that a run of them stays whole
    (:func:`single_state_order` applies it as one gather). With ``pack``, a gate on wires no
    open block holds joins an open block it fits in (gates on other wires commute), so that a
    layer of one-qubit gates between two such runs is ``n / kmax`` blocks, not ``n``: the
    fullest of those on the same chunks of ``kmax`` consecutive wires. Chunks keep a layer's
    blocks on the first and the last wire axes of a state whose wires are in order, or
    reversed by a wave of SWAPs (no reorder at all).
    Returns the blocks, the chains and the items in order.
    """
    blocks: list[Group] = []
    chains: list[Group] = []
    items: list[Item] = []
    open_: dict[int, int] = {}        # wire -> open block id
    block_wires: dict[int, set[int]] = {}
    last_chain: dict[int, int] = {}   # wire -> chain id, while the chain is the wire's last item

    def close(bid: int) -> None:
        for w in block_wires.pop(bid):
            del open_[w]
        items.append(("block", bid))

    for i in rest:
        op = ops[i]
        q = set(op.qubits)
        if i in perms:
            for bid in sorted(block_wires):
                close(bid)
            items.append(("perm", i))
            continue
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
        if pack and not cands:
            chunk = {w // kmax for w in q}
            fits = [b for b in block_wires if len(block_wires[b] | q) <= kmax
                    and {w // kmax for w in block_wires[b]} == chunk]
            cands = [max(fits, key=lambda b: (len(block_wires[b]), b))] if fits else []
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
    return blocks, chains, items


def group_one_wire_chains(items: list[Item], blocks: list[Group], chains: list[Group],
                          kron_max: int) -> tuple[list[Item], list[list[int]]]:
    """One-wire feature chains on distinct wires become one per-input Kronecker product.

    Up to ``kron_max`` wires per product: a re-uploaded encoding layer then meets the state in
    ``ceil(n / KRON_QUBITS)`` matmuls. While such a group is open (last in the order), a block
    on other wires commutes with it and is moved before it, so it does not split the group.
    Returns the items with feature items renumbered to groups, and each group's chains.
    """
    merged: list[Item] = []
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
    return merged, groups


#: the most wires a joining block may share with the one factor it cuts (:func:`factor_blocks`):
#: its state is a sum of ``2**c`` products over the state, which beats the whole product, its
#: permute and the block's matmul in the case measured (c = 1, the ring's); for more shared
#: wires the matmul is kept
JOIN_QUBITS = 1


def factor_blocks(items: list[Item], blocks: list[Group],
                  n: int) -> tuple[list[tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]], tuple[int, ...], list[int], int]:
    """The leading blocks that act on a factor of the product state, not on all of it.

    After the prefix the state is a product of one-qubit states; a block entangles only its
    wires' factors, so until some block joins every wire it can run on the product of those
    factors (``2**g`` amplitudes, ``g < n`` the wires of the factors it touches) instead of the
    whole state: on a 10-qubit QNN's ring of 4-qubit blocks, 16 and 128 amplitudes a row, not
    1,024, for the first two blocks. Slot ``q`` starts as wire ``q``'s factor; a block
    multiplies its slots together (into the first) and, if its wires are not the first axes,
    permutes them there.

    The block that joins every factor runs on them too when all but one lie inside it and it
    shares at most ``JOIN_QUBITS`` wires ``C`` with that one, ``P``: the block's matrix times
    the product of the others is, per row, a ``2**k x 2**|C|`` matrix, and the state is its sum
    of products with ``P``'s ``2**|C|`` slices (the ring's third block: two products over the
    state where the whole product, its permute and a 16-wide matmul were; 1.08-1.10x on the step,
    experiments/bench_peers.py --compare-rev). Its entry's slots are ``P``'s first, its dims
    bring ``C`` to ``P``'s first axes and lay out the rest of ``P`` for the blocks after it
    (:func:`_lay_out`).

    Returns per factored block ``(block id, its wires, slots, dims or None)``, the slots left
    (their product, smallest first, is the whole state; none after a joining block), the wire
    order of the whole state and ``|C|`` (0: no joining block).
    """
    slots = {q: [q] for q in range(n)}   # slot -> its wires, in axis order
    slot_of = list(range(n))
    head = []
    for at, (kind, x) in enumerate(items):
        if kind != "block":
            break
        wires = blocks[x][0]
        ids = tuple(dict.fromkeys(slot_of[w] for w in wires))
        merged = [w for s in ids for w in slots[s]]
        if len(merged) >= n:
            cut = [s for s in ids if not set(slots[s]) <= set(wires)]
            if not head or len(cut) != 1 or len(set(slots[cut[0]]) & set(wires)) > JOIN_QUBITS:
                break
            p = slots[cut[0]]
            shared = [w for w in p if w in wires]
            others = [s for s in ids if s != cut[0]]
            order = tuple(shared + [w for s in others for w in slots[s]])
            upcoming = [blocks[y][0] for _, y in itertools.takewhile(lambda it: it[0] == "block", items[at + 1:])]
            after = _lay_out(upcoming, ["block"] * len(upcoming), list(order)) if upcoming else list(order)
            rest = sorted((w for w in p if w not in wires), key=lambda w: after.index(w) if w in after else n)
            dims = None if p[:len(shared)] == shared else tuple(p.index(w) for w in shared + rest) + (len(p),)
            head.append((x, order, (cut[0], *others), dims))
            return head, (), list(order) + rest, len(shared)
        k = len(wires)
        order = tuple(merged[:k]) if set(merged[:k]) == set(wires) else tuple(wires)
        new = list(order) + [w for w in merged if w not in order]
        dims = None if new == merged else tuple(merged.index(w) for w in new) + (len(merged),)
        head.append((x, order, ids, dims))
        for s in ids[1:]:
            del slots[s]
        slots[ids[0]] = new
        for w in new:
            slot_of[w] = ids[0]
    if not head:
        return [], (), list(range(n)), 0
    final = tuple(sorted(slots, key=lambda s: (len(slots[s]), s)))
    return head, final, [w for s in final for w in slots[s]], 0


def physical_order(items: list[Item], blocks: list[Group], chains: list[Group], groups: list[list[int]],
                   n: int, start: list[int] | None = None) -> tuple[list[tuple[str, int, tuple[int, ...], tuple[int, ...] | None]], tuple[int, ...] | None]:
    """Each item's wires in the order its matrix is built for, and the permutation it needs.

    The state is kept as ``(2**n, rows)``, the batch innermost, in a "physical" wire order that
    the items permute lazily: a feature item acts on the first k physical axes, a block on any
    k consecutive ones (in place: a batched matmul over the axes before them), so a step needs
    a copy (a permute) only when its wires are not already there; its matrix is built for the
    wires in that physical order. A permute lays out the next blocks' wires too
    (:func:`_lay_out`): a ring of 4-qubit blocks permutes every third block, not every block
    (a 10-qubit QNN's step 1.05x, experiments/bench_peers.py --compare-rev). With the batch
    innermost every such copy moves runs of ``rows`` amplitudes; with the batch outermost, as
    before, a permutation that ends on a short run copied amplitude by amplitude (up to 17x
    slower on a 10-qubit QNN's ring). Returns ``(kind, id, order, dims)`` per item (``dims``
    over the ``n`` wire axes and the batch axis last, or a block's first axis in place) and the
    final permutation back (or None). ``start``: the wire order of the first item's state (the
    basis order if None).
    """
    perm = list(range(n)) if start is None else list(start)
    plan: list[tuple[str, int, tuple[int, ...], tuple[int, ...] | int | None]] = []
    spans = [blocks[x][0] if kind == "block" else tuple(w for c in groups[x] for w in chains[c][0]) for kind, x in items]
    for at, (kind, x) in enumerate(items):
        wires = spans[at]
        k = len(wires)
        lo = _run_at(perm, wires) if kind == "block" else 0 if set(perm[:k]) == set(wires) else None
        if lo is not None:
            order, dims = tuple(perm[lo:lo + k]), lo or None
        else:
            new = _lay_out(spans[at:], [kind for kind, _ in items[at:]], perm)
            dims = tuple(perm.index(w) for w in new) + (n,)
            perm = new
            order = tuple(perm[:k])
        plan.append((kind, x, order, dims))
    final = None if perm == list(range(n)) else tuple(perm.index(w) for w in range(n)) + (n,)
    return plan, final


def _run_at(perm: list[int], wires: tuple[int, ...]) -> int | None:
    """The first axis of a run of consecutive axes of ``perm`` that holds exactly ``wires``, or None."""
    k, want = len(wires), set(wires)
    return next((a for a in range(len(perm) - k + 1) if set(perm[a:a + k]) == want), None)


def _lay_out(spans: list[tuple[int, ...]], kinds: list[str], perm: list[int]) -> list[int]:
    """A wire order that puts ``spans[0]`` first and keeps as many of the next spans as it can
    on runs of consecutive axes (blocks applied in place, no permute): each next block's wires
    that are already placed must end the order so far, and the rest are appended, those that
    the block after it shares last. A ring of 4-qubit blocks on 10 wires then needs a permute
    every third block, not every block. The wires no span reached keep their order."""
    order: list[int] = []
    for j, wires in enumerate(spans):
        placed = [w for w in order if w in wires]
        if (j and kinds[j] != "block") or set(order[len(order) - len(placed):]) != set(placed):
            break
        later = set(spans[j + 1]) if j + 1 < len(spans) else set()
        order += sorted((w for w in wires if w not in order), key=lambda w: w in later)
    return order + [w for w in perm if w not in order]


def full_permutation(s: np.ndarray, qubits: tuple[int, ...], n: int, states: np.ndarray | None = None) -> np.ndarray:
    """A gate's basis permutation ``s`` on ``qubits`` as ``sigma`` on all ``2**n`` basis states,
    ``(G psi)[x] = psi[sigma[x]]``; or ``sigma`` of each of the basis states ``states``."""
    x = np.arange(2**n) if states is None else states
    shifts = [n - 1 - q for q in qubits]
    d = len(qubits)
    local = sum((((x >> sh) & 1) << (d - 1 - m) for m, sh in enumerate(shifts)), np.zeros_like(x))
    new = s[local]
    cleared = x & ~sum(1 << sh for sh in shifts)
    return cleared | sum((((new >> (d - 1 - m)) & 1) << sh for m, sh in enumerate(shifts)), np.zeros_like(x))


def tensor_layout(order: list[int] | tuple[int, ...] | np.ndarray, n: int) -> np.ndarray:
    """The basis state held at each position of a state whose axes are the wires ``order``
    (its inverse, the position of each basis state, is ``tensor_layout(argsort(order))``)."""
    return np.arange(2**n).reshape((2,) * n).transpose(order).reshape(-1)


def tensor_order(layout: np.ndarray, n: int) -> list[int] | None:
    """The wire order whose :func:`tensor_layout` is ``layout``, or None if it has none."""
    if layout[0] != 0:
        return None
    order = []
    for a in range(n):
        v = int(layout[1 << (n - 1 - a)])
        if v & (v - 1) or v == 0:
            return None
        order.append(n - v.bit_length())
    return order if sorted(order) == list(range(n)) and np.array_equal(tensor_layout(order, n), layout) else None


def single_state_order(items: list[Item], blocks: list[Group], perms: dict[int, tuple[np.ndarray, tuple[int, ...]]],
                       n: int) -> tuple[list[tuple[str, int, tuple[int, ...], np.ndarray | None]], np.ndarray | None]:
    """The steps of a single state: which basis state each position holds (its *layout*), tracked
    through blocks and permutation gates.

    A block acts on the first k wire axes (``"block"``: ``M @ psi.view(2**k, -1)``) or on the
    last k (``"right"``: ``psi.view(-1, 2**k) @ M^T``, no reorder); otherwise it is preceded by
    one gather into a layout that puts its wires first. A permutation gate ``("perm", op id)``
    (``perms[op id]``: its basis permutation and qubits, :meth:`Tables.permutation`) only changes
    the layout: it costs nothing until the next gather, which it joins. Returns ``(kind, block
    id, wire order, gather positions or None)`` per block and the final gather back to the
    basis order (or None).
    """
    layout = np.arange(2**n)  # the basis state at each position
    order: list[int] | None = list(range(n))
    plan: list[tuple[str, int, tuple[int, ...], np.ndarray | None]] = []
    moved = False  # permutation gates since ``order`` was read off the layout
    for kind, x in items:
        if kind == "perm":
            s, qubits = perms[x]
            layout, moved = full_permutation(np.argsort(s), qubits, n, layout), True
            continue
        if moved:
            order, moved = tensor_order(layout, n), False
        wires = blocks[x][0]
        k = len(wires)
        if order is not None and set(order[:k]) == set(wires):
            plan.append(("block", x, tuple(order[:k]), None))
        elif order is not None and set(order[n - k:]) == set(wires):
            plan.append(("right", x, tuple(order[n - k:]), None))
        else:
            order = list(wires) + [w for w in (order or range(n)) if w not in wires]
            target = tensor_layout(order, n)
            plan.append(("block", x, tuple(wires), _positions(layout)[target]))
            layout = target
    final = None if np.array_equal(layout, np.arange(2**n)) else _positions(layout)
    return plan, final


def _positions(layout: np.ndarray) -> np.ndarray:
    """The position of each basis state in ``layout`` (its inverse)."""
    where = np.empty_like(layout)
    where[layout] = np.arange(len(layout))
    return where


def plan_cost(plan: list, final: np.ndarray | None, blocks: list[Group]) -> int:
    """Torch operations of a single-state plan: a matmul per block, a gather per reorder, and
    per block size a gather, the tree's levels and (left blocks) a transpose."""
    depth: dict[int, int] = {}
    left: set[int] = set()
    for kind, x, order, _ in plan:
        depth[len(order)] = max(depth.get(len(order), 0), len(blocks[x][1]))
        if kind == "block":
            left.add(len(order))
    trees = sum(2 + (d - 1).bit_length() for d in depth.values()) + len(left)
    return len(plan) + sum(r is not None for *_, r in plan) + (final is not None) + trees


def block_gathers(tables: Tables, plan: list, blocks: list[Group]) -> tuple[dict[int, torch.Tensor], dict[int, tuple[int, int]]]:
    """Block matrices: one gather + a tree of matmuls per block size.

    Returns ``k -> (depth, blocks, 2**k, 2**k, 2)`` positions (depth padded to a power of two
    with identities, in :func:`bit_reversal` order) and ``block id -> (k, position)``.
    """
    by_size: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for kind, x, order, _ in plan:
        if kind in ("block", "right"):
            by_size.setdefault(len(order), []).append((x, order))
    block_idx: dict[int, torch.Tensor] = {}
    where: dict[int, tuple[int, int]] = {}
    for k, entries in by_size.items():
        depth = max(len(blocks[b][1]) for b, _ in entries)
        lp = 1 << (depth - 1).bit_length()
        idx = np.empty((len(entries), lp, 2**k, 2**k, 2), dtype=np.int64)
        for pos, (bid, order) in enumerate(entries):
            gates = blocks[bid][1]
            where[bid] = (k, pos)
            for t in range(lp):
                idx[pos, t] = tables.embed_t(gates[t], order) if t < len(gates) else identity_template(2**k)
        # depth first, in bit-reversed order: the tree then multiplies contiguous halves (no copies)
        block_idx[k] = torch.as_tensor(np.ascontiguousarray(idx[:, bit_reversal(lp)].swapaxes(0, 1)))
    return block_idx, where


def bit_reversal(length: int) -> np.ndarray:
    """``i -> i`` with its bits reversed, for a power-of-two ``length``: a product stored in this
    order pairs its neighbours ``(2j, 2j + 1)`` as the halves' ``(i, i + length / 2)``, level
    after level."""
    bits = length.bit_length() - 1
    i = np.arange(length)
    return sum((((i >> b) & 1) << (bits - 1 - b) for b in range(bits)), np.zeros_like(i))


def feature_gathers(tables: Tables, plan: list, groups: list[list[int]],
                    chains: list[Group]) -> tuple[dict[int, np.ndarray], dict[int, tuple[int, int | torch.Tensor]]]:
    """Per-input (feature) chains outside the prefix: one gather + matmul tree per matrix size.

    A group of one-wire chains is the Kronecker product of their 2x2 matrices, in its wires'
    order. Returns ``k -> (chains, depth, 2**k, 2**k, 2)`` positions and ``plan position ->
    (k, chain position)`` or ``(k, positions of its one-wire chains)``.
    """
    fsizes: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    fwhere: dict[int, tuple[int, int | torch.Tensor]] = {}
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
    fidx = {}
    for k, ids in fsizes.items():
        lp = 1 << (max(len(chains[c][1]) for c, _ in ids) - 1).bit_length()
        fidx[k] = np.stack([np.stack([tables.embed_t(chains[c][1][t], order) if t < len(chains[c][1])
                                      else identity_template(2**k) for t in range(lp)]) for c, order in ids])
    return fidx, fwhere


def _lay_out_per_input(prog: Program, prefix_idx: np.ndarray | None, fidx: dict[int, np.ndarray]) -> None:
    """The per-input table is the head of the shared table, then the feature table.

    Its head is only the constants unless a per-input gather reads trainable entries; the
    feature positions of the prefix and feature gathers shift to match.
    """
    ns = prog.tables.ns
    prog.batched = prog.prefix_batched or bool(fidx)
    per_input = [a for a in ([prefix_idx] if prog.prefix_batched else []) + list(fidx.values())]
    shared_max = max((int(a[a < ns].max(initial=0)) for a in per_input), default=0)
    prog.batch_head = prog.tables.nconst if shared_max < prog.tables.nconst else ns
    shift = ns - prog.batch_head

    def remap(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.where(a >= ns, a - shift, a))

    prog.feature_idx = {k: remap(a) for k, a in fidx.items()}
    if prefix_idx is not None:
        prog.prefix_idx = remap(prefix_idx) if prog.prefix_batched else torch.as_tensor(prefix_idx)
