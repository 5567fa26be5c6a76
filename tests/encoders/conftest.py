"""A tiny space and a model trained on it once per test session (a few seconds)."""

from __future__ import annotations

import pytest

from search_spaces import SearchSpace, sample_pool


@pytest.fixture(scope="session")
def tiny_space() -> SearchSpace:
    return SearchSpace("tiny-3q", 3, ("H", "RX", "CNOT", "CZ"), min_gates=3, max_gates=5, max_depth=4)


@pytest.fixture(scope="session")
def tiny_pool(tiny_space):
    return list(sample_pool(tiny_space, 300, seed=1))


@pytest.fixture(scope="session")
def tiny_trained(tiny_space, tiny_pool, tmp_path_factory):
    """``(report, path)`` of a small VGAE pretrained on 300 circuits and saved (full file)."""
    from encoders import pretrain

    path = tmp_path_factory.mktemp("emb") / "tiny.pt"
    report = pretrain(
        tiny_space, tiny_pool, out=path, progress=False, epochs=60, batch_size=32, lr=1e-2, hidden=32, hops=3,
        decoder_hidden=64, adj_dim=16, latent=8, prior_samples=300, structure_pairs=300, patience=60,
        min_delta=0.0,
    )
    return report, path
