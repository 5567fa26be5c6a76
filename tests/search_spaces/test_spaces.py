"""Search spaces: built-ins, TOML specs, sampling, pools and mutations."""

import random

import cirq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qas import CircuitDAG, Gate
from qas.core.cirq_io import from_cirq, to_cirq
from qas.core.errors import SpaceError, UnknownNameError
from search_spaces import MUTATIONS, SPACES, load_space, mutate, read_pool, sample_circuit, sample_pool, write_pool
from search_spaces.spec import ansatz_depth

ALL = SPACES.names()


def test_paper_4q_is_the_space_of_sun_et_al():
    s = load_space("paper-4q")
    assert s.num_qubits == 4 and s.min_gates == s.max_gates == 10 and s.max_depth == 5
    assert set(s.gates) == {"X", "Y", "Z", "H", "RX", "RY", "RZ", "CNOT", "CZ", "U3", "SWAP"}


def test_qml_spaces_carry_the_quantumnas_encoding():
    s = load_space("qml-4q")
    enc = s.encoding_gates()
    assert [g.kind for g in enc[:4]] == ["RY"] * 4 and [g.kind for g in enc[4:8]] == ["RZ"] * 4
    assert [g.feature for g in enc] == list(range(16))
    assert load_space("qml-10q").num_features == 36 and load_space("qml-10q").num_qubits == 10


@pytest.mark.parametrize("name", ALL)
@given(seed=st.integers(0, 2**32 - 1))
def test_sampled_circuits_are_valid(name, seed):
    space = load_space(name)
    dag = sample_circuit(space, random.Random(seed))
    assert space.problems(dag) == []
    assert from_cirq(cirq.read_json(json_text=cirq.to_json(to_cirq(dag))), space.num_qubits) == dag


@pytest.mark.parametrize("name", ALL)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 5))
def test_mutations_stay_in_the_space(name, seed, steps):
    space = load_space(name)
    rng = random.Random(seed)
    dag = sample_circuit(space, rng)
    for _ in range(steps):
        child = mutate(dag, space, rng)
        assert child != dag
        assert space.problems(child) == []
        assert set(space.encoding_gates()) == {g for g in child.gates if g.role == "feature"}
        dag = child


@pytest.mark.parametrize("op", MUTATIONS.names())
def test_each_operator_alone_yields_valid_children(op):
    space = load_space("qml-4q")
    rng = random.Random(op)
    for _ in range(30):
        dag = sample_circuit(space, rng)
        n = len(space.ansatz(dag))
        if (op == "delete" and n == space.min_gates) or (op == "insert" and n == space.max_gates):
            continue
        child = mutate(dag, space, rng, operators=[op])
        assert space.contains(child) and child != dag


def test_insert_and_delete_respect_gate_bounds():
    space = load_space("paper-4q")  # exactly 10 gates
    dag = sample_circuit(space, random.Random(1))
    with pytest.raises(SpaceError, match="no valid mutation"):
        mutate(dag, space, random.Random(1), operators=["insert"], tries=20)
    child = mutate(dag, space, random.Random(1), operators=["replace", "rewire"])
    assert len(child) == 10


def test_sampling_is_seeded_and_deduplicated():
    space = load_space("paper-4q")
    a = list(sample_pool(space, 500, seed=3))
    b = list(sample_pool(space, 500, seed=3))
    assert a == b
    assert len({d.key for d in a}) == 500
    assert list(sample_pool(space, 50, seed=4)) != a[:50]


