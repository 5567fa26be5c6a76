"""Featurizer: ``CircuitDAG`` -> PyG graph tensors, and back (DESIGN.md §3).

Graph of a circuit
    Nodes are START, one node per gate in the circuit's canonical order, and END (node
    ``0``, ``1..G`` and ``G + 1``, as in :meth:`CircuitDAG.wire_edges`). Each gate gets an
    edge from the latest earlier gate on every wire it touches (START if none) and the last
    gate on each wire links to END, so a graph has ``sum(arity) + num_qubits`` edges, one
    per wire segment (two gates that share two wires are linked by two parallel edges).

Node features (``x``, float32, one row per node), in this order:
    * a one-hot of the node kind over ``("START", "END", *space.gates)``;
    * the qubit vector, ``2 * num_qubits`` entries: ``control[q]`` then ``target[q]``. A
      controlled gate marks its control and its target; a one-qubit gate marks its qubit as
      target; a symmetric gate (CZ, SWAP, RZZ) marks both qubits as target, since they play
      the same part;
    * a one-hot of the parameter role over ``qas.core.circuit.ROLES`` (all zero for START/END).

Encoding layers are dropped
    In a space with a data-encoding layer (``qml-4q``, ``qml-10q``) every circuit starts
    with the same feature gates, so they carry no information: the graph holds the ansatz
    only, in the order those gates have in the circuit's canonical order, and the first
    ansatz gate on a wire links from START. :meth:`Featurizer.decode_graph` puts the
    space's encoding back with ``space.build``. Fixed angles are not featurized (only the
    role is); sampled circuits never have them.

Two paths build the same tensors: :meth:`Featurizer.featurize` for one circuit (a PyG
``Data``) and :meth:`Featurizer.featurize_many` for a pool, which looks each distinct gate
up once and builds the edges of all circuits at once with numpy (one step per gate
position, vectorised over circuits) into a packed :class:`GraphTable`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from qas.core.circuit import ROLES, CircuitDAG, Gate
from qas.core.errors import CircuitError
from qas.core.gates import GATES
from search_spaces.spec import SearchSpace

from encoders.errors import EmbeddingError

START_KIND = 0
END_KIND = 1
# Qubit classes of the decoded qubit vector: untouched, control, target.
Q_NONE, Q_CONTROL, Q_TARGET = 0, 1, 2


@dataclass
class GraphTable:
    """Many circuit graphs packed into flat tensors (CSR style), plus dense padded targets.

    Graph ``i`` owns nodes ``node_ptr[i]:node_ptr[i+1]`` of ``x`` and edges
    ``edge_ptr[i]:edge_ptr[i+1]`` of ``edge_index`` (whose entries are *local* node indices,
    0-based within the graph). The padded arrays hold the reconstruction targets:
    ``kind[i, j]`` (node kind index, -1 past the graph's end), ``qclass[i, j, q]`` (0 none,
    1 control, 2 target) and ``adj[i, s, d]`` (1 if there is a wire edge ``s -> d``).
    ``wire_last[i, j, q]`` is the node that last touched wire ``q`` before node ``j`` (0 for
    START) and ``front[i, j, q]`` the number of layers on wire ``q`` before node ``j``: the
    partial circuit a decoder has built when it reaches node ``j``.
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    node_ptr: torch.Tensor
    edge_ptr: torch.Tensor
    kind: torch.Tensor
    qclass: torch.Tensor
    adj: torch.Tensor
    wire_last: torch.Tensor
    front: torch.Tensor

    def __len__(self) -> int:
        return len(self.node_ptr) - 1

    @property
    def num_nodes(self) -> torch.Tensor:
        return self.node_ptr[1:] - self.node_ptr[:-1]

    @property
    def max_nodes(self) -> int:
        return self.kind.shape[1]

    def get(self, i: int) -> Data:
        """Graph ``i`` as a PyG ``Data``."""
        n0, n1 = int(self.node_ptr[i]), int(self.node_ptr[i + 1])
        e0, e1 = int(self.edge_ptr[i]), int(self.edge_ptr[i + 1])
        n = n1 - n0
        return Data(
            x=self.x[n0:n1],
            edge_index=self.edge_index[:, e0:e1],
            kind=self.kind[i, :n].long(),
            qclass=self.qclass[i, :n].long(),
            num_nodes=n,
        )

    def batch(self, idx: Any) -> Data:
        """Graphs ``idx`` merged into one PyG-style batch (``x``, global ``edge_index``,
        ``batch``, ``ptr``) with the dense targets of those graphs, without Python loops."""
        idx = torch.as_tensor(idx, dtype=torch.long)
        counts = self.num_nodes[idx]
        ecounts = self.edge_ptr[idx + 1] - self.edge_ptr[idx]
        ptr = torch.zeros(len(idx) + 1, dtype=torch.long)
        ptr[1:] = torch.cumsum(counts, 0)
        node_ids = _ranges(self.node_ptr[idx], counts)
        edge_ids = _ranges(self.edge_ptr[idx], ecounts)
        shift = torch.repeat_interleave(ptr[:-1], ecounts)
        n = int(counts.max()) if len(idx) else 0
        return Data(
            x=self.x[node_ids],
            edge_index=self.edge_index[:, edge_ids] + shift,
            batch=torch.repeat_interleave(torch.arange(len(idx)), counts),
            ptr=ptr,
            num_nodes=int(ptr[-1]),
            kind=self.kind[idx, :n].long(),
            qclass=self.qclass[idx, :n].long(),
            adj=self.adj[idx, :n, :n].float(),
            wire_last=self.wire_last[idx, :n].long(),
            front=self.front[idx, :n].long(),
            num_graphs=len(idx),
        )


