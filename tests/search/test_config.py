"""Search config files: partial training tables, and errors that name the file and the key."""

import pytest

from qas.errors import QasError
from qas.search.config import FINAL_TRAIN, SEARCH_TRAIN, SearchConfig, load_config, read_run_config, write_config


def test_a_partial_training_table_changes_only_the_keys_it_names(tmp_path):
    path = tmp_path / "search.toml"
    path.write_text("[search]\nbudget = 4\n[search.final_train]\nepochs = 10\n[search.train]\nlr = 0.1\n")
    config = SearchConfig(**load_config(path))
    assert config.final_train == {**FINAL_TRAIN, "epochs": 10}
    assert config.final_train["lr"] == 0.01  # the final training's rate, not TrainConfig's 0.05
    assert config.train == {**SEARCH_TRAIN, "lr": 0.1}
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
