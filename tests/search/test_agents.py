"""Every registered agent under the same conformance tests, on a cheap real task.

The task is 4-qubit state preparation on ``paper-4q`` with short training; latent agents use
the shipped ``paper-4q`` embeddings.
"""

from __future__ import annotations

import numpy as np
import pytest

from qas.core.circuit import CircuitDAG
from qas.search import AGENTS, SearchConfig, SearchContext, search
from qas.search.runner import completed_trials, prepare
from search_spaces import load_space

TINY = {"steps": 15, "patience": 0, "lr": 0.1}


def config(agent: str, budget: int = 6, **kw) -> SearchConfig:
    return SearchConfig(task="state-prep", agent=agent, budget=budget, seed=kw.pop("seed", 3), train=dict(TINY),
                        final=False, **kw)


def keys(run_dir) -> list[str]:
    state = prepare(SearchConfig(**_cfg_of(run_dir)), run_dir)
    return [t.user_attrs["key"] for t in completed_trials(state.study)]


def _cfg_of(run_dir):
    from qas.search.config import load_config

    return load_config(run_dir / "config.toml")


@pytest.mark.parametrize("agent", AGENTS.names())
def test_agent_spends_exactly_the_budget_on_unique_valid_circuits(agent, tmp_path):
    summary = search(config(agent), tmp_path / "run", progress=False)
    state = prepare(config(agent), tmp_path / "run")
    trials = completed_trials(state.study)
    assert summary.evaluated == len(trials) == 6
    space = load_space("paper-4q")
    dags = [CircuitDAG.from_json(t.user_attrs["circuit"]) for t in trials]
    assert len({d.key for d in dags}) == 6
    assert all(space.contains(d) for d in dags)
    for t in trials:
        assert {"circuit", "metrics", "train_seconds", "score_seconds", "seed", "agent_info"} <= set(t.user_attrs)
        assert t.value == pytest.approx(t.user_attrs["metrics"]["val_score"])
    assert summary.best_score == max(t.value for t in trials)
    for name in ("config.toml", "best.json", "best_cirq.json", "best.qasm", "leaderboard.csv", "search_curve.png", "report.md"):
        assert (tmp_path / "run" / name).is_file(), name


@pytest.mark.parametrize("agent", AGENTS.names())
def test_same_seed_same_search(agent, tmp_path):
    search(config(agent), tmp_path / "a", progress=False)
    search(config(agent), tmp_path / "b", progress=False)
    assert keys(tmp_path / "a") == keys(tmp_path / "b")


@pytest.mark.parametrize("agent", ["random", "evolution", "reinforce", "reinforce-walk", "reinforce-replay",
                                   "reinforce-kernel", "bo-pool"])
def test_resume_continues_exactly_where_it_stopped(agent, tmp_path, monkeypatch):
    kw = {"agent_options": {"n_startup": 2}} if agent == "bo-pool" else {}  # resume inside the GP phase
    if agent == "reinforce":  # two policy updates before the split: restore must replay them
        kw = {"agent_options": {"batch_size": 2}}
    if agent == "reinforce-walk":  # the paper's policy
        agent, kw = "reinforce", {"agent_options": {"policy": "walk", "batch_size": 2}}
    if agent == "reinforce-replay":  # replayed passes over all draws, from their recorded log-probabilities
        agent, kw = "reinforce", {"agent_options": {"replay": 3, "batch_size": 2}}
    if agent == "reinforce-kernel":  # logits over random Fourier features, drawn from the seed
        agent, kw = "reinforce", {"agent_options": {"features": "kernel", "batch_size": 2}}
    search(config(agent, budget=8, **kw), tmp_path / "straight", progress=False)
    search(config(agent, budget=4, **kw), tmp_path / "split", progress=False)
    # the second half must not retrain the first four: count training calls
    import qas.evaluation

    calls = []
    real = qas.evaluation.train
    monkeypatch.setattr(qas.evaluation, "train", lambda *a, **k: calls.append(1) or real(*a, **k))
    search(config(agent, budget=8, **kw), tmp_path / "split", progress=False)
    assert len(calls) == 4
    assert keys(tmp_path / "split") == keys(tmp_path / "straight")


def test_a_different_config_in_the_same_run_dir_is_refused(tmp_path):
    from qas.core.errors import QasError

    search(config("random", budget=2), tmp_path / "run", progress=False)
    with pytest.raises(QasError, match="different config .*agent"):
        search(config("evolution", budget=2), tmp_path / "run", progress=False)


