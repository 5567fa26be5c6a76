"""Hostile inputs: every loader ends in our own clear error, never a crash or a hang.

Each fuzz test runs 2,000 hypothesis cases (FUZZ_EXAMPLES overrides).
"""

from __future__ import annotations

import json
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qas import CircuitDAG, Gate
from search_spaces.circuit_files import read_circuit
from qas.core.errors import QasError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**12) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
GOOD = CircuitDAG(3, [Gate("H", (0,)), Gate("CNOT", (0, 1)), Gate("RY", (2,), "trainable"),
                      Gate("RX", (1,), "feature", feature=2), Gate("U3", (0,), "fixed", (0.1, 0.2, 0.3))]).to_dict()
FIELDS = {
    "schema": st.sampled_from(["qas.circuit", "x"]) | json_values,
    "version": st.sampled_from([1, 2, 0, -1]) | json_values,
    "num_qubits": st.integers(-2, 6) | json_values,
    "kind": st.sampled_from(["H", "CNOT", "RY", "U3", "cz", "ZAP"]) | json_values,
    "qubits": st.lists(st.integers(-1, 5), max_size=3) | json_values,
    "role": st.sampled_from(["none", "fixed", "trainable", "feature", "evil"]) | json_values,
    "angles": st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4) | json_values,
    "feature": st.integers(-2, 40) | json_values,
}


@st.composite
def mutated_circuits(draw):
    """Valid circuit JSON with a few fields replaced by hostile values."""
    d = json.loads(json.dumps(GOOD))
    for _ in range(draw(st.integers(1, 4))):
        target = d if draw(st.booleans()) or not d["gates"] else draw(st.sampled_from(d["gates"]))
        key = draw(st.sampled_from(sorted(FIELDS)))
        if draw(st.integers(0, 5)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(FIELDS[key])
    return d


def _only_our_errors(fn, *args):
    try:
        fn(*args)
    except QasError:
        pass


@fuzz
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_fuzz_circuit_json_text(text):
    _only_our_errors(CircuitDAG.from_json, text)


@fuzz
@given(mutated_circuits() | json_values)
def test_fuzz_circuit_json_structures(data):
    try:
        dag = CircuitDAG.from_dict(data)
    except QasError:
        return
    assert CircuitDAG.from_json(dag.to_json()) == dag  # whatever loads, round-trips


@fuzz
@given(mutated_circuits(), st.sampled_from(["plain", "best", "truncated"]))
def test_fuzz_circuit_files(tmp_path_factory, data, form):
    path = tmp_path_factory.mktemp("c") / "c.json"
    text = json.dumps({"circuit": data, "params": []} if form == "best" else data)
    path.write_text(text[: len(text) // 2] if form == "truncated" else text)
    _only_our_errors(read_circuit, path)


toml_keys = st.sampled_from(["num_qubits", "gates", "num_gates", "min_gates", "max_gates", "max_depth",
                             "coupling", "encoding", "name", "junk"])
toml_values = st.sampled_from(['4', '-1', '0', '"x"', '["H", "CNOT"]', '["ZAP"]', '[[0, 1]]', '[[0, 9]]', '[[1, 1]]',
                               '{ num_features = 3 }', '{ num_features = -3, rotations = ["CNOT"] }', '1e9', 'true',
                               '[]', '{}', '3.5', '"paper-4q"'])


@fuzz
@given(st.lists(st.tuples(toml_keys, toml_values), max_size=8) | st.text(alphabet=string.printable, max_size=80))
def test_fuzz_space_toml(tmp_path_factory, content):
    from search_spaces import load_space

    if isinstance(content, list):
        content = "\n".join(f"{k} = {v}" for k, v in dict(content).items())
    path = tmp_path_factory.mktemp("s") / "space.toml"
    path.write_text(content)
    try:
        space = load_space(path)
    except QasError:
        return
    import random

    from search_spaces import sample_circuit

    if space.num_qubits <= 8 and space.max_gates <= 50:
        try:
            assert space.contains(sample_circuit(space, random.Random(0)))
        except QasError:
            pass  # unsatisfiable bounds are reported as SpaceError


search_keys = st.sampled_from(["task", "variant", "agent", "budget", "seed", "train_limit", "final", "noise",
                               "agent_options", "train", "space", "bogus"])
search_values = st.sampled_from(['"fashionmnist"', '"vqe-h2"', '"nope"', '3', '-4', '0', 'true', '"random"',
                                 '{ lr = 0.1 }', '{ epochs = -1 }', '{ wat = 1 }', '"depolarizing:p=2"', '[1]', '1.5'])


@fuzz
@given(st.lists(st.tuples(search_keys, search_values), max_size=6) | st.text(alphabet=string.printable, max_size=80))
def test_fuzz_search_config_toml(tmp_path_factory, content):
    from qas.backends.noise import NoiseSpec
    from qas.search import SearchConfig, load_config
    from qas.trainer import TrainConfig

    if isinstance(content, list):
        content = "[search]\n" + "\n".join(f"{k} = {v}" for k, v in dict(content).items())
    path = tmp_path_factory.mktemp("c") / "search.toml"
    path.write_text(content)
    try:
        cfg = SearchConfig(**load_config(path))
        TrainConfig.from_dict(cfg.train)
        if cfg.noise:
            NoiseSpec.parse(cfg.noise)
    except QasError:
        pass


@pytest.mark.parametrize("text", ['{"a": ' * 100000 + "1" + "}" * 100000, "[" * 50000])
def test_deep_nesting_is_a_clear_error(text):
    with pytest.raises(QasError):
        CircuitDAG.from_json(text)