def _ranges(starts: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Concatenated ``arange(s, s + c)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return torch.zeros(0, dtype=torch.long)
    offsets = torch.cumsum(counts, 0) - counts
    return torch.repeat_interleave(starts - offsets, counts) + torch.arange(total)


class Featurizer:
    """Turns circuits of one search space into graphs and decoded graphs back into circuits.

    >>> from search_spaces import load_space
    >>> f = Featurizer(load_space("paper-4q"))
    >>> f.num_features  # 13 node kinds + 2*4 qubit channels + 4 roles
    25
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.num_qubits = space.num_qubits
        self.kinds: tuple[str, ...] = space.gates
        self.node_kinds: tuple[str, ...] = ("START", "END", *self.kinds)
        self._kind_index = {k: i for i, k in enumerate(self.kinds)}
        # the encoding and the initial state are the same in every circuit of the space: no nodes
        self.drops_encoding = space.encoding is not None or space.initial_state is not None
        specs = [GATES.get(k) for k in self.kinds]
        self.arity = np.array([s.num_qubits for s in specs], dtype=np.int64)
        self.max_arity = int(self.arity.max())
        if self.max_arity > 2:
            raise EmbeddingError(f"space {space.name!r}: gates on more than two qubits are not supported")
        self._gate_cache: dict[Gate, tuple[int, int, int, int, int, int]] = {}

    # -- sizes -------------------------------------------------------------------------------
    @property
    def num_node_kinds(self) -> int:
        return len(self.node_kinds)

    @property
    def num_features(self) -> int:
        return self.num_node_kinds + 2 * self.num_qubits + len(ROLES)

    @property
    def max_gates(self) -> int:
        return self.space.max_gates

    @property
    def max_nodes(self) -> int:
        return self.space.max_gates + 2

    def __repr__(self) -> str:
        return f"Featurizer(space={self.space.name!r}, num_features={self.num_features})"

    # -- circuit -> tokens ---------------------------------------------------------------------
    def graph_gates(self, dag: CircuitDAG) -> tuple[Gate, ...]:
        """The gates that become graph nodes: the ansatz (encoding and initial state dropped;
        with re-uploading, the cell) in canonical order."""
        if self.drops_encoding:
            return self.space.ansatz(dag)
        return dag.gates

    def _token(self, g: Gate) -> tuple[int, int, int, int, int, int]:
        """``(kind, first qubit, second qubit or -1, role, class of first, class of second)``."""
        tok = self._gate_cache.get(g)
        if tok is not None:
            return tok
        k = self._kind_index.get(g.kind)
        if k is None:
            raise EmbeddingError(
                f"gate {g.kind} is not in the alphabet of space {self.space.name!r} ({', '.join(self.kinds)})"
            )
        spec = g.spec
        if len(g.qubits) == 1:
            tok = (k, g.qubits[0], -1, ROLES.index(g.role), Q_TARGET, Q_NONE)
        elif spec.symmetric:
            tok = (k, g.qubits[0], g.qubits[1], ROLES.index(g.role), Q_TARGET, Q_TARGET)
        else:  # controlled (and any other ordered two-qubit gate): first is the control
            tok = (k, g.qubits[0], g.qubits[1], ROLES.index(g.role), Q_CONTROL, Q_TARGET)
        if max(tok[1], tok[2]) >= self.num_qubits:
            raise EmbeddingError(f"{g} is out of range for the {self.num_qubits} qubits of {self.space.name!r}")
        self._gate_cache[g] = tok
        return tok

    def tokens(self, dags: Sequence[CircuitDAG]) -> tuple[np.ndarray, np.ndarray]:
        """Token table ``(M, max_gates, 6)`` (pad rows -1) and gate counts ``(M,)``."""
        gmax = 0
        rows: list[list[tuple[int, ...]]] = []
        for dag in dags:
            if dag.num_qubits != self.num_qubits:
                raise EmbeddingError(
                    f"a {dag.num_qubits}-qubit circuit cannot be embedded in {self.space.name!r} "
                    f"({self.num_qubits} qubits)"
                )
            row = [self._token(g) for g in self.graph_gates(dag)]
            rows.append(row)
            gmax = max(gmax, len(row))
        gmax = max(gmax, 1)
        tok = np.full((len(rows), gmax, 6), -1, dtype=np.int64)
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        for i, r in enumerate(rows):
            if r:
                tok[i, : len(r)] = r
        return tok, lengths

    # -- tokens -> tensors ---------------------------------------------------------------------
    def featurize_many(self, dags: Sequence[CircuitDAG], *, pad_to: int | None = None) -> GraphTable:
        """Graphs of many circuits at once (the fast path; same tensors as :meth:`featurize`)."""
        tok, lengths = self.tokens(dags)
        return self.table_from_tokens(tok, lengths, pad_to=pad_to)

    def table_from_tokens(self, tok: np.ndarray, lengths: np.ndarray, *, pad_to: int | None = None) -> GraphTable:
        m, gmax = tok.shape[0], tok.shape[1]
        n = self.num_qubits
        nmax = max(gmax + 2, pad_to or 0)
        rows = np.arange(m)
        kind, qa, qb, role, ca, cb = (tok[:, :, c] for c in range(6))

        # Edges: one step per gate position, vectorised over circuits.
        last = np.zeros((m, n), dtype=np.int64)
        front = np.zeros((m, n), dtype=np.int64)
        wire_last = np.zeros((m, nmax, n), dtype=np.int64)
        wire_front = np.zeros((m, nmax, n), dtype=np.int64)
        src = np.full((m, gmax, 2), -1, dtype=np.int64)
        for i in range(gmax):
            wire_last[:, i + 1] = last
            wire_front[:, i + 1] = front
            a, b = qa[:, i], qb[:, i]
            layer = 1 + np.maximum(front[rows, np.maximum(a, 0)], np.where(b >= 0, front[rows, np.maximum(b, 0)], 0))
            for slot, q in ((0, a), (1, b)):
                ok = q >= 0
                r, qq = rows[ok], q[ok]
                src[r, i, slot] = last[r, qq]
                last[r, qq] = i + 1
                front[r, qq] = layer[ok]
        wire_last[rows, lengths + 1] = last
        wire_front[rows, lengths + 1] = front
        dst = np.broadcast_to(np.arange(1, gmax + 1)[None, :, None], src.shape)
        all_src = np.concatenate([src.reshape(m, -1), last], axis=1)
        all_dst = np.concatenate([dst.reshape(m, -1), np.repeat(lengths[:, None] + 1, n, axis=1)], axis=1)
        valid = np.concatenate([src.reshape(m, -1) >= 0, np.ones((m, n), dtype=bool)], axis=1)
        edge_counts = valid.sum(1)
        e_src, e_dst = all_src[valid], all_dst[valid]  # row-major: each circuit's edges in order

        # Nodes: START, gates, END, padded to nmax.
        nk = np.full((m, nmax), -1, dtype=np.int64)
        nk[:, 0] = START_KIND
        nk[:, 1 : gmax + 1] = np.where(kind >= 0, kind + 2, -1)
        nk[rows, lengths + 1] = END_KIND
        node_mask = nk >= 0
        qcl = np.zeros((m, nmax, n), dtype=np.int64)
        for q_arr, c_arr in ((qa, ca), (qb, cb)):
            r, i = np.nonzero(q_arr >= 0)
            qcl[r, i + 1, q_arr[r, i]] = c_arr[r, i]
        node_role = np.full((m, nmax), -1, dtype=np.int64)
        node_role[:, 1 : gmax + 1] = role

        nodes = node_mask.reshape(-1)
        num_nodes = node_mask.sum(1)
        x = np.zeros((int(num_nodes.sum()), self.num_features), dtype=np.float32)
        flat_kind = nk.reshape(-1)[nodes]
        ar = np.arange(len(x))
        x[ar, flat_kind] = 1.0
        flat_q = qcl.reshape(-1, n)[nodes]
        base = self.num_node_kinds
        x[:, base : base + n] = flat_q == Q_CONTROL
        x[:, base + n : base + 2 * n] = flat_q == Q_TARGET
        flat_role = node_role.reshape(-1)[nodes]
        has_role = flat_role >= 0
        x[ar[has_role], base + 2 * n + flat_role[has_role]] = 1.0

        node_ptr = np.zeros(m + 1, dtype=np.int64)
        node_ptr[1:] = np.cumsum(num_nodes)
        edge_ptr = np.zeros(m + 1, dtype=np.int64)
        edge_ptr[1:] = np.cumsum(edge_counts)

        adj = np.zeros((m, nmax, nmax), dtype=np.uint8)
        owner = np.repeat(rows, edge_counts)
        adj[owner, e_src, e_dst] = 1
        return GraphTable(
            x=torch.from_numpy(x),
            edge_index=torch.from_numpy(np.stack([e_src, e_dst])),
            node_ptr=torch.from_numpy(node_ptr),
            edge_ptr=torch.from_numpy(edge_ptr),
            kind=torch.from_numpy(nk.astype(np.int8)),
            qclass=torch.from_numpy(qcl.astype(np.int8)),
            adj=torch.from_numpy(adj),
            wire_last=torch.from_numpy(wire_last.astype(np.int16)),
            front=torch.from_numpy(wire_front.astype(np.int16)),
        )

    def featurize(self, dag: CircuitDAG) -> Data:
        """The graph of one circuit as a PyG ``Data`` (``x``, ``edge_index`` and the
        reconstruction targets ``kind``, ``qclass``)."""
        return self.featurize_many([dag]).get(0)

    # -- graph -> circuit ----------------------------------------------------------------------
    def gate_from_node(self, kind: int, qclass: Sequence[int]) -> Gate | None:
        """The gate a decoded node stands for, or ``None`` if its qubit vector does not fit
        its kind (e.g. a CNOT with no control, a one-qubit gate on two qubits)."""
        if not 2 <= kind < self.num_node_kinds:
            return None
        name = self.node_kinds[kind]
        spec = GATES.get(name)
        controls = [q for q, c in enumerate(qclass) if c == Q_CONTROL]
        targets = [q for q, c in enumerate(qclass) if c == Q_TARGET]
        if spec.num_qubits == 1:
            if controls or len(targets) != 1:
                return None
            qubits: tuple[int, ...] = (targets[0],)
        elif spec.symmetric:
            if controls or len(targets) != 2:
                return None
            qubits = tuple(targets)
        else:
            if len(controls) != 1 or len(targets) != 1:
                return None
            qubits = (controls[0], targets[0])
        return Gate(name, qubits, "trainable" if spec.parameterized else "none")

    def decode_graph(self, ops: Sequence[int], qubits: Any, adj: Any = None) -> CircuitDAG | None:
        """Rebuild a circuit from decoded node kinds, qubit classes and (optionally) adjacency.

        ``ops`` are node-kind indices (START first, END last), ``qubits`` one row of qubit
        classes per node, ``adj`` a 0/1 matrix over the same nodes (only ``s < d`` is read).
        Returns ``None`` unless the nodes form a circuit of the space (``space.contains``)
        and, when ``adj`` is given, the adjacency is exactly that circuit's wire edges.
        Parameterised gates get the ``trainable`` role, as in sampled circuits.
        """
        return self.explain_graph(ops, qubits, adj)[0]

    def explain_graph(self, ops: Sequence[int], qubits: Any, adj: Any = None) -> tuple[CircuitDAG | None, str | None]:
        """:meth:`decode_graph` with the reason a graph is rejected: ``(circuit, None)`` or
        ``(None, reason)``, the reason starting with one of ``"form"`` (START/END misplaced,
        a qubit vector that does not fit the kind), ``"space"`` (a circuit outside the space:
        the space's problem follows) or ``"adjacency"``."""
        ops = [int(o) for o in ops]
        if len(ops) < 2 or ops[0] != START_KIND or ops[-1] != END_KIND:
            return None, "form: START or END misplaced"
        qubits = np.asarray(qubits)
        gates = []
        for i in range(1, len(ops) - 1):
            g = self.gate_from_node(ops[i], qubits[i])
            if g is None:
                return None, f"form: node {i} is not a well-formed gate"
            gates.append(g)
        try:
            dag = self.space.build(gates)
        except CircuitError as exc:
            return None, f"form: {exc}"
        problems = self.space.problems(dag)
        if problems:
            return None, f"space: {problems[0]}"
        if adj is not None and not np.array_equal(_upper(adj) > 0.5, _upper(self.adjacency(gates)) > 0.5):
            return None, "adjacency: decoded edges differ from the circuit's wires"
        return dag, None

    def adjacency(self, gates: Sequence[Gate]) -> np.ndarray:
        """The 0/1 wire adjacency over START, ``gates`` (in the given order) and END."""
        last = [0] * self.num_qubits
        a = np.zeros((len(gates) + 2, len(gates) + 2), dtype=np.uint8)
        for i, g in enumerate(gates, start=1):
            for q in g.qubits:
                a[last[q], i] = 1
                last[q] = i
        for q in range(self.num_qubits):
            a[last[q], len(gates) + 1] = 1
        return a


def _upper(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    return np.triu(a, 1)


def pool_digest(keys: Iterable[str]) -> str:
    """sha256 over a pool's canonical circuit keys, in pool order."""
    h = hashlib.sha256()
    for k in keys:
        h.update(k.encode())
        h.update(b"\n")
    return h.hexdigest()


def node_features(kind: torch.Tensor, qclass: torch.Tensor, role: torch.Tensor, *, num_node_kinds: int) -> torch.Tensor:
    """Node feature rows in the featurizer's layout, from node-kind indices ``[...]``, qubit
    classes ``[..., n]`` and role indices ``[...]`` (-1: no role, as START/END; a kind of
    -1 gives an all-zero row, as padding). Used by the decoder to feed decoded nodes back."""
    onehot = torch.nn.functional.one_hot(kind.clamp(min=0), num_node_kinds).float() * (kind >= 0).unsqueeze(-1)
    roles = torch.nn.functional.one_hot(role.clamp(min=0), len(ROLES)).float() * (role >= 0).unsqueeze(-1)
    return torch.cat([onehot, (qclass == Q_CONTROL).float(), (qclass == Q_TARGET).float(), roles], dim=-1)
