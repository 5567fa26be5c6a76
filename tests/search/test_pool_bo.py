"""The pool-based GP BO agent: its GP, and that it exploits a smooth latent landscape."""

from __future__ import annotations

import numpy as np
import pytest

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import QasError
from qas.search import AGENTS, Observation, SearchContext, Visited
from qas.search.pool_bo import LatentGP, expected_improvement
from encoders.pool_index import PoolIndex
from search_spaces import load_space


def test_gp_interpolates_and_is_uncertain_away_from_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (40, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    gp = LatentGP(2)
    gp.fit(x, y)
    mean, std = gp.predict(x)
    assert np.abs(mean - y).max() < 0.05
    far_mean, far_std = gp.predict(np.array([[30.0, 30.0]]))
    assert far_std[0] > 5 * std.max()
    assert abs(far_mean[0] - y.mean()) < 0.1  # reverts to the prior mean


def test_expected_improvement_matches_its_closed_form():
    from math import erf, exp, pi, sqrt

    for m, s, best in ((0.3, 0.2, 0.1), (-1.0, 0.5, 0.0), (2.0, 1e-3, 1.0)):
        z = (m - best) / s
        want = (m - best) * 0.5 * (1 + erf(z / sqrt(2))) + s * exp(-z * z / 2) / sqrt(2 * pi)
        assert expected_improvement(np.array([m]), np.array([s]), best)[0] == pytest.approx(want, rel=1e-9, abs=1e-12)


def _pool(n: int, rng) -> list[CircuitDAG]:
    """n distinct 4-qubit circuits (different RZ/RX patterns), only their keys matter here."""
    out, seen = [], set()
    while len(out) < n:
        gates = [Gate(["RX", "RY", "RZ"][int(k)], (int(q),), "trainable") for k, q in rng.integers(0, 3, (6, 2))]
        dag = CircuitDAG(4, gates)
        if dag.key not in seen:
            seen.add(dag.key)
            out.append(dag)
    return out


def _run(agent_name: str, index: PoolIndex, score, budget: int, seed: int = 0) -> list[float]:
    ctx = SearchContext(space=load_space("paper-4q"), seed=seed, index=index)
    agent = AGENTS.get(agent_name)(ctx)
    visited, scores = Visited(), []
    for _ in range(budget):
        prop = agent.propose(None, visited)
        i = index.position(prop.dag)
        s = score[i]
        visited.add(prop.dag, s)
        index.mark(prop.dag)
        agent.tell(Observation(prop.dag, s, prop.info))
        scores.append(s)
    return scores


def test_pool_bo_finds_the_peak_of_a_smooth_landscape_far_sooner_than_random():
    """2,000 pool circuits with 8-d latents; the score is a smooth bump around one point. The
    top 0.5% of the pool counts as a hit: random needs ~200 queries on average, the GP a few
    dozen at most, on every seed."""
    rng = np.random.default_rng(1)
    pool = _pool(2000, rng)
    z = rng.standard_normal((2000, 8)).astype(np.float32)
    score = np.exp(-0.5 * ((z - 0.8) ** 2).sum(1) / 2.0)
    hit = score >= np.quantile(score, 0.995)
    firsts = {}
    for name in ("bo-pool", "random"):
        firsts[name] = []
        for seed in range(3):
            index = PoolIndex(pool, z)
            s = np.array(_run(name, index, score, 60, seed))
            h = np.flatnonzero(s >= score[hit].min())
            firsts[name].append(int(h[0]) + 1 if len(h) else 61)
    assert max(firsts["bo-pool"]) <= 40, firsts
    assert np.median(firsts["random"]) > 2 * max(firsts["bo-pool"]), firsts


def test_pool_bo_needs_embeddings_and_sane_options():
    with pytest.raises(QasError, match="needs embeddings"):
        AGENTS.get("bo-pool")(SearchContext(space=load_space("paper-4q")))
    index = PoolIndex(_pool(5, np.random.default_rng(0)), np.zeros((5, 2)))
    with pytest.raises(QasError, match="n_startup"):
        AGENTS.get("bo-pool")(SearchContext(space=load_space("paper-4q"), index=index), n_startup=0)
