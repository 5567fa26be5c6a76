"""The default search, chosen by the suite: bo-pool on the params-pre-filtered pool; a run keeps
the agent it started with; an explicit agent gets no pre-filter unless asked."""

from __future__ import annotations

from qas.search import SearchConfig, search
from qas.search.config import read_run_config
from qas.search.embeddings import DEFAULT_AGENT, DEFAULT_PREFILTER

TRAIN = {"steps": 10, "patience": 0, "lr": 0.1}


def _run(tmp_path, name, **options):
    cfg = SearchConfig(task="state-prep", seed=0, final=False, workers=1, train=TRAIN, **options)
    result = search(cfg, tmp_path / name, progress=False)
    return result, read_run_config(tmp_path / name / "config.toml"), (tmp_path / name / "report.md").read_text()


def test_the_default_is_bo_pool_on_the_pre_filtered_pool(tmp_path):
    assert (DEFAULT_AGENT, DEFAULT_PREFILTER) == ("bo-pool", "params")
    result, config, report = _run(tmp_path, "default", budget=2)
    assert result.evaluated == 2
    assert (config.agent, config.prefilter) == ("bo-pool", "params")
    assert "GP BO over the latents of the quarter of the pool with the most trainable angles" in report
    assert "pre-filter" in report  # the report names the cut


def test_an_explicit_agent_is_not_pre_filtered_and_the_default_can_be_unfiltered(tmp_path):
    _, config, _ = _run(tmp_path, "rl", budget=1, agent="reinforce")
    assert (config.agent, config.prefilter) == ("reinforce", None)
    _, config, _ = _run(tmp_path, "none", budget=1, prefilter="none")
    assert (config.agent, config.prefilter) == ("bo-pool", "none")


def test_a_run_started_with_another_agent_resumes_with_it(tmp_path):
    """A run made before the default changed (REINFORCE), or with the default's agent but not its
    pre-filter, resumes without --agent, unchanged."""
    for name, agent in (("old", "reinforce"), ("unfiltered", "bo-pool")):
        _run(tmp_path, name, budget=1, agent=agent)
        result, config, _ = _run(tmp_path, name, budget=2)
        assert result.evaluated == 2 and (config.agent, config.prefilter) == (agent, None)
