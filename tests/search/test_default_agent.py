"""The default search, chosen by the suite: bo-pool on the params-pre-filtered pool (a regression:
the whole pool), warm-started from the hand-designed baselines that lie in the space (or the
user's seeds), with one-gate edits of its best circuits competing (mutants); a run keeps the
search it started with; an explicit agent gets no pre-filter and no options unless asked."""

from __future__ import annotations

from qas.search import SearchConfig, search
from qas.search.config import read_run_config
from qas.search.embeddings import DEFAULT_AGENT, DEFAULT_PREFILTER, WARM_START, plan
from search_spaces import load_space

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
    # paper-4q has exactly 10 gates: neither u3cu3:2 nor hea:2 lies in it, so no warm start
    assert config.agent_options == {}
    assert "GP BO over the latents of the quarter of the pool with the most trainable angles" in report
    assert "warm-started" not in report and "mutants" not in report
    assert "pre-filter" in report  # the report names the cut


def test_the_default_warm_starts_from_the_baselines_that_lie_in_the_space():
    default = plan(load_space("ansatz-8q"), budget=100)
    assert (default.agent, default.prefilter) == ("bo-pool", "params")
    assert default.options == {**WARM_START, "seed_circuits": ["u3cu3:2", "hea:2"]} and WARM_START == {"mutants": 64}
    assert "warm-started from u3cu3:2, hea:2, with one-gate edits of the best circuits competing (mutants=64)" \
        in default.why
    assert plan(load_space("paper-8q"), budget=100).options == {}  # exactly 20 gates: neither fits
    # the user's seeds replace the baselines, and bring the edits with them
    mine = plan(load_space("paper-8q"), budget=100, seeds=["mine.qasm"])
    assert mine.options == {"mutants": 64, "seed_circuits": ["mine.qasm"]} and "warm-started from mine.qasm" in mine.why


def test_an_explicit_agent_is_not_pre_filtered_and_the_default_can_be_unfiltered(tmp_path):
    _, config, _ = _run(tmp_path, "rl", budget=1, agent="reinforce")
    assert (config.agent, config.prefilter, config.agent_options) == ("reinforce", None, {})
    _, config, _ = _run(tmp_path, "none", budget=1, prefilter="none")
    assert (config.agent, config.prefilter) == ("bo-pool", "none")


def test_a_run_started_with_another_agent_resumes_with_it(tmp_path):
    """A run made before the default changed (REINFORCE; bo-pool unfiltered; bo-pool pre-filtered
    with no options, the default until 2026-12-05) resumes without --agent, unchanged."""
    for name, agent, prefilter in (("old", "reinforce", None), ("unfiltered", "bo-pool", None),
                                   ("no-mutants", "bo-pool", "params")):
        _run(tmp_path, name, budget=1, agent=agent, prefilter=prefilter)
        result, config, _ = _run(tmp_path, name, budget=2)
        assert result.evaluated == 2
        assert (config.agent, config.prefilter, config.agent_options) == (agent, prefilter, {})


def test_a_task_chooses_the_default_pre_filter_and_regression_searches_the_whole_pool():
    """The params pre-filter keeps the circuits with the most angles, which over-fit a regression
    (diabetes, suite_small_data): a task names its default pre-filter, and the plan says so."""
    from qas.tasks import Classification, Regression, Task

    assert Task.default_prefilter == Classification.default_prefilter == "params"
    assert Regression.default_prefilter == "none"
    space = load_space("ansatz-8q")
    whole = plan(space, budget=100, prefilter="none")
    assert (whole.agent, whole.prefilter) == ("bo-pool", "none")
    assert "GP BO over the latents of the whole pool (the task's choice: no pre-filter)" in whole.why
    assert whole.options == plan(space, budget=100).options  # the same warm start


def test_a_regression_search_runs_on_the_whole_pool(tmp_path):
    """diabetes' first four columns on 3 qubits (a space with shipped embeddings): the default
    search's resolved config and report name the whole pool; iris (a classification) keeps the
    pre-filter."""
    from sklearn.datasets import load_diabetes, load_iris

    from qas.tasks import DataTask

    x, y = load_diabetes(return_X_y=True)
    result = search(task=DataTask(x[:, :4], y, label="diabetes4", qubits=3), budget=2, seed=0, final=False, workers=1,
                    train={"epochs": 1}, run_dir=tmp_path / "reg", progress=False)
    config = read_run_config(tmp_path / "reg" / "config.toml")
    assert result.evaluated == 2 and (config.agent, config.prefilter) == ("bo-pool", "none")
    report = (tmp_path / "reg" / "report.md").read_text()
    assert "whole pool (the task's choice: no pre-filter)" in report and "pre-filter params" not in report
    x, y = load_iris(return_X_y=True)
    search(task=DataTask(x, y, label="iris"), budget=1, seed=0, final=False, workers=1,
           train={"epochs": 1}, run_dir=tmp_path / "cls", progress=False)
    assert read_run_config(tmp_path / "cls" / "config.toml").prefilter == "params"
