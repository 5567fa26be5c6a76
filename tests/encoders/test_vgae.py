"""The VGAE modules: sizes in repr, reset_parameters, config round trip, loss terms, and a
decode(encode(x)) round trip on a tiny trained model."""

from __future__ import annotations

import torch

from encoders import CircuitVGAE, EmbeddingStore, Featurizer, GINEncoder
from encoders.decoders import InnerProductDecoder, NodeStateDecoder, OpDecoder, QubitDecoder
from encoders.metrics import reconstruction
from search_spaces import load_space, sample_pool


def _model(**kw):
    space = load_space("paper-4q")
    return space, CircuitVGAE(kinds=space.gates, num_qubits=4, pairs=space.pairs, max_nodes=12, **kw)


def test_repr_shows_sizes():
    _, m = _model()
    assert repr(m.encoder) == "GINEncoder(25, latent=16, hidden=128, hops=5)"
    assert "latent=16" in repr(m) and "hops=5" in repr(m) and "params=" in repr(m)
    assert repr(OpDecoder(128, 11)) == "OpDecoder(128, 11)"
    assert repr(QubitDecoder(128, 11, 4, 12)) == "QubitDecoder(128, kinds=11, qubits=4, qubit_features=12)"
    assert repr(InnerProductDecoder(64, 32)) == "InnerProductDecoder(64, dim=32)"
    assert repr(NodeStateDecoder(10, hidden=16)) == "NodeStateDecoder(10, hidden=16)"
    assert len(m.encoder.convs) == 5
    assert m.encoder.convs[0].__class__.__name__ == "GINConv"


def test_reset_parameters_and_config_round_trip():
    _, m = _model(latent=8, hops=3)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    torch.manual_seed(123)
    m.reset_parameters()
    assert any(not torch.equal(before[k], v) for k, v in m.state_dict().items() if v.is_floating_point())
    clone = CircuitVGAE.from_config(m.config)
    clone.load_state_dict(m.state_dict())
    assert clone.config == m.config and clone.encoder.hops == 3 and clone.latent == 8


def test_loss_terms_are_finite_and_backpropagate():
    space, m = _model()
    table = Featurizer(space).featurize_many(list(sample_pool(space, 16, seed=0)))
    parts = m.loss(table.batch(torch.arange(16)), beta=0.5, latent_dropout=0.2)
    assert set(parts) == {"ops", "qubits", "adj", "kl", "loss"}
    assert all(torch.isfinite(v) for v in parts.values())
    parts["loss"].backward()
    assert m.encoder.convs[0].nn[0].weight.grad is not None


def test_gin_encoder_outputs_per_node_gaussians():
    enc = GINEncoder(7, hidden=16, latent=4, hops=2)
    x = torch.randn(5, 7)
    ei = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    enc.eval()
    mu, logvar = enc(x, ei)
    assert mu.shape == (5, 4) and logvar.shape == (5, 4)


def test_decode_encode_round_trip_on_tiny_trained_model(tiny_trained, tiny_space, tiny_pool):
    report, path = tiny_trained
    store = EmbeddingStore.load(path, space=tiny_space)
    f = store.featurizer
    table = f.featurize_many(tiny_pool)
    # the model has seen these circuits: decode(encode(x)) gives x back
    rec = reconstruction(store.model, table)
    assert rec["ops"] >= 0.95 and rec["qubits"] >= 0.95 and rec["circuit"] >= 0.85, rec
    # and via the graph: decoded kinds/qubits/edges rebuild the same CircuitDAG
    from torch_geometric.utils import to_dense_batch

    b = table.batch(torch.arange(len(tiny_pool)))
    with torch.no_grad():
        mu, _ = store.model.encode(b.x, b.edge_index)
        z, mask = to_dense_batch(mu, b.batch, max_num_nodes=b.kind.shape[1])
        kinds, qclass, adj = store.model.generate(z, mask.sum(1))
    back = [
        f.decode_graph(kinds[i, : int(mask[i].sum())].tolist(), qclass[i, : int(mask[i].sum())].numpy())
        for i in range(len(tiny_pool))
    ]
    assert sum(d == c for d, c in zip(back, tiny_pool)) >= 0.95 * len(tiny_pool)
    assert report.prior["validity"] > 0.5 and 0 < report.prior["uniqueness"] <= 1
