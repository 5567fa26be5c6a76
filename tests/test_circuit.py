"""CircuitDAG: validation, canonical form and hash, value semantics, JSON."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qas
from qas import CircuitDAG, CircuitError, CircuitFormatError, Gate
from tests.strategies import circuits


def _commuting_shuffle(dag: CircuitDAG, seed: int) -> list[Gate]:
    """A random topological order of the same DAG (moves gates past gates on disjoint qubits)."""
    rng = random.Random(seed)
    remaining = list(dag.gates)
    out = []
    while remaining:
        ready = [i for i, g in enumerate(remaining)
                 if not any(set(g.qubits) & set(h.qubits) for h in remaining[:i])]
        out.append(remaining.pop(rng.choice(ready)))
    return out


@given(circuits(), st.integers(0, 10**6))
def test_hash_invariant_under_commuting_reorders(dag, seed):
    again = CircuitDAG(dag.num_qubits, _commuting_shuffle(dag, seed))
    assert again == dag
    assert again.key == dag.key
    assert hash(again) == hash(dag)


@given(circuits(min_qubits=2), st.data())
def test_hash_sensitive_to_real_changes(dag, data):
    if not dag.gates:
        return
    i = data.draw(st.integers(0, len(dag) - 1))
    g = dag.gates[i]
    q = [(x + 1) % dag.num_qubits for x in g.qubits]
    if len(set(q)) == len(q):
        moved = list(dag.gates)
        moved[i] = Gate(g.kind, tuple(q), g.role, g.angles, g.feature)
        other = CircuitDAG(dag.num_qubits, moved)
        assert (other.key == dag.key) == (other == dag)
    dropped = CircuitDAG(dag.num_qubits, dag.gates[:i] + dag.gates[i + 1:])
    assert dropped.key != dag.key


def test_control_and_target_matter_but_not_for_symmetric_gates():
    cnot = CircuitDAG(2, [Gate("CNOT", (0, 1))])
    assert cnot != CircuitDAG(2, [Gate("CNOT", (1, 0))])
    assert cnot.key != CircuitDAG(2, [Gate("CNOT", (1, 0))]).key
    assert CircuitDAG(2, [Gate("CZ", (0, 1))]) == CircuitDAG(2, [Gate("CZ", (1, 0))])
    assert CircuitDAG(2, [Gate("CZ", (0, 1))]).key != CircuitDAG(2, [Gate("CNOT", (0, 1))]).key


def test_order_on_a_shared_wire_matters():
    a = CircuitDAG(1, [Gate("H", (0,)), Gate("X", (0,))])
    b = CircuitDAG(1, [Gate("X", (0,)), Gate("H", (0,))])
    assert a != b and a.key != b.key


def test_disjoint_reorder_is_the_same_circuit():
    a = CircuitDAG(3, [Gate("H", (0,)), Gate("CNOT", (1, 2)), Gate("X", (0,))])
    b = CircuitDAG(3, [Gate("CNOT", (1, 2)), Gate("H", (0,)), Gate("X", (0,))])
    assert a == b and a.key == b.key


@given(circuits())
def test_repr_round_trips(dag):
    assert eval(repr(dag), {"qas": qas}) == dag


@given(circuits())
def test_json_round_trips(dag):
    text = dag.to_json()
    back = CircuitDAG.from_json(text)
    assert back == dag and back.to_json() == text
    assert CircuitDAG.from_json(dag.to_json(indent=2)) == dag


def test_derived_structure():
    dag = CircuitDAG(3, [Gate("H", (0,)), Gate("CNOT", (0, 1)), Gate("U3", (2,), "trainable"),
                         Gate("RY", (1,), "feature", feature=4), Gate("RZ", (0,), "trainable")])
    assert dag.depth == 3
    assert dag.num_params == 4
    assert dag.num_features == 5
    slices = dict(zip(dag.gates, dag.param_slices()))
    assert slices[Gate("U3", (2,), "trainable")] is not None
    assert sum(s.stop - s.start for s in slices.values() if s) == 4
    edges = dag.wire_edges()
    n = len(dag)
    # each gate has one incoming edge per qubit; each wire ends in END
    assert len(edges) == sum(len(g.qubits) for g in dag.gates) + dag.num_qubits
    assert sorted(q for (_, dst, q) in edges if dst == n + 1) == [0, 1, 2]


def test_idle_wire_links_start_to_end():
    dag = CircuitDAG(2, [Gate("H", (0,))])
    assert (0, 2, 1) in dag.wire_edges()


def test_immutable():
    dag = CircuitDAG(1, [Gate("H", (0,))])
    with pytest.raises(AttributeError):
        dag._gates = ()  # type: ignore[misc]
    with pytest.raises(Exception):
        dag.gates[0].kind = "X"  # type: ignore[misc]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: CircuitDAG(2, [Gate("H", (2,))]), "H on qubit 2 is out of range for a 2-qubit circuit"),
        (lambda: Gate("CNOT", (1, 1)), "CNOT uses qubit 1 twice"),
        (lambda: Gate("FOO", (0,)), "unknown gate 'FOO'; choose one of: cnot, "),
        (lambda: Gate("CNOT", (0,)), r"CNOT acts on 2 qubit\(s\), got 1"),
        (lambda: Gate("H", (-1,)), "negative qubit index"),
        (lambda: Gate("RX", (0,)), "RX needs angles"),
        (lambda: Gate("RX", (0,), "fixed", (1.0, 2.0)), r"RX takes 1 angle\(s\), got 2"),
        (lambda: Gate("RX", (0,), "fixed", (float("nan"),)), "angles must be finite"),
        (lambda: Gate("RX", (0,), "feature", feature=-1), "feature index >= 0"),
        (lambda: Gate("U3", (0,), "feature", feature=1), "only one-angle gates can encode a feature"),
        (lambda: Gate("H", (0,), "trainable"), "H takes no angles"),
        (lambda: Gate("RX", (0,), "magic"), "unknown parameter role 'magic'"),
        (lambda: CircuitDAG(0, []), "num_qubits must be a positive integer"),
    ],
)
def test_clear_errors(make, message):
    with pytest.raises(CircuitError, match=message):
        make()


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "malformed circuit JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"schema": "other", "version": 1}', "not a qas circuit"),
        ('{"schema": "qas.circuit", "version": 99, "num_qubits": 1, "gates": []}', "version 99 is newer"),
        ('{"schema": "qas.circuit", "version": "1", "num_qubits": 1, "gates": []}', "version must be an integer"),
        ('{"schema": "qas.circuit", "version": 1, "num_qubits": 1}', "needs a 'gates' list"),
        ('{"schema": "qas.circuit", "version": 1, "num_qubits": 1, "gates": [{"kind": "H"}]}', "needs 'kind' and 'qubits'"),
        ('{"schema": "qas.circuit", "version": 1, "num_qubits": 1, "gates": [{"kind": "H", "qubits": [0], "x": 1}]}', "unknown gate field"),
        ('{"schema": "qas.circuit", "version": 1, "num_qubits": 1, "gates": [{"kind": "H", "qubits": ["a"]}]}', "list of integers"),
        ('{"schema": "qas.circuit", "version": 1, "num_qubits": 1, "gates": [{"kind": "ZAP", "qubits": [0]}]}', "unknown gate 'ZAP'"),
    ],
)
def test_json_errors(text, message):
    with pytest.raises(CircuitFormatError if "ZAP" not in text else CircuitError, match=message):
        CircuitDAG.from_json(text)


def test_json_schema_is_versioned():
    d = json.loads(CircuitDAG(1, [Gate("H", (0,))]).to_json())
    assert d["schema"] == "qas.circuit" and d["version"] == 1


def test_key_is_stable_across_releases():
    """The content hash keys caches on disk: it must never drift silently."""
    dag = CircuitDAG(2, [Gate("H", (0,)), Gate("CNOT", (0, 1)), Gate("RY", (1,), "trainable")])
    assert dag.key == "ed14348b72003552bcf221586e9023d1ce4dedf900f8490cb6f099336fcf02f1"


def test_huge_qubit_count_costs_memory_by_gates_not_by_qubits():
    """Found by the fuzz test: a file claiming 3.2e9 qubits allocated a list per qubit (25 GB)."""
    dag = CircuitDAG(3_197_139_305, [Gate("H", (0,)), Gate("CNOT", (0, 5))])
    assert CircuitDAG.from_json(dag.to_json()) == dag


@pytest.mark.parametrize("kind", sorted(qas.GATES))
def test_drawn_gate_is_the_validated_gate(kind):
    """``Gate.drawn`` (the sampler's unvalidated constructor) builds exactly what ``Gate`` does:
    same fields, equality, hash and key, symmetric kinds' qubits sorted."""
    spec = qas.GATES.get(kind)
    qubits = (2, 0, 1)[: spec.num_qubits]
    drawn = Gate.drawn(spec, qubits)
    built = Gate(kind, qubits, "trainable" if spec.parameterized else "none")
    assert drawn == built and hash(drawn) == hash(built) and repr(drawn) == repr(built)
    assert CircuitDAG(3, [drawn]).key == CircuitDAG(3, [built]).key
