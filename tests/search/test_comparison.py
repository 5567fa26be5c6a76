"""Comparing methods on a lookup task: queries to the first success, censored, against random search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qas.search import LookupTask, compare_runs, predictor_queries, queries_to_success


@pytest.fixture(scope="module")
def task():
    score = np.linspace(0.0, 1.0, 200)
    return LookupTask("t", "t", score, score >= 0.95, "score >= 0.95")


def test_queries_to_success_counts_from_one_and_censors_at_the_budget():
    success = np.array([False, True, False])
    assert queries_to_success([0, 1], success, 5) == 2
    assert queries_to_success([0, 2], success, 5) == 6
    assert queries_to_success([], success, 5) == 6


def test_a_method_that_queries_the_best_first_beats_random(task):
    rng = np.random.default_rng(0)
    random = [rng.permutation(200)[:60].tolist() for _ in range(12)]
    best_first = [list(range(199, 139, -1)) for _ in range(12)]
    never = [list(range(10)) for _ in range(12)]  # 10 queries, none a success
    rows = compare_runs({"random": random, "best-first": best_first, "never": never}, task)
    assert [r["method"] for r in rows] == ["random", "best-first", "never"]
    rnd, best, bad = rows
    assert math.isnan(rnd["mannwhitney_p_less_than_random"]) and rnd["ratio_to_random_median"] == 1.0
    assert best["median_queries_to_threshold"] == 1 and best["success_rate"] == 1.0
    assert best["mannwhitney_p_less_than_random"] < 1e-3 and best["final_best_mean"] == 1.0
    assert bad["median_queries_to_threshold"] == ">10" and bad["success_rate"] == 0.0
    assert bad["random_median_same_budget"] <= 11  # random censored at the capped method's budget


def test_the_predictor_baselines_query_distinct_rows(task):
    latents = np.stack([task.objective, np.random.default_rng(1).standard_normal(200)], 1).astype(np.float32)
    for method in ("mlp-1000", "mlp-online"):
        rows = predictor_queries(method, task, latents, seed=0, budget=80)  # mlp-1000: half the pool is its free labels
        assert len(rows) == len(set(rows)) == 80
    with pytest.raises(ValueError, match="unknown predictor"):
        predictor_queries("mlp-2", task, latents, seed=0, budget=5)


def test_random_median_exact_matches_the_issue_figures_and_a_simulation():
    from qas.search.comparison import random_median_exact

    # 4q state-prep (44 of 20,000), 8q state-prep (57 of 5,000), tfim-8 (13 of 5,000)
    assert [random_median_exact(20000, 44), random_median_exact(5000, 57), random_median_exact(5000, 13)] == [313, 61, 260]
    assert random_median_exact(10, 10) == 1 and random_median_exact(2, 1) == 1
    rng = np.random.default_rng(0)
    pool, hits = 400, 7
    first = [int(np.flatnonzero(rng.permutation(pool) < hits)[0]) + 1 for _ in range(20000)]
    t = random_median_exact(pool, hits)
    assert np.mean(np.array(first) <= t) >= 0.5 > np.mean(np.array(first) <= t - 1)
    with pytest.raises(ValueError):
        random_median_exact(10, 0)


def test_bootstrap_ratio_interval_brackets_the_ratio():
    from qas.search.comparison import bootstrap_ratio_ci

    first = np.array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    lo, hi = bootstrap_ratio_ci(first, 100.0)
    assert lo < 0.55 < hi and 0.2 < lo and hi < 0.9
    assert bootstrap_ratio_ci(np.full(5, 30), 60.0) == (0.5, 0.5)
