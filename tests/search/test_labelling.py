"""Labelling a pool writes a table the benchmark loads, and a second call resumes instead of retraining."""

from __future__ import annotations

import pytest

from qas.core.errors import QasError
from qas.search import label_pool, load_table, lookup_tasks
from search_spaces import load_space, sample_pool


def test_a_labelled_pool_loads_back_and_resumes(tmp_path):
    out = tmp_path / "t.npz"
    lines: list[str] = []
    assert label_pool("paper-4q", ["maxcut"], 4, out, train={"steps": 5}, log=lines.append) == 4
    table = load_table(out)
    assert [d.key for d in table.pool] == [d.key for d in sample_pool(load_space("paper-4q"), 4, seed=0)]
    assert table.meta["train_config"]["steps"] == 5 and table.meta["tasks"]["maxcut"]["threshold"] == 0.95
    assert [t.name for t in lookup_tasks(table)] == ["maxcut"] and set(table.metrics) >= {"maxcut/approx_ratio"}
    assert label_pool("paper-4q", ["maxcut"], 4, out, train={"steps": 5}, log=lines.append) == 4
    assert lines[-1] == "0 circuits to label in shard 0/1"  # resumed: nothing left to train
    assert label_pool("paper-4q", ["maxcut"], 4, out, export_only=True) == 4
    with pytest.raises(QasError, match="no 8-qubit variant"):
        label_pool("paper-8q", ["vqe-h2"], 4, out)
