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


def _counts(space):
    """A latent a GIN would also learn: how many gates of each kind, and how many angles."""
    kinds = list(space.gates)

    def encode(dags):
        return np.array([[sum(g.kind == k for g in d.gates) for k in kinds] + [d.num_params] for d in dags],
                        dtype=np.float32)

    return encode


def _narrow_pool(space, n: int, max_params: int) -> list[CircuitDAG]:
    """n distinct random circuits of ``space`` with at most ``max_params`` angles."""
    import random

    from search_spaces.sampler import sample_circuit

    rng, out, seen = random.Random(0), [], set()
    while len(out) < n:
        dag = sample_circuit(space, rng)
        if dag.num_params <= max_params and dag.key not in seen:
            seen.add(dag.key)
            out.append(dag)
    return out


def _drive(agent, budget: int, score) -> list[Observation]:
    visited, history = Visited(), []
    for _ in range(budget):
        prop = agent.propose(None, visited)
        assert prop.dag not in visited and agent.space.contains(prop.dag)
        obs = Observation(prop.dag, score(prop.dag), prop.info)
        visited.add(prop.dag, obs.score)
        agent.context.index.mark(prop.dag)
        agent.tell(obs)
        history.append(obs)
    return history


def test_pool_bo_mutants_leave_a_pool_that_lacks_the_best_region():
    """The score rewards angles; no pool circuit has more than 6. Without mutants bo-pool can
    never pass 6; with them it climbs past the pool by one-gate edits of its best circuits,
    each one embedded by the index's encoder."""
    from search_spaces.spec import SearchSpace

    space = SearchSpace("mutants-test", 3, ("RX", "RY", "U3", "CNOT", "CU3"), min_gates=4, max_gates=12)
    pool = _narrow_pool(space, 300, max_params=6)
    encode = _counts(space)
    best = {}
    for mutants in (0, 32):
        index = PoolIndex(pool, encode(pool), encode=encode)
        agent = AGENTS.get("bo-pool")(SearchContext(space=space, seed=0, index=index), mutants=mutants)
        history = _drive(agent, 30, lambda d: float(min(d.num_params, 24)))
        best[mutants] = max(o.score for o in history)
        sources = {o.info["acquisition"] for o in history}
        assert ("ei-mutant" in sources) == (mutants > 0)
        if mutants:
            for o in history:
                if o.info["acquisition"] == "ei-mutant":  # one edit from a circuit evaluated before it
                    assert index.position(o.dag) is None and o.info["parent"] in {h.dag.key for h in history}
    assert best[0] <= 6 and best[32] >= 15, best


def test_pool_bo_with_mutants_resumes_exactly():
    from search_spaces.spec import SearchSpace

    space = SearchSpace("mutants-test", 3, ("RX", "RY", "U3", "CNOT", "CU3"), min_gates=4, max_gates=12)
    pool, encode = _narrow_pool(space, 100, max_params=6), _counts(space)
    score = lambda d: float(d.num_params) - 0.1 * len(d.gates)  # noqa: E731

    def agent():
        index = PoolIndex(pool, encode(pool), encode=encode)
        return AGENTS.get("bo-pool")(SearchContext(space=space, seed=3, index=index), mutants=16)

    whole = _drive(agent(), 20, score)
    resumed = agent()
    resumed.restore(whole[:12])
    for o in whole[:12]:
        resumed.context.index.mark(o.dag)
    visited = Visited()
    for o in whole[:12]:
        visited.add(o.dag, o.score)
    for o in whole[12:]:  # every later step as the uninterrupted run, refits between them included
        assert resumed.propose(None, visited).dag == o.dag
        visited.add(o.dag, o.score)
        resumed.context.index.mark(o.dag)
        resumed.tell(o)


def test_pool_bo_mutants_need_an_encoder():
    index = PoolIndex(_pool(5, np.random.default_rng(0)), np.zeros((5, 2)))
    with pytest.raises(QasError, match="need an encoder"):
        AGENTS.get("bo-pool")(SearchContext(space=load_space("paper-4q"), index=index), mutants=8)


def test_pool_bo_seed_circuits_come_first_and_their_edits_compete():
    """Seeded with a design far better than the pool, bo-pool evaluates it first, learns from it
    (it is embedded, though outside the pool) and then proposes its one-gate edits."""
    from search_spaces.spec import SearchSpace

    space = SearchSpace("mutants-test", 3, ("RX", "RY", "U3", "CNOT", "CU3"), min_gates=4, max_gates=12)
    pool, encode = _narrow_pool(space, 200, max_params=6), _counts(space)
    index = PoolIndex(pool, encode(pool), encode=encode)
    agent = AGENTS.get("bo-pool")(SearchContext(space=space, seed=0, index=index), mutants=16,
                                  seed_circuits=["u3cu3:1"])
    history = _drive(agent, 20, lambda d: float(min(d.num_params, 30)))
    assert history[0].info == {"op": "seed", "spec": "u3cu3:1"} and history[0].dag.num_params == 18
    assert [o.info["acquisition"] for o in history[1:9]] == ["random"] * 8  # then the usual startup
    edits = [o for o in history[9:] if o.info.get("acquisition") == "ei-mutant"]
    assert edits and max(o.score for o in edits) > 18
    with pytest.raises(QasError, match="not in space"):
        AGENTS.get("bo-pool")(SearchContext(space=space, index=index), seed_circuits=["u3cu3:4"])
