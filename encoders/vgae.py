"""The circuit VGAE: a GIN encoder and the node decoders, composed (PyG's ``GAE`` style).
Registered in :data:`~encoders.registry.ENCODERS` as ``CircuitVGAE`` (alias ``vgae``), the
name its embedding files record.

Latents are per node, as in arch2vec: the encoder gives each node a Gaussian posterior
``N(mu, diag(exp(logvar)))`` of dimension ``latent``. A circuit's embedding, the vector the
search agents move in, is the mean of its nodes' ``mu`` (arch2vec's graph embedding).

Training loss, averaged over circuits: cross-entropy of the gate kinds, cross-entropy of
each qubit's class (untouched/control/target), binary cross-entropy of the upper-triangular
adjacency, and ``beta`` times the KL divergence of the node posteriors from ``N(0, I)``.

Where this departs from arch2vec, and why
    * The decoder is autoregressive over the canonical node order and sees the partial
      circuit (see :mod:`encoders.decoders`). arch2vec decodes each node from its own
      latent alone; with independent prior samples per node that gives circuits that break
      the space's depth bound about half the time on ``paper-4q`` (56% of independently
      drawn 10-gate sequences fit depth 5).
    * ``latent_dropout`` (see :meth:`CircuitVGAE.loss`) teaches the decoder to override a
      latent that asks for a gate the prefix does not allow.
    * The op decoder is a softmax over kinds, not a sigmoid.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch_geometric.utils import to_dense_batch

from qas.core.circuit import ROLES
from qas.core.gates import GATES
from encoders.base import ENCODERS, CircuitAutoencoder
from encoders.decoders import InnerProductDecoder, NodeStateDecoder, OpDecoder, QubitDecoder
from encoders.featurizer import END_KIND, Q_CONTROL, Q_NONE, Q_TARGET, START_KIND, node_features
from encoders.gin_encoder import GINEncoder


@ENCODERS.register("CircuitVGAE", aliases=("vgae",))
class CircuitVGAE(CircuitAutoencoder):
    """Variational graph autoencoder over circuits of one gate alphabet and qubit count.

    ``kinds`` are the gate kinds in featurizer order, ``pairs`` the allowed qubit pairs of
    two-qubit gates (both directions; every pair when ``None``). Both fix the decoder's
    output vocabulary: a decoded gate is always well formed (a kind from ``kinds`` on a
    placement its arity allows), but whether the circuit respects the space's gate count
    and depth bounds is up to what the model learned.
    """

    reconstruction_terms = ("ops", "qubits", "adj")

    def __init__(
        self,
        *,
        kinds: Sequence[str],
        num_qubits: int,
        pairs: Sequence[Sequence[int]] | None = None,
        latent: int = 16,
        hidden: int = 128,
        hops: int = 5,
        decoder_hidden: int = 128,
        adj_dim: int = 32,
        max_nodes: int = 64,
    ) -> None:
        super().__init__()
        self.kinds = tuple(GATES.get(k).name for k in kinds)
        self.num_qubits = num_qubits
        if pairs is None:
            pairs = [(a, b) for a in range(num_qubits) for b in range(num_qubits) if a != b]
        self.pairs = tuple(sorted({(int(a), int(b)) for a, b in pairs}))
        self.latent = latent
        self.num_node_kinds = len(self.kinds) + 2
        self.num_features = self.num_node_kinds + 2 * num_qubits + len(ROLES)
        self.encoder = GINEncoder(self.num_features, hidden=hidden, latent=latent, hops=hops)
        self.max_nodes = max_nodes
        in_size = latent + self.num_features + max_nodes * (1 + 2 * num_qubits)
        self.node_decoder = NodeStateDecoder(in_size, hidden=decoder_hidden)
        self.op_decoder = OpDecoder(decoder_hidden, len(self.kinds))
        self.qubit_decoder = QubitDecoder(decoder_hidden, len(self.kinds), num_qubits, qubit_features=max_nodes)
        adj_in = decoder_hidden + self.num_features + max_nodes * (1 + num_qubits)
        self.adj_decoder = InnerProductDecoder(adj_in, adj_dim, hidden=decoder_hidden)
        self._config = dict(
            kinds=list(self.kinds), num_qubits=num_qubits, pairs=[list(p) for p in self.pairs], latent=latent,
            hidden=hidden, hops=hops, decoder_hidden=decoder_hidden, adj_dim=adj_dim, max_nodes=max_nodes,
        )
        placements, pmask = self._placements()
        self.register_buffer("placements", placements, persistent=False)
        self.register_buffer("placement_mask", pmask, persistent=False)
        roles = [ROLES.index("trainable" if GATES.get(k).parameterized else "none") for k in self.kinds]
        self.register_buffer("kind_roles", torch.tensor(roles), persistent=False)
        self.reset_parameters()

    @property
    def config(self) -> dict[str, Any]:
        """Plain (JSON-able) keyword arguments that rebuild this model."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._config.items()}

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.node_decoder.reset_parameters()
        self.op_decoder.reset_parameters()
        self.qubit_decoder.reset_parameters()
        self.adj_decoder.reset_parameters()

    def __repr__(self) -> str:
        c = self._config
        n_params = sum(p.numel() for p in self.parameters())
        return (
            f"{self.__class__.__name__}(kinds={len(self.kinds)}, qubits={self.num_qubits}, latent={c['latent']}, "
            f"hidden={c['hidden']}, hops={c['hops']}, decoder_hidden={c['decoder_hidden']}, params={n_params})"
        )

    def _placements(self) -> tuple[torch.Tensor, torch.Tensor]:
        """For each kind, every well-formed qubit vector (classes per qubit), padded."""
        n = self.num_qubits
        per_kind = []
        for k in self.kinds:
            spec = GATES.get(k)
            rows = []
            if spec.num_qubits == 1:
                for q in range(n):
                    r = [Q_NONE] * n
                    r[q] = Q_TARGET
                    rows.append(r)
            else:
                for a, b in self.pairs:
                    if spec.symmetric and a > b:
                        continue
                    r = [Q_NONE] * n
                    r[a], r[b] = (Q_TARGET, Q_TARGET) if spec.symmetric else (Q_CONTROL, Q_TARGET)
                    rows.append(r)
            per_kind.append(rows)
        pmax = max(len(r) for r in per_kind)
        table = torch.zeros(len(self.kinds), pmax, n, dtype=torch.long)
        mask = torch.zeros(len(self.kinds), pmax, dtype=torch.bool)
        for i, rows in enumerate(per_kind):
            table[i, : len(rows)] = torch.tensor(rows)
            mask[i, : len(rows)] = True
        return table, mask

    # -- encoding ------------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-node posterior ``(mu, logvar)``."""
        mu, logvar = self.encoder(x, edge_index)
        return mu, logvar.clamp(-20.0, 10.0)

    def _decoder_input(
        self, z: torch.Tensor, prev_x: torch.Tensor, pos: torch.Tensor, wire_last: torch.Tensor, front: torch.Tensor
    ) -> torch.Tensor:
        """GRU input: latent, previous node's features, one-hot position, and per wire the
        one-hot of the node that last touched it and of its depth (both ``< max_nodes``)."""
        m = self.max_nodes
        return torch.cat(
            [
                z,
                prev_x,
                F.one_hot(pos.clamp(max=m - 1), m).float(),
                F.one_hot(wire_last.clamp(0, m - 1), m).flatten(-2).float(),
                F.one_hot(front.clamp(0, m - 1), m).flatten(-2).float(),
            ],
            dim=-1,
        )

    def _adjacency_input(
        self, states: torch.Tensor, x: torch.Tensor, pos: torch.Tensor, wire_last: torch.Tensor
    ) -> torch.Tensor:
        """What the edge decoder embeds for a node: its state, its decoded features, its
        one-hot position and, per wire, the one-hot of the node that last touched the wire
        before it (the partial circuit it was decoded in)."""
        m = self.max_nodes
        return torch.cat(
            [
                states,
                x,
                F.one_hot(pos.clamp(max=m - 1), m).float(),
                F.one_hot(wire_last.clamp(0, m - 1), m).flatten(-2).float(),
            ],
            dim=-1,
        )

    # -- training ------------------------------------------------------------------------------
    def loss(self, batch: Any, *, beta: float = 1.0, latent_dropout: float = 0.0) -> dict[str, torch.Tensor]:
        """Loss terms for a batch from :meth:`GraphTable.batch` (sums per circuit, averaged).

        ``latent_dropout``: the fraction of nodes whose latent is replaced by a draw from the
        prior before decoding (training only). The decoder must then predict those nodes
        from the nodes before them, so it learns which gates the space allows after a
        prefix, and it learns to ignore a latent that points at a gate the prefix forbids:
        this is what keeps circuits decoded from prior samples inside the space.
        """
        mu, logvar = self.encode(batch.x, batch.edge_index)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        if self.training and latent_dropout > 0:
            drop = torch.rand(z.shape[0], 1) < latent_dropout
            z = torch.where(drop, torch.randn_like(z), z)
        n = batch.kind.shape[1]
        z_d, node_mask = to_dense_batch(z, batch.batch, max_num_nodes=n, batch_size=batch.num_graphs)
        x_d, _ = to_dense_batch(batch.x, batch.batch, max_num_nodes=n, batch_size=batch.num_graphs)
        prev = torch.cat([torch.zeros_like(x_d[:, :1]), x_d[:, :-1]], dim=1)
        pos = torch.arange(n).expand(batch.num_graphs, n)
        states = self.node_decoder(self._decoder_input(z_d, prev, pos, batch.wire_last, batch.front))
        kind = batch.kind
        gate = kind >= 2
        g_states = states[gate]
        g_kind = kind[gate] - 2
        ce_op = F.cross_entropy(self.op_decoder(g_states), g_kind, reduction="sum")
        front_x = F.one_hot(batch.front.clamp(0, self.max_nodes - 1), self.max_nodes).float()
        q_logits = self.qubit_decoder(g_states, g_kind, front_x[gate])
        ce_q = F.cross_entropy(q_logits.reshape(-1, 3), batch.qclass[gate].reshape(-1), reduction="sum")
        adj_logits = self.adj_decoder(self._adjacency_input(states, x_d, pos, batch.wire_last))
        pair = torch.triu(node_mask.unsqueeze(2) & node_mask.unsqueeze(1), diagonal=1)
        bce = F.binary_cross_entropy_with_logits(adj_logits[pair], batch.adj[pair], reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        b = float(batch.num_graphs)
        out = {"ops": ce_op / b, "qubits": ce_q / b, "adj": bce / b, "kl": kl / b}
        out["loss"] = out["ops"] + out["qubits"] + out["adj"] + beta * out["kl"]
        return out

    # -- decoding ------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(
        self, z: torch.Tensor, num_nodes: torch.Tensor, *, structured: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decode node latents ``z`` ``[B, N, latent]`` of circuits with ``num_nodes`` nodes.

        Greedy, node by node: START, then per gate the most likely kind and, for that kind,
        the most likely well-formed qubit vector (``structured``; otherwise each qubit's own
        most likely class, which may not form a gate), then END. Returns node kinds
        ``[B, N]`` (-1 past END), qubit classes ``[B, N, n]`` and edge probabilities
        ``[B, N, N]``.
        """
        bsz, nmax, _ = z.shape
        if nmax > self.max_nodes:
            raise ValueError(f"circuits of {nmax} nodes exceed this model's max_nodes={self.max_nodes}")
        n = self.num_qubits
        kinds = torch.full((bsz, nmax), -1, dtype=torch.long)
        qclass = torch.zeros((bsz, nmax, n), dtype=torch.long)
        prev = torch.zeros(bsz, self.num_features)
        last = torch.zeros(bsz, n, dtype=torch.long)
        front = torch.zeros(bsz, n, dtype=torch.long)
        h = None
        embeds = []
        rows = torch.arange(bsz)
        for t in range(nmax):
            pos = torch.full((bsz,), t, dtype=torch.long)
            s, h = self.node_decoder.step(self._decoder_input(z[:, t], prev, pos, last, front), h)
            gate_kind = self.op_decoder(s).argmax(-1)
            front_x = F.one_hot(front.clamp(0, self.max_nodes - 1), self.max_nodes).float()
            logp = self.qubit_decoder(s, gate_kind, front_x).log_softmax(-1)  # [B, n, 3]
            if structured:
                cand = self.placements[gate_kind]  # [B, P, n]
                score = logp.unsqueeze(1).expand(-1, cand.shape[1], -1, -1).gather(-1, cand.unsqueeze(-1))
                score = score.squeeze(-1).sum(-1).masked_fill(~self.placement_mask[gate_kind], float("-inf"))
                qc = cand[rows, score.argmax(-1)]
            else:
                qc = logp.argmax(-1)
            k = gate_kind + 2
            k = torch.where(num_nodes - 1 == t, torch.full_like(k, END_KIND), k)
            if t == 0:
                k = torch.full_like(k, START_KIND)
            k = torch.where(num_nodes <= t, torch.full_like(k, -1), k)
            is_gate = k >= 2
            qc = qc * is_gate.unsqueeze(-1)
            role = torch.where(is_gate, self.kind_roles[gate_kind], torch.full_like(k, -1))
            kinds[:, t] = k
            qclass[:, t] = qc
            prev = node_features(k, qc, role, num_node_kinds=self.num_node_kinds)
            embeds.append(self._adjacency_input(s, prev, pos, last))
            # the partial circuit: wires this gate touches now end at node t, one layer deeper
            touched = qc > 0
            layer = 1 + (front * touched).amax(-1, keepdim=True)
            last = torch.where(touched, t, last)
            front = torch.where(touched, layer, front)
        adj = torch.sigmoid(self.adj_decoder(torch.stack(embeds, dim=1)))
        return kinds, qclass, adj
