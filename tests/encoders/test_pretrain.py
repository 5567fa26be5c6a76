"""pretrain(): options, pools from files, the report it prints."""

from __future__ import annotations

import pytest
from rich.console import Console

from encoders import pretrain
from encoders.store import read_checkpoint
from qas import CircuitDAG, Gate
from qas.core.errors import QasError
from search_spaces import write_pool


def test_report_has_the_figures_and_renders(tiny_trained):
    report, _ = tiny_trained
    assert {"ops", "qubits", "adjacency", "circuit"} <= set(report.reconstruction)
    assert {"validity", "consistency", "uniqueness", "novelty", "validity_raw"} <= set(report.prior)
    assert {"spearman_gate_jaccard", "spearman_graph_jaccard"} <= set(report.structure)
    assert report.num_train + report.num_val == 300 and report.num_val == 30  # 90/10 split
    assert report.featurize_rate > 0 and len(report.history) == report.epochs_run
    console = Console(record=True, width=120)
    console.print(report.table())
    text = console.export_text()
    assert "held-out exact reconstruction: ops" in text and "prior samples: validity" in text and "Spearman" in text


def test_unknown_options_are_clear_errors(tiny_space):
    with pytest.raises(QasError, match="unknown pretraining option"):
        pretrain(tiny_space, n=50, progress=False, epoch=3)
    with pytest.raises(QasError, match="latent_dropout"):
        pretrain(tiny_space, n=50, progress=False, latent_dropout=0.9)


def test_pool_from_a_file(tiny_space, tiny_pool, tmp_path):
    pool_file = tmp_path / "pool.jsonl"
    write_pool(pool_file, tiny_pool[:80])
    out = tmp_path / "emb.pt"
    report = pretrain(tiny_space, pool_file, out=out, progress=False, epochs=1, hidden=16, hops=1,
                      decoder_hidden=16, latent=4, prior_samples=20, structure_pairs=20)
    assert report.pool_size == 80 and report.path == str(out)
    header, tensors, _ = read_checkpoint(out)
    assert header["pool"]["source"] == "file" and "pool.tokens" in tensors
    with pytest.raises(QasError, match="sampled pool"):
        pretrain(tiny_space, pool_file, out=tmp_path / "c.pt", compact=True, progress=False, epochs=1,
                 hidden=16, hops=1, decoder_hidden=16, latent=4, prior_samples=20, structure_pairs=20)
    bad = tmp_path / "bad.jsonl"
    write_pool(bad, [CircuitDAG(3, [Gate("X", (0,))] * 3)] + tiny_pool[:30])
    with pytest.raises(QasError, match="not in space"):
        pretrain(tiny_space, bad, progress=False, epochs=1)