def test_tiny_space_runs_out_with_a_clear_error(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text('num_qubits = 1\ngates = ["X", "H"]\nnum_gates = 1\n')
    space = load_space(path)
    assert len(list(sample_pool(space, 2))) == 2
    with pytest.raises(SpaceError, match="only 2 distinct circuits"):
        list(sample_pool(space, 3, max_duplicate_ratio=5))


def test_pool_file_round_trip(tmp_path):
    space = load_space("qml-4q")
    pool = list(sample_pool(space, 40, seed=0))
    path = tmp_path / "pool.jsonl"
    assert write_pool(path, pool) == 40
    assert read_pool(path) == pool


def test_pool_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = CircuitDAG(1, [Gate("H", (0,))]).to_json()
    path.write_text(good + "\n{oops\n")
    with pytest.raises(Exception, match=r"bad.jsonl:2: malformed circuit JSON"):
        read_pool(path)


def test_toml_space(tmp_path):
    path = tmp_path / "ring.toml"
    path.write_text(
        """
[space]
num_qubits = 3
gates = ["ry", "cnot"]
min_gates = 2
max_gates = 6
max_depth = 4
coupling = [[0, 1], [1, 2]]
[space.encoding]
num_features = 3
rotations = ["RX"]
"""
    )
    space = load_space(path)
    assert space.name == "ring" and space.coupling == ((0, 1), (1, 2))
    rng = random.Random(0)
    for _ in range(50):
        dag = sample_circuit(space, rng)
        assert space.contains(dag)
        assert all(g.qubits in {(0, 1), (1, 0), (1, 2), (2, 1)} for g in dag.gates if len(g.qubits) == 2)
        assert ansatz_depth(3, space.ansatz(dag)) <= 4


@pytest.mark.parametrize(
    "text, message",
    [
        ("num_qubits = 2\ngates = ['H']\n", r"missing \['max_gates', 'min_gates'\]"),
        ("num_qubits = 2\ngates = ['H']\nnum_gates = 3\ncolour = 1\n", "unknown space key"),
        ("num_qubits = 2\ngates = ['WARP']\nnum_gates = 3\n", "unknown gate 'WARP'"),
        ("num_qubits = 2\ngates = ['H']\nmin_gates = 3\nmax_gates = 1\n", "min_gates <= max_gates"),
        ("num_qubits = 2\ngates = ['H']\nnum_gates = 3\ncoupling = [[0, 5]]\n", "bad coupling pair"),
        ("num_qubits = 'two'\ngates = ['H']\nnum_gates = 3\n", "num_qubits must be an integer"),
        ("num_qubits = 2\ngates = [", "not valid TOML"),
    ],
)
def test_bad_toml_spaces(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SpaceError, match=message):
        load_space(path)


def test_unknown_space_name_lists_builtins():
    with pytest.raises(UnknownNameError, match="paper-4q"):
        load_space("paper-5q")


def test_fingerprint_ignores_name_but_not_content():
    from dataclasses import replace

    s = load_space("paper-4q")
    assert replace(s, name="other").fingerprint == s.fingerprint
    assert replace(s, max_depth=6).fingerprint != s.fingerprint


def test_problems_explain_why_a_circuit_is_outside():
    space = load_space("paper-4q")
    dag = CircuitDAG(4, [Gate("CRX", (0, 1), "trainable")])
    problems = space.problems(dag)
    assert any("1 gates, space allows 10..10" in p for p in problems)
    assert any("CRX is not in the space's alphabet" in p for p in problems)
    assert space.problems(CircuitDAG(3, [])) == ["circuit has 3 qubits, space 'paper-4q' has 4"]


# -- data re-uploading: R copies of (encoding, cell), the cell searched -------------------------
def test_reupload_space_stacks_encoding_and_cell():
    space, cell = load_space("qml-4q-reup"), load_space("qml-4q")
    gates = [Gate("U3", (0,), "trainable"), Gate("CNOT", (0, 1)), Gate("RZZ", (2, 3), "trainable"),
             Gate("RY", (3,), "trainable")]
    dag = space.build(gates)
    assert len(dag) == 3 * (16 + 4) and dag.num_params == 3 * (3 + 1 + 1)
    assert sum(g.role == "feature" for g in dag.gates) == 48 and dag.num_features == 16
    assert set(space.ansatz(dag)) == set(gates) and len(space.ansatz(dag)) == 4
    assert space.problems(dag) == []
    # the cell space is qml-4q: same fingerprint, so qml-4q's embeddings serve the cells
    assert space.cell_space.fingerprint == cell.fingerprint != space.fingerprint
    assert space.lower(dag) == cell.build(gates) and space.lift(cell.build(gates)) == dag


def test_reupload_space_rejects_circuits_whose_copies_differ():
    space = load_space("qml-4q-reup")
    enc = list(space.encoding_gates())
    a = [Gate("U3", (q,), "trainable") for q in range(4)]
    b = a[:3] + [Gate("RX", (3,), "trainable")]
    uneven = CircuitDAG(4, enc + a + enc + a + enc + b)
    assert any("encoding" in p for p in space.problems(uneven))
    assert space.problems(load_space("qml-4q").build(a))  # one block only: not this space
    assert space.problems(CircuitDAG(4, (enc + a) * 2))


@pytest.mark.parametrize("bad, msg", [
    ({"reuploads": 0}, "reuploads must be an integer >= 1"),
    ({"reuploads": 2, "encoding": None}, "needs an encoding"),
    ({"reuploads": 2, "min_gates": 0}, "min_gates >= 1"),
])
def test_reupload_space_errors(bad, msg):
    from dataclasses import replace

    with pytest.raises(SpaceError, match=msg):
        replace(load_space("qml-4q"), **bad)


def test_reuploads_from_toml(tmp_path):
    path = tmp_path / "reup.toml"
    path.write_text(
        'num_qubits = 2\ngates = ["RY", "CZ"]\nmin_gates = 1\nmax_gates = 3\nreuploads = 2\n'
        '[encoding]\nnum_features = 2\nrotations = ["RX"]\n'
    )
    space = load_space(path)
    assert space.reuploads == 2
    dag = sample_circuit(space, random.Random(0))
    assert [g.role for g in dag.gates].count("feature") == 4 and space.problems(dag) == []


@pytest.mark.parametrize("space, digest", [
    ("qml-4q", "fff8f423176ec297df59ef637b3fccb65511ed8b9f6229bb220854738319fd0a"),
    ("paper-8q", "2bc00825ad0d03ff172a6c1a84188bad7387192c5fa938fa5a5825951af2c367"),
    ("qml-10q", "d15451acc650ef9ce93be964823f0f3b6767e00f26dd3f1dce11db4fb89a5d28"),
    ("ansatz-8q", "f2db680efa1fc6192ae9ffa5a7641263b4f06fd1582caeabe11f5fc102f90826"),
])
def test_sampler_draws_the_same_pools_as_the_shipped_embeddings(space, digest):
    """The shipped compact embeddings re-sample their pools on first use and refuse a pool that
    differs, so the sampler's draw sequence is frozen: a speed-up that changes it fails here in a
    second, not in the slow rebuild test."""
    import hashlib

    keys = "".join(d.key for d in sample_pool(load_space(space), 500, seed=0))
    assert hashlib.sha256(keys.encode()).hexdigest() == digest
