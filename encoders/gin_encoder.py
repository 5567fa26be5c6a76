"""The GIN encoder of the circuit VGAE: node features -> per-node Gaussian posterior."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GINConv


def _mlp(in_channels: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, hidden),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
    )


class GINEncoder(nn.Module):
    """``hops`` rounds of :class:`torch_geometric.nn.GINConv` (MLP ``hidden``, BatchNorm,
    ReLU) over the wire edges in both directions, then linear maps to the mean and
    log-variance of a ``latent``-dimensional Gaussian per node (as arch2vec).

    The last hidden layer is concatenated with the input features before the linear maps
    (a skip connection), so each node's latent sees its own gate directly as well as its
    ``hops``-hop neighbourhood.
    """

    def __init__(self, in_channels: int, *, hidden: int = 128, latent: int = 16, hops: int = 5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.hidden = hidden
        self.latent = latent
        self.hops = hops
        self.convs = nn.ModuleList(
            GINConv(_mlp(in_channels if i == 0 else hidden, hidden), train_eps=True) for i in range(hops)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(hops))
        self.mu = nn.Linear(hidden + in_channels, latent)
        self.logvar = nn.Linear(hidden + in_channels, latent)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for conv, norm in zip(self.convs, self.norms):
            conv.reset_parameters()
            norm.reset_parameters()
        self.mu.reset_parameters()
        self.logvar.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-node ``(mu, logvar)``, each ``[num_nodes, latent]``."""
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)  # messages both ways
        h = x
        for conv, norm in zip(self.convs, self.norms):
            h = torch.relu(norm(conv(h, edge_index)))
        h = torch.cat([h, x], dim=-1)
        return self.mu(h), self.logvar(h)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, latent={self.latent}, "
            f"hidden={self.hidden}, hops={self.hops})"
        )
