"""Search config files: partial training tables, and errors that name the file and the key."""

import pytest

from qas.core.errors import QasError
from qas.search.config import FINAL_TRAIN, SEARCH_TRAIN, SearchConfig, load_config, read_run_config, write_config


def test_a_partial_training_table_changes_only_the_keys_it_names(tmp_path):
    path = tmp_path / "search.toml"
    path.write_text("[search]\nbudget = 4\n[search.final_train]\nepochs = 10\n[search.train]\nlr = 0.1\n")
    config = SearchConfig(**load_config(path))
    assert config.final_train == {"epochs": 10}
    assert config.resolved_final_train(None) == {**FINAL_TRAIN, "epochs": 10}
    assert config.resolved_final_train(None)["lr"] == 0.01  # the final training's rate, not TrainConfig's 0.05
    assert config.train == {"lr": 0.1}  # resolved against the task when the run starts
    assert config.resolved_train(None) == {**SEARCH_TRAIN, "lr": 0.1}
    # the resolved config written next to the run reads back to the same config
    write_config(config, tmp_path / "config.toml")
    assert read_run_config(tmp_path / "config.toml") == config
    # the same holds for configs built in code
    assert SearchConfig(final_train={"epochs": 10}).final_train == config.final_train


def test_an_unknown_training_key_names_the_file_and_the_valid_keys(tmp_path):
    path = tmp_path / "search.toml"
    path.write_text("[search.final_train]\nepoch = 10\n")
    with pytest.raises(QasError, match=r"search.toml: unknown final_train key\(s\) \['epoch'\]; valid keys: .*'epochs'"):
        load_config(path)
    with pytest.raises(QasError, match=r"unknown train key\(s\) \['lr_'\]"):
        SearchConfig(train={"lr_": 0.1})


def test_search_training_resolves_defaults_then_the_task_then_the_user():
    """fashion-10 searches at lr 0.02 and fashion-2 in batches of 256 (their own defaults);
    fashion-4 as SEARCH_TRAIN says; a user's lr wins."""
    from qas.tasks import build_task

    ten, two = build_task("fashionmnist", variant="fashion-10"), build_task("fashionmnist", variant="fashion-2")
    assert SearchConfig().resolved_train(ten) == {**SEARCH_TRAIN, "lr": 0.02}
    assert SearchConfig().resolved_train(two) == {**SEARCH_TRAIN, "lr": 0.2, "batch_size": 256, "epochs": 6}
    assert SearchConfig().resolved_train(build_task("fashionmnist", variant="fashion-4")) == SEARCH_TRAIN
    assert SearchConfig(train={"lr": 0.05, "epochs": 2}).resolved_train(ten) == {**SEARCH_TRAIN, "lr": 0.05, "epochs": 2}


def test_a_run_writes_its_resolved_training_and_resumes_with_it(tmp_path):
    from qas.search.runner import prepare

    config = SearchConfig(task="state-prep", agent="random", budget=1, train={"steps": 5})
    state = prepare(config, tmp_path / "run")
    assert state.config.train == {**SEARCH_TRAIN, "steps": 5}
    assert read_run_config(tmp_path / "run" / "config.toml").train == state.config.train
    prepare(config, tmp_path / "run")  # the same config resumes
    with pytest.raises(QasError, match="different config \\(train differ\\)"):
        prepare(SearchConfig(task="state-prep", agent="random", budget=1, train={"steps": 6}), tmp_path / "run")


def test_a_run_resumed_without_a_training_keeps_the_one_it_started_with(tmp_path):
    """A run started under another search-time training (an earlier default, or the user's) goes
    on with it when resumed without one: its circuits stay comparable."""
    from qas.search.runner import prepare

    prepare(SearchConfig(task="state-prep", agent="random", budget=1, train={"steps": 5}), tmp_path / "run")
    state = prepare(SearchConfig(task="state-prep", agent="random", budget=2), tmp_path / "run")
    assert state.config.train == {**SEARCH_TRAIN, "steps": 5}


def test_tasks_without_data_retrain_at_the_search_rate():
    """FINAL_TRAIN's lr 0.01 is the data tasks'; at it a tfim-8 circuit scored 0.903 after scoring
    0.922 in the search (0.924 at 0.05): tasks without data own a final rate of 0.05."""
    from qas.tasks import build_task

    cfg = SearchConfig()
    for name in ("tfim-8", "state-prep", "maxcut", "vqe-h2"):
        assert cfg.resolved_final_train(build_task(name))["lr"] == 0.05, name
    assert cfg.resolved_final_train(build_task("fashion-10", train_limit=10))["lr"] == 0.01
    assert SearchConfig(final_train={"lr": 0.002}).resolved_final_train(build_task("tfim-8"))["lr"] == 0.002


def test_fashion_2_and_4_retrain_in_batches_of_128_and_a_users_final_training_still_wins():
    """fashion-2's and fashion-4's final rounds train in batches of 128 at lr 0.04 (final_batch.py:
    as accurate as 32 at 0.01, for a third of the time); fashion-10 keeps FINAL_TRAIN."""
    from qas.tasks import build_task

    fashion2, fashion4 = build_task("fashion-2", train_limit=10), build_task("fashion-4", train_limit=10)
    assert SearchConfig().resolved_final_train(fashion2) == {**FINAL_TRAIN, "batch_size": 128, "lr": 0.04}
    assert SearchConfig().resolved_final_train(fashion4) == {**FINAL_TRAIN, "batch_size": 128, "lr": 0.04}
    assert SearchConfig().resolved_final_train(build_task("fashion-10", train_limit=10)) == FINAL_TRAIN
    # a user's table wins key by key, even where it names FINAL_TRAIN's own values
    mine = SearchConfig(final_train={"batch_size": 32, "lr": 0.01}).resolved_final_train(fashion2)
    assert mine == FINAL_TRAIN
    assert SearchConfig(final_train={"epochs": 5}).resolved_final_train(fashion2)["batch_size"] == 128
