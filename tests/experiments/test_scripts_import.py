"""Every experiment script imports: a helper it takes from ``common`` (or the library) that has
gone away fails here, not months later when someone reruns the script."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from conftest import EXPERIMENTS

SCRIPTS = sorted(p.stem for p in Path(EXPERIMENTS).glob("*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_experiment_script_imports(name):
    module = importlib.import_module(name)
    assert module.__name__ == name


def test_sampled_circuits_are_distinct_and_reproducible():
    from common import sampled_circuits

    from search_spaces import load_space

    space = load_space("qml-4q-reup-w")
    a, b = sampled_circuits(space, 12, seed=3), sampled_circuits(space, 12, seed=3)
    assert [d.key for d in a] == [d.key for d in b]
    assert len({d.key for d in a}) == 12
    assert all(d.num_features == 16 for d in a)  # circuits of the lifted space, encodings included
