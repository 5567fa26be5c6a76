"""Training-free pre-filters: the agents search only the best-rated part of the pool."""

from __future__ import annotations

import numpy as np
import pytest

from encoders import PoolIndex
from qas import CircuitDAG, QasError
from qas.search import Prefilter, SearchConfig, search
from qas.search.runner import completed_trials, prepare
from search_spaces import load_space, sample_pool


def test_parse_and_errors():
    assert Prefilter.parse("params") == Prefilter("params", 0.25)
    assert Prefilter.parse("expressibility:keep=0.5") == Prefilter("expressibility", 0.5)
    assert Prefilter.parse(None) is None and Prefilter.parse("none") is None
    assert str(Prefilter("params", 0.25)) == "params:keep=0.25"
    for bad, words in [("depth", "unknown pre-filter 'depth'"), ("params:keep=2", r"keep must be in \(0, 1\]"),
                       ("params:top=3", "the one option is keep"), ("params:keep=a", "must be a number")]:
        with pytest.raises(QasError, match=words):
            Prefilter.parse(bad)
    with pytest.raises(QasError, match="unknown pre-filter"):
        SearchConfig(prefilter="magic")


def test_the_cut_keeps_the_best_rated_share_and_every_tie():
    rule = Prefilter("params", 0.25)
    ratings = np.array([1, 5, 3, 5, 2, 4, 5, 0], dtype=float)
    assert rule.kept(ratings).tolist() == [1, 3, 6]  # the top quarter is 2 circuits; the third 5 ties
    assert Prefilter("params", 1.0).kept(ratings).tolist() == list(range(8))
    assert Prefilter("params", 0.5).kept(ratings).tolist() == [1, 3, 5, 6]


def test_restrict_gives_a_fresh_index_of_the_kept_circuits():
    space = load_space("paper-4q")
    pool = list(sample_pool(space, 200, seed=3))
    latents = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    index = PoolIndex(pool, latents)
    index.visited[:5] = True
    sub, note = Prefilter("params", 0.25).restrict(index)
    params = np.array([d.num_params for d in pool])
    cut = np.quantile(params, 0.75, method="higher")
    assert [d.key for d in sub.pool] == [d.key for d, p in zip(pool, params) if p >= cut]
    assert len(sub) >= 50 and not sub.visited.any()
    i = sub.position(sub.pool[7])
    assert np.array_equal(sub.latents[i], latents[pool.index(sub.pool[7])])
    assert f"searched {len(sub)} of the 200 pool circuits" in note


def test_a_re_uploading_pool_of_cells_is_rated_as_its_searched_circuits():
    """The shortcut (one lifted circuit per distinct cell angle count) rates exactly as lifting
    every cell does, on a weighted re-uploading space whose pool holds cells."""
    space = load_space("qml-4q-reup-w")
    cells = list(sample_pool(space.cell_space, 300, seed=5))
    index = PoolIndex(cells, np.zeros((300, 2), dtype=np.float32), space)
    rule = Prefilter("params", 0.25)
    slow = rule.ratings([index.circuit(i) for i in range(len(index))])
    assert np.array_equal(rule.pool_ratings(index), slow)
    assert slow.min() > max(c.num_params for c in cells)  # the searched circuits, not the cells, were rated
    sub, _ = rule.restrict(index)
    assert [d.key for d in sub.pool] == [c.key for c, r in zip(cells, slow) if r >= np.quantile(slow, 0.75, method="higher")]


def test_a_search_trains_only_circuits_above_the_cut(tmp_path):
    cfg = SearchConfig(task="state-prep", agent="random", budget=6, seed=1, final=False, workers=1,
                       prefilter="params:keep=0.1", train={"steps": 10, "patience": 0, "lr": 0.1})
    search(cfg, tmp_path / "run", progress=False)
    state = prepare(cfg, tmp_path / "run")
    from qas.search.embeddings import load_index

    full = np.array([d.num_params for d in load_index(state.space, None, required=True).pool])
    cut = np.quantile(full, 0.9, method="higher")
    kept = np.array([d.num_params for d in state.context.index.pool])
    assert kept.min() == cut and len(kept) == (full >= cut).sum()  # every circuit at or above the cut, no other
    trained = [CircuitDAG.from_json(t.user_attrs["circuit"]).num_params for t in completed_trials(state.study)]
    assert len(trained) == 6 and min(trained) >= cut
    report = (tmp_path / "run" / "report.md").read_text()
    assert "pre-filter params:keep=0.1: the agents searched" in report
