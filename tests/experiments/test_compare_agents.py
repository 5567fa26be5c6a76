"""The tabular comparison driver: every method runs on a tiny labelled table (2 seeds x 30 queries)."""

from __future__ import annotations

import numpy as np
import pytest
from compare_agents import METHODS, Struct, run_one, summarise

from qas.search import LabelledTable, LookupTask, queries_to_success


@pytest.fixture(scope="module")
def tiny():
    from search_spaces import load_space, sample_pool

    space = load_space("paper-4q")
    pool = list(sample_pool(space, 1200, seed=0))
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((len(pool), 8)).astype(np.float32)
    # a score with structure in latent space, so methods can differ
    score = 1 / (1 + np.exp(-(latents[:, 0] + 0.5 * latents[:, 1])))
    table = LabelledTable(space, pool, [d.key[:32] for d in pool], {"maxcut": score.astype(np.float32)}, {}, {})
    task = LookupTask("maxcut", "maxcut", score.astype(np.float64), score >= 0.95, "score >= 0.95")
    return table, task, latents, Struct(table)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_queries_unique_pool_rows(tiny, method):
    table, task, latents, struct = tiny
    for seed in range(2):
        rows = run_one(method, table, task, latents, seed, 15 if method == "bo" else 30, struct)  # GP BO is slow
        assert len(rows) == (15 if method == "bo" else 30)
        assert len(set(rows)) == len(rows)
        assert all(0 <= r < len(table) for r in rows)


def test_deterministic_per_seed(tiny):
    table, task, latents, struct = tiny
    a = run_one("reinforce", table, task, latents, 3, 20, struct)
    b = run_one("reinforce", table, task, latents, 3, 20, struct)
    assert a == b


def test_summary_statistics(tiny, tmp_path):
    table, task, latents, struct = tiny
    recs = []
    for m in ("random", "mlp-1000"):
        for s in range(2):
            recs.append({"table": "t", "task": "maxcut", "method": m, "seed": s, "queries_requested": 30,
                         "rows": run_one(m, table, task, latents, s, 30, struct)})
    rows = summarise(recs, {"t": (table, [task])}, 30, tmp_path, "x_")
    assert {r["method"] for r in rows} == {"random", "mlp-1000"}
    assert (tmp_path / "x_summary.csv").exists() and (tmp_path / "x_curves.csv").exists()
    assert queries_to_success([0, 1], np.array([False, True]), 5) == 2
    assert queries_to_success([0], np.array([False, True]), 5) == 6