def test_reupload_space_searches_the_cells_of_its_embeddings():
    """qml-4q-reup has no embeddings of its own: the index serves qml-4q's, lifted to 3 blocks."""
    from qas.search.embeddings import load_index

    space = load_space("qml-4q-reup")
    index = load_index(space, None, required=True)
    dag = index.circuit(11)
    assert space.contains(dag) and dag.num_features == 16 and len(dag) > 48
    assert index.position(dag) == 11 and index.position(space.lower(dag)) is None
    np.testing.assert_array_equal(index.latent(dag), index.latents[11])
    index.mark(dag)
    assert index.visited[11] and index.nearest_unvisited(index.latents[11]) != 11


def test_evolution_starts_from_its_seed_circuits(tmp_path):
    """Warm start: the seeds join the first population, last, so aging (the oldest dies first)
    does not remove them before they can win a tournament; then evolution mutates."""
    import random

    from search_spaces import sample_circuit

    space = load_space("paper-4q")
    seeds = [sample_circuit(space, random.Random(1000 + i)) for i in range(2)]
    files = []
    for i, dag in enumerate(seeds):
        files.append(tmp_path / f"seed{i}.json")
        files[-1].write_text(dag.to_json())
    cfg = config("evolution", budget=5, agent_options={"seed_circuits": [str(f) for f in files], "population": 3})
    search(cfg, tmp_path / "run", progress=False)
    assert keys(tmp_path / "run")[1:3] == [d.key for d in seeds]  # one random member, then the seeds
    trials = completed_trials(prepare(cfg, tmp_path / "run").study)
    assert [t.user_attrs["agent_info"]["op"] for t in trials] == ["random", "seed", "seed", "mutate", "mutate"]
    # the first mutation's tournament (sample_size 5 >= population 3) sees the whole population
    first = trials[3].user_attrs["agent_info"]["parent"]
    assert first == max(trials[:3], key=lambda t: t.value).user_attrs["key"]


def test_seeds_compete_in_the_final_round_under_their_own_name(tmp_path):
    """A seed is a known design, not a find: the final round retrains the top circuits the agent
    found *besides* the seeds, labels each seed "seed SPEC", and a seed that is also a
    hand-designed baseline competes once, as that baseline, with its search score."""
    import random

    from qas.search.outputs import read_finalists
    from search_spaces import sample_circuit

    space_file = tmp_path / "u3.toml"
    space_file.write_text('[space]\nnum_qubits = 4\ngates = ["u3", "cu3", "ry", "cnot"]\n'
                          'min_gates = 4\nmax_gates = 16\nmax_depth = 12\n')
    space = load_space(str(space_file))
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(sample_circuit(space, random.Random(7)).to_json())
    cfg = config("evolution", budget=5, space=str(space_file),
                 agent_options={"seed_circuits": ["u3cu3:2", str(seed_file)], "population": 3},
                 ).with_overrides(final=True, final_candidates=1, final_train=dict(TINY))
    summary = search(cfg, tmp_path / "run", progress=False)
    trials = completed_trials(prepare(cfg, tmp_path / "run").study)
    by_number = {t.number: t for t in trials}
    assert [t.user_attrs["agent_info"] for t in trials[1:3]] == [
        {"op": "seed", "spec": "u3cu3:2"}, {"op": "seed", "spec": str(seed_file)}]
    rows = read_finalists(tmp_path / "run")["finalists"]
    assert [r["origin"] for r in rows] == ["searched", "seeded", "hand-designed"]
    searched, seeded, base = rows
    found = [t for t in trials if t.user_attrs["agent_info"]["op"] != "seed"]
    assert by_number[searched["trial"]] in found
    assert searched["search_score"] == max(t.value for t in found)
    assert seeded["trial"] == f"seed {seed_file}" and seeded["key"] == trials[2].user_attrs["key"]
    assert base["trial"] == "hand-designed u3cu3:2" and base["key"] == trials[1].user_attrs["key"]
    assert base["search_score"] == trials[1].value
    assert len({r["key"] for r in rows}) == 3
    chosen = next(r for r in rows if r["chosen"])
    assert summary.origin == (f"trial {chosen['trial']}" if chosen["origin"] == "searched" else chosen["trial"])


def test_the_final_round_breaks_a_validation_tie_by_fewer_angles_then_order():
    from qas.records import EvaluationRecord
    from qas.search.run import choose

    def rec(score: float, angles: int) -> EvaluationRecord:
        return EvaluationRecord("k", "{}", "t", {}, {}, (0.0,) * angles, score)

    assert choose([rec(0.94, 168), rec(0.9417, 240), rec(0.9417, 168)]) == 2  # the tie goes to the smaller
    assert choose([rec(0.9417, 168), rec(0.9417, 168)]) == 0                  # then to the earlier
    assert choose([rec(0.95, 240), rec(0.9417, 100)]) == 0                    # a better score wins outright


