"""What a circuit encoder is: the contract the embedding store, pretraining and the metrics rely
on, and :data:`ENCODERS`, the registry that names each one.

An encoder (the extension point) is a graph autoencoder over the featurizer's circuit graphs,
composed like PyG's ``GAE(encoder, decoder)``: a graph encoder maps node features to per-node
Gaussian posteriors, and decoders map node latents back to circuits in the featurizer's node
vocabulary. :class:`~encoders.vgae.CircuitVGAE` (a GIN encoder and autoregressive decoders) is
the built-in one.

Adding an encoder is one module with a :class:`CircuitAutoencoder` subclass under
``@ENCODERS.register("<name>")``, and its import in :mod:`encoders.registry`. Embedding files
record the registered name (spelled as registered) and the model's :attr:`~CircuitAutoencoder.config`;
loading a file looks the name up here and calls ``from_config``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn
from torch_geometric.nn import global_mean_pool

from qas.core.registry import Registry

if TYPE_CHECKING:
    from search_spaces.spec import SearchSpace


class CircuitAutoencoder(nn.Module, ABC):
    """A graph autoencoder over circuits of one gate alphabet and qubit count.

    What each caller uses, and when:

    ``for_space(space, max_nodes=..., **sizes)``
        pretraining builds a fresh model for a space (``sizes``: the model fields of
        :class:`~encoders.pretrain.PretrainConfig`: ``latent``, ``hidden``, ``hops``,
        ``decoder_hidden``, ``adj_dim``; an encoder may ignore those it has no use for).
    ``loss(batch, beta=..., latent_dropout=...)``
        pretraining minimises ``["loss"]``, logs ``["kl"]``, and stops early on the sum of the
        :attr:`reconstruction_terms` over held-out circuits (``beta=0``).
    ``config`` and ``from_config(config)``
        the store records ``config`` (plain JSON) with the registered :attr:`name`, and
        rebuilds the model from it before loading its weights (``strict``).
    ``encode(x, edge_index)``, ``embed(batch)``
        per-node posteriors ``(mu, logvar)``; a circuit's embedding, the vector the search
        agents move in, is the mean of its nodes' ``mu`` (the default :meth:`embed`).
    ``generate(z, num_nodes, structured=...)``
        the metrics decode node latents into node kinds, qubit classes and edge
        probabilities, in the featurizer's vocabulary, to measure reconstruction and prior
        samples.

    Instances carry ``kinds`` (the space's gate alphabet, featurizer order), ``num_qubits``
    and ``latent``; the store checks the first two against the file's space.
    """

    #: the registered name, spelled as registered (set by :data:`ENCODERS`); files record it
    name: ClassVar[str] = ""
    #: keys of :meth:`loss`'s result whose sum is the reconstruction loss
    reconstruction_terms: ClassVar[tuple[str, ...]] = ()

    kinds: tuple[str, ...]
    num_qubits: int
    latent: int

    @classmethod
    def for_space(cls, space: "SearchSpace", *, max_nodes: int, **sizes: Any) -> "CircuitAutoencoder":
        """A fresh model for circuits of ``space`` with up to ``max_nodes`` graph nodes."""
        return cls(kinds=space.gates, num_qubits=space.num_qubits, pairs=space.pairs, max_nodes=max_nodes, **sizes)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "CircuitAutoencoder":
        """The model :attr:`config` describes (fresh weights)."""
        return cls(**config)

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Plain (JSON-able) keyword arguments that rebuild this model."""

    @abstractmethod
    def reset_parameters(self) -> None:
        """Re-initialise every weight."""

    @abstractmethod
    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-node posterior ``(mu, logvar)``, each ``[num_nodes, latent]``."""

    def embed(self, batch: Any) -> torch.Tensor:
        """Circuit embeddings ``[num_graphs, latent]``: the mean of each circuit's node means."""
        mu, _ = self.encode(batch.x, batch.edge_index)
        return global_mean_pool(mu, batch.batch, size=batch.num_graphs)

    @abstractmethod
    def loss(self, batch: Any, *, beta: float = 1.0, latent_dropout: float = 0.0) -> dict[str, torch.Tensor]:
        """Loss terms for a batch from :meth:`~encoders.featurizer.GraphTable.batch`:
        ``"loss"`` (what training minimises), ``"kl"`` and the :attr:`reconstruction_terms`."""

    @abstractmethod
    def generate(
        self, z: torch.Tensor, num_nodes: torch.Tensor, *, structured: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Decode node latents ``z`` ``[B, N, latent]`` of circuits with ``num_nodes`` nodes:
        node kinds ``[B, N]`` (-1 past END), qubit classes ``[B, N, num_qubits]`` and edge
        probabilities ``[B, N, N]``. ``structured=False`` asks for the decoder's raw choice
        where it otherwise enforces well-formed gates (an encoder without such a rule ignores it)."""


class EncoderRegistry(Registry["type[CircuitAutoencoder]"]):
    """Encoders by name. Registering a class sets its :attr:`~CircuitAutoencoder.name` to the
    name as spelled, which is what embedding files record."""

    def add(self, name: str, obj: "type[CircuitAutoencoder]", *, aliases: tuple[str, ...] = ()) -> "type[CircuitAutoencoder]":
        if not (isinstance(obj, type) and issubclass(obj, CircuitAutoencoder)):
            raise TypeError(f"an encoder is a CircuitAutoencoder subclass, not {obj!r}")
        if vars(obj).get("name"):
            raise ValueError(f"encoder {obj.__name__} is registered already, as {obj.name!r}")
        super().add(name, obj, aliases=aliases)
        obj.name = name
        return obj


#: every encoder by name; import it from :mod:`encoders.registry` (or ``encoders``), which
#: registers the built-in ones
ENCODERS = EncoderRegistry("encoder")
