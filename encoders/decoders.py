"""Decoders of the circuit VGAE: node latents -> node states -> kinds, qubit vectors, edges.

A circuit is decoded node by node in its canonical order (START, gates, END), like the
autoregressive graph decoders of D-VAE and GraphRNN. The :class:`NodeStateDecoder` is a GRU
whose input at node ``t`` is that node's latent together with what has been decoded so
far: the previous node's features, the position ``t``, and for every wire the node that
last touched it and its depth. Teacher forcing supplies these in training; when sampling
they come from the decoded prefix. Conditioning on the partial circuit is what lets a
circuit decoded from a prior sample respect the space's depth bound. From the node states:

* :class:`OpDecoder` is a linear map with a *softmax* over the space's gate kinds (arch2vec's
  reference code applied a sigmoid here); START and END sit at the first and last node;
* :class:`QubitDecoder` gives, for every qubit, a softmax over (untouched, control, target),
  conditioned on the node's gate kind;
* :class:`InnerProductDecoder` scores an edge ``s -> d`` by the inner product of a source
  embedding of node ``s`` and a target embedding of node ``d`` (plus one learned offset);
  only ``s < d`` is used.
"""

from __future__ import annotations

import torch
from torch import nn


class NodeStateDecoder(nn.Module):
    """``state_t = GRU(input_t, state_{t-1})`` over the nodes of each circuit."""

    def __init__(self, in_size: int, *, hidden: int = 128) -> None:
        super().__init__()
        self.in_size = in_size
        self.hidden = hidden
        self.gru = nn.GRU(in_size, hidden, batch_first=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.gru.reset_parameters()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """States ``[B, N, hidden]`` for per-node inputs ``[B, N, in_size]``."""
        out, _ = self.gru(inputs)
        return out

    def step(self, input_t: torch.Tensor, h: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One node: ``(state [B, hidden], carry)`` for an input ``[B, in_size]``."""
        out, h = self.gru(input_t.unsqueeze(1), h)
        return out[:, 0], h

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_size}, hidden={self.hidden})"


class OpDecoder(nn.Module):
    """Linear map from a node state to logits over the gate kinds (softmax, not sigmoid)."""

    def __init__(self, hidden: int, num_kinds: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.num_kinds = num_kinds
        self.lin = nn.Linear(hidden, num_kinds)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.lin(states)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.hidden}, {self.num_kinds})"


class QubitDecoder(nn.Module):
    """Per-qubit logits over (untouched, control, target).

    The logits are the sum of two terms: an MLP of the node state plus an embedding of the
    node's gate kind (which qubits this gate acts on), and a linear map, shared by all
    qubits, of ``qubit_features`` per qubit (the decoder passes the wire's current depth),
    so a rule such as "a full wire takes no more gates" is a single learned offset.
    """

    def __init__(self, hidden: int, num_kinds: int, num_qubits: int, qubit_features: int = 0) -> None:
        super().__init__()
        self.hidden = hidden
        self.num_kinds = num_kinds
        self.num_qubits = num_qubits
        self.qubit_features = qubit_features
        self.kind_embedding = nn.Embedding(num_kinds, hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3 * num_qubits))
        self.per_qubit = nn.Linear(qubit_features, 3) if qubit_features else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.kind_embedding.reset_parameters()
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                m.reset_parameters()
        if self.per_qubit is not None:
            self.per_qubit.reset_parameters()

    def forward(self, states: torch.Tensor, kinds: torch.Tensor, qubit_x: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``[..., num_qubits, 3]`` for states ``[..., hidden]``, gate-kind indices
        ``[...]`` (0-based over the space's kinds) and per-qubit features
        ``[..., num_qubits, qubit_features]``."""
        h = states + self.kind_embedding(kinds.clamp(min=0))
        logits = self.mlp(h).unflatten(-1, (self.num_qubits, 3))
        if self.per_qubit is not None:
            logits = logits + self.per_qubit(qubit_x)
        return logits

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.hidden}, kinds={self.num_kinds}, qubits={self.num_qubits}, "
            f"qubit_features={self.qubit_features})"
        )


class InnerProductDecoder(nn.Module):
    """Edge logits ``<S(h_i), T(h_j)> + b`` between node embeddings ``h`` (``[B, N, in_size]``).

    Wire edges are directed (``i`` before ``j``); a symmetric ``<W h_i, W h_j>`` would also
    reward two gates for sharing a predecessor. Separate source and target maps (as in
    directed graph autoencoders) let ``S(h_i)`` say "I am node i" and ``T(h_j)`` say "my
    predecessors are ...". ``S`` and ``T`` are small MLPs; only ``i < j`` is read.
    """

    def __init__(self, in_size: int, dim: int = 32, *, hidden: int = 128) -> None:
        super().__init__()
        self.in_size = in_size
        self.dim = dim
        self.source = nn.Sequential(nn.Linear(in_size, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.target = nn.Sequential(nn.Linear(in_size, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.bias = nn.Parameter(torch.zeros(()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in (*self.source, *self.target):
            if isinstance(m, nn.Linear):
                m.reset_parameters()
        with torch.no_grad():
            self.bias.zero_()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, N, N]``; entry ``[b, i, j]`` scores the edge ``i -> j``."""
        return self.source(h) @ self.target(h).transpose(-1, -2) + self.bias

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_size}, dim={self.dim})"