def test_evolution_refuses_a_seed_outside_its_space(tmp_path):
    from qas.core.errors import QasError

    with pytest.raises(QasError, match="seed circuit 'u3cu3:1' is not in space 'paper-4q'"):
        search(config("evolution", budget=2, agent_options={"seed_circuits": ["u3cu3:1"]}), tmp_path / "r",
               progress=False)


def test_a_run_does_not_resume_in_a_changed_space(tmp_path):
    """The config names the space; an edited space file (or a built-in changed between versions)
    under the same name would mix circuits of two spaces in one study."""
    from qas.core.errors import QasError

    path = tmp_path / "ring.toml"
    text = '[space]\nnum_qubits = 4\ngates = ["ry", "rz", "cnot"]\nmin_gates = 4\nmax_gates = {n}\nmax_depth = 6\n'
    path.write_text(text.format(n=8))
    search(config("random", budget=2, space=str(path)), tmp_path / "run", progress=False)
    search(config("random", budget=3, space=str(path)), tmp_path / "run", progress=False)  # same space: resumes
    assert len(keys(tmp_path / "run")) == 3
    path.write_text(text.format(n=9))
    with pytest.raises(QasError, match="different definition of space 'ring'"):
        search(config("random", budget=4, space=str(path)), tmp_path / "run", progress=False)


def test_a_run_without_a_final_round_has_no_finalists_file(tmp_path):
    from qas.core.errors import QasError
    from qas.search.outputs import read_finalists

    search(config("random", budget=2), tmp_path / "run", progress=False)
    with pytest.raises(QasError, match="no finalists.json: the run had no final round"):
        read_finalists(tmp_path / "run")
    (tmp_path / "run" / "finalists.json").write_text('{"schema": "qas.best"}')
    with pytest.raises(QasError, match="not a qas finalists file: schema 'qas.best'"):
        read_finalists(tmp_path / "run")


@pytest.mark.parametrize("options", [{"lr": 0.03, "normalize": True}, {"lr": 0.1, "quantile": 0.8, "normalize": True},
                                     {"lr": 0.03, "replay": 4}, {"features": "kernel"}])
def test_reinforce_pool_policy_learns_where_the_reward_is(options):
    """On a pool whose reward is a linear function of the latents (std 1.1, mean 0 for a random
    pick), the pool policy's picks 100-200 average above 1.2 on every seed: it has learned the
    direction, not just drawn well."""
    from encoders import PoolIndex
    from qas.search.base import Observation
    from search_spaces import sample_pool

    space = load_space("paper-4q")
    pool = list(sample_pool(space, 2000, seed=1))
    lat = np.random.default_rng(0).standard_normal((2000, 8)).astype(np.float32)
    reward = lat[:, 0] + 0.5 * lat[:, 1]
    for seed in range(3):
        index = PoolIndex(pool, lat)
        agent = AGENTS.get("reinforce")(SearchContext(space=space, seed=seed, index=index), policy="pool", **options)
        got = []
        for _ in range(200):
            p = agent.propose(None, None)
            i = index.position(p.dag)
            index.mark(p.dag)
            got.append(reward[i])
            agent.tell(Observation(p.dag, float(reward[i]), p.info))
        assert len(set(got)) == 200 and np.mean(got[100:]) > 1.2, (seed, np.mean(got[100:]))


def test_reinforce_refuses_bad_options():
    from encoders import PoolIndex
    from qas.core.errors import QasError
    from search_spaces import sample_pool

    space = load_space("paper-4q")
    index = PoolIndex(list(sample_pool(space, 50, seed=1)), np.zeros((50, 4), np.float32))
    with pytest.raises(QasError, match="policy 'grid'"):
        AGENTS.get("reinforce")(SearchContext(space=space, index=index), policy="grid")
    with pytest.raises(QasError, match="quantile"):
        AGENTS.get("reinforce")(SearchContext(space=space, index=index), quantile=1.5)
    with pytest.raises(QasError, match="replay must be a number of passes >= 0, with policy = pool; got 2"):
        AGENTS.get("reinforce")(SearchContext(space=space, index=index), policy="walk", replay=2)
    with pytest.raises(QasError, match="features 'kernel'; choose mlp, or kernel with policy = pool"):
        AGENTS.get("reinforce")(SearchContext(space=space, index=index), policy="walk", features="kernel")
    with pytest.raises(QasError, match="lengthscale must be > 0"):
        AGENTS.get("reinforce")(SearchContext(space=space, index=index), features="kernel", lengthscale=0)
