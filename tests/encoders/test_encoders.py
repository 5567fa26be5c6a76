"""The encoder extension point: every registered encoder keeps the contract the store,
pretraining and the metrics rely on, and a new encoder is one module plus a registration.

``BagOfNodesVAE`` below is that new module: a throwaway encoder, registered here and nowhere
else, that pretrains, saves, loads and embeds through the same calls as the circuit VGAE.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from encoders import ENCODERS, CheckpointError, CircuitAutoencoder, CircuitVGAE, EmbeddingError, EmbeddingStore, pretrain
from encoders.featurizer import END_KIND, START_KIND, Featurizer
from encoders.store import pretrained_path, read_checkpoint
from encoders.store.file_format import write_checkpoint
from qas.core.circuit import ROLES
from qas.core.errors import QasError, UnknownNameError


@pytest.fixture(scope="module", autouse=True)
def _unregister_the_throwaway_encoder():
    """The throwaway encoder below is registered while this module's tests run, then removed."""
    yield
    ENCODERS.remove("test-bag-of-nodes")


@ENCODERS.register("test-bag-of-nodes")
class BagOfNodesVAE(CircuitAutoencoder):
    """No message passing: a node's posterior is a linear map of its own features, and a
    linear head decodes its kind (so it reconstructs kinds, never qubits or edges)."""

    reconstruction_terms = ("ops",)

    def __init__(self, *, kinds: Sequence[str], num_qubits: int, max_nodes: int, latent: int = 4, **unused: Any) -> None:
        super().__init__()
        self.kinds, self.num_qubits, self.max_nodes, self.latent = tuple(kinds), num_qubits, max_nodes, latent
        self.num_node_kinds = len(self.kinds) + 2
        num_features = self.num_node_kinds + 2 * num_qubits + len(ROLES)
        self.mu = nn.Linear(num_features, latent)
        self.logvar = nn.Linear(num_features, latent)
        self.op = nn.Linear(latent, self.num_node_kinds)
        self.reset_parameters()

    @property
    def config(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "num_qubits": self.num_qubits, "max_nodes": self.max_nodes, "latent": self.latent}

    def reset_parameters(self) -> None:
        for m in (self.mu, self.logvar, self.op):
            m.reset_parameters()

    def encode(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu(x), self.logvar(x).clamp(-20.0, 10.0)

    def loss(self, batch: Any, *, beta: float = 1.0, latent_dropout: float = 0.0) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(batch.x, batch.edge_index)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        target = batch.x[:, : self.num_node_kinds].argmax(-1)
        b = float(batch.num_graphs)
        out = {
            "ops": F.cross_entropy(self.op(z), target, reduction="sum") / b,
            "kl": -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / b,
        }
        out["loss"] = out["ops"] + beta * out["kl"]
        return out

    @torch.no_grad()
    def generate(self, z: torch.Tensor, num_nodes: torch.Tensor, *, structured: bool = True):
        bsz, nmax, _ = z.shape
        kinds = self.op(z).argmax(-1)
        kinds[:, 0] = START_KIND
        pos = torch.arange(nmax).expand(bsz, nmax)
        kinds = torch.where(pos == (num_nodes - 1).unsqueeze(1), END_KIND, kinds)
        kinds = torch.where(pos >= num_nodes.unsqueeze(1), -1, kinds)
        return kinds, torch.zeros(bsz, nmax, self.num_qubits, dtype=torch.long), torch.zeros(bsz, nmax, nmax)


def _build(name: str, space: Any) -> CircuitAutoencoder:
    torch.manual_seed(0)
    return ENCODERS.get(name).for_space(
        space, max_nodes=Featurizer(space).max_nodes, latent=4, hidden=16, hops=2, decoder_hidden=16, adj_dim=8
    )


@pytest.mark.parametrize("name", ENCODERS.names())
def test_every_encoder_keeps_the_contract(name, tiny_space, tiny_pool):
    cls = ENCODERS.get(name)
    model = _build(name, tiny_space)
    assert type(model) is cls and ENCODERS.get(cls.name) is cls
    assert model.kinds == tiny_space.gates and model.num_qubits == tiny_space.num_qubits and model.latent == 4
    table = Featurizer(tiny_space).featurize_many(tiny_pool[:16])
    batch = table.batch(torch.arange(16))
    # training: the loss terms pretraining reads, finite, and they backpropagate
    model.train()
    parts = model.loss(batch, beta=0.5, latent_dropout=0.2)
    assert {"loss", "kl", *cls.reconstruction_terms} <= set(parts) and cls.reconstruction_terms
    assert all(torch.isfinite(v) for v in parts.values())
    parts["loss"].backward()
    assert any(p.grad is not None for p in model.parameters())
    # encoding and decoding
    model.eval()
    with torch.no_grad():
        z = model.embed(batch)
        mu, logvar = model.encode(batch.x, batch.edge_index)
    assert z.shape == (16, 4) and mu.shape == logvar.shape == (batch.num_nodes, 4)
    n = batch.kind.shape[1]
    kinds, qclass, adj = model.generate(torch.zeros(3, n, 4), torch.tensor([n, n - 1, 3]))
    assert kinds.shape == (3, n) and qclass.shape == (3, n, tiny_space.num_qubits) and adj.shape == (3, n, n)
    assert (kinds[2, 3:] == -1).all()
    # the config is plain JSON and rebuilds the same model
    clone = cls.from_config(json.loads(json.dumps(model.config)))
    clone.load_state_dict(model.state_dict())
    clone.eval()
    assert clone.config == model.config
    with torch.no_grad():
        assert torch.equal(clone.embed(batch), z)


@pytest.mark.parametrize("name", ENCODERS.names())
def test_every_encoder_round_trips_through_the_store(name, tiny_space, tiny_pool, tmp_path):
    store = EmbeddingStore(model=_build(name, tiny_space), space=tiny_space, pool=tiny_pool[:40])
    path = store.save(tmp_path / "emb.pt")
    header, _, _ = read_checkpoint(path)
    assert header["model"]["class"] == ENCODERS.get(name).name
    back = EmbeddingStore.load(path, space=tiny_space)
    assert type(back.model) is ENCODERS.get(name)
    np.testing.assert_array_equal(back.latents, store.latents)
    np.testing.assert_array_equal(back.embed(tiny_pool[:5]), store.latents[:5])


def test_a_new_encoder_pretrains_saves_and_loads_by_its_name(tiny_space, tiny_pool, tmp_path):
    out = tmp_path / "bag.pt"
    report = pretrain(tiny_space, tiny_pool[:80], out=out, encoder="test-bag-of-nodes", progress=False, epochs=2,
                      batch_size=32, latent=4, prior_samples=30, structure_pairs=30)
    assert report.config["encoder"] == "test-bag-of-nodes" and report.reconstruction["circuit"] == 0.0
    header, _, _ = read_checkpoint(out)
    assert header["model"] == {"class": "test-bag-of-nodes", "config": {
        "kinds": list(tiny_space.gates), "num_qubits": 3, "max_nodes": Featurizer(tiny_space).max_nodes, "latent": 4}}
    store = EmbeddingStore.load(out, space=tiny_space)
    assert isinstance(store.model, BagOfNodesVAE) and store.latents.shape == (80, 4)
    np.testing.assert_allclose(store.embed(tiny_pool[3]), store.latents[3], atol=1e-6)


def test_the_circuit_vgae_is_registered_under_the_name_its_files_record():
    assert ENCODERS.get("CircuitVGAE") is CircuitVGAE and ENCODERS.get("vgae") is CircuitVGAE
    assert CircuitVGAE.name == "CircuitVGAE"
    for name in ("paper-4q", "paper-8q", "qml-4q"):
        header, _, _ = read_checkpoint(pretrained_path(name))
        assert header["model"]["class"] == "CircuitVGAE"


def test_unknown_and_unregistered_encoders_are_clear_errors(tiny_space, tiny_pool, tiny_trained, tmp_path):
    with pytest.raises(UnknownNameError, match="unknown encoder 'gcn'; choose one of: circuitvgae"):
        pretrain(tiny_space, tiny_pool, encoder="gcn", progress=False)

    class Unregistered(BagOfNodesVAE):
        pass

    model = Unregistered(kinds=tiny_space.gates, num_qubits=3, max_nodes=8)
    with pytest.raises(EmbeddingError, match="Unregistered is not a registered encoder"):
        EmbeddingStore(model=model, space=tiny_space, pool=tiny_pool[:5]).save(tmp_path / "x.pt")
    # a file naming an encoder this installation does not have
    header, tensors, _ = read_checkpoint(tiny_trained[1])
    header["model"]["class"] = "NoSuchEncoder"
    path = write_checkpoint(tmp_path / "other.pt", header, tensors)
    with pytest.raises(CheckpointError, match="unknown model .*registered encoders: circuitvgae") as err:
        EmbeddingStore.load(path)
    assert str(path) in str(err.value)


def test_the_registry_takes_encoder_classes_once():
    with pytest.raises(TypeError, match="CircuitAutoencoder subclass"):
        ENCODERS.add("not-a-model", nn.Linear)
    with pytest.raises(ValueError, match="registered already, as 'test-bag-of-nodes'"):
        ENCODERS.add("bag-again", BagOfNodesVAE)
    assert isinstance(UnknownNameError("x"), QasError)
