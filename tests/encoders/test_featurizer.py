"""Featurizer invariants: node and edge counts, START/END wiring, control/target marking,
the batched path agreeing with the single path, and decode_graph's validity checks."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from encoders import EmbeddingError, Featurizer
from encoders.featurizer import END_KIND, Q_CONTROL, Q_NONE, Q_TARGET, START_KIND, node_features
from qas import CircuitDAG, Gate
from search_spaces import SPACES, load_space, sample_circuit, sample_pool

ALL = SPACES.names()


def _ansatz_wire_edges(gates, num_qubits):
    last = [0] * num_qubits
    out = []
    for i, g in enumerate(gates, start=1):
        for q in g.qubits:
            out.append((last[q], i))
            last[q] = i
    return out + [(last[q], len(gates) + 1) for q in range(num_qubits)]


@pytest.mark.parametrize("name", ALL)
@given(seed=st.integers(0, 2**32 - 1))
def test_graph_invariants(name, seed):
    space = load_space(name)
    f = Featurizer(space)
    dag = sample_circuit(space, random.Random(seed))
    data = f.featurize(dag)
    data.validate()
    gates = f.graph_gates(dag)
    n, g = space.num_qubits, len(gates)
    assert data.num_nodes == g + 2
    assert data.x.shape == (g + 2, f.num_features)
    # one edge per wire segment: every gate's qubits, plus one END edge per wire
    assert data.edge_index.shape[1] == sum(len(x.qubits) for x in gates) + n
    src, dst = data.edge_index
    assert (src < dst).all()  # canonical order is topological
    assert int((src == 0).sum()) == n  # START feeds every wire once
    assert int((dst == g + 1).sum()) == n  # END closes every wire once
    assert [tuple(e) for e in data.edge_index.t().tolist()] == _ansatz_wire_edges(gates, n)
    if space.encoding is None:
        assert [tuple(e) for e in data.edge_index.t().tolist()] == [(s, d) for s, d, _ in dag.wire_edges()]
    assert data.kind[0] == START_KIND and data.kind[-1] == END_KIND
    assert data.x[:, : f.num_node_kinds].sum(1).eq(1).all()


def test_qubit_vector_marks_control_and_target_differently():
    space = load_space("qml-4q")
    f = Featurizer(space)
    dag = space.build(
        [Gate("CNOT", (2, 0)), Gate("CZ", (3, 1)), Gate("RX", (1,), "trainable"), Gate("CRY", (0, 3), "trainable")]
    )
    data = f.featurize(dag)
    base = f.num_node_kinds
    control = data.x[:, base : base + 4]
    target = data.x[:, base + 4 : base + 8]
    rows = {f.node_kinds[int(k)]: i for i, k in enumerate(data.kind)}
    cnot, cz, rx, cry = (rows[k] for k in ("CNOT", "CZ", "RX", "CRY"))
    assert control[cnot].tolist() == [0, 0, 1, 0] and target[cnot].tolist() == [1, 0, 0, 0]
    assert control[cz].tolist() == [0, 0, 0, 0] and target[cz].tolist() == [0, 1, 0, 1]  # symmetric: both targets
    assert control[rx].tolist() == [0, 0, 0, 0] and target[rx].tolist() == [0, 1, 0, 0]
    assert control[cry].tolist() == [1, 0, 0, 0] and target[cry].tolist() == [0, 0, 0, 1]
    assert data.qclass[cnot].tolist() == [Q_TARGET, Q_NONE, Q_CONTROL, Q_NONE]
    # the control/target flip is a different graph
    flipped = f.featurize(space.build([Gate("CNOT", (0, 2))] + list(space.ansatz(dag))[1:]))
    assert not torch.equal(flipped.x, data.x)
    # the 16 encoding gates are not nodes; roles are one-hot
    assert data.num_nodes == 4 + 2
    role = data.x[:, base + 8 :]
    assert role[rx].tolist() == [0, 0, 1, 0] and role[cnot].tolist() == [1, 0, 0, 0]
    assert role[0].sum() == 0 and role[-1].sum() == 0


@pytest.mark.parametrize("name", ["paper-4q", "qml-4q"])
def test_batched_path_equals_single_path(name):
    space = load_space(name)
    f = Featurizer(space)
    pool = list(sample_pool(space, 60, seed=3))
    table = f.featurize_many(pool)
    assert len(table) == 60
    for i in (0, 17, 59):
        one, many = f.featurize(pool[i]), table.get(i)
        assert torch.equal(one.x, many.x) and torch.equal(one.edge_index, many.edge_index)
    batch = table.batch(torch.tensor([5, 2, 40]))
    batch.validate()
    assert batch.num_graphs == 3 and batch.ptr.tolist()[-1] == batch.x.shape[0]
    assert torch.equal(batch.x[: table.get(5).num_nodes], table.get(5).x)


def test_node_features_match_the_featurizer():
    space = load_space("paper-4q")
    f = Featurizer(space)
    table = f.featurize_many(list(sample_pool(space, 20, seed=0)))
    b = table.batch(torch.arange(20))
    kinds = b.kind.reshape(-1)
    qclass = b.qclass.reshape(-1, 4)
    mask = kinds >= 0
    role = torch.where(kinds >= 2, b.x.new_zeros(len(kinds)).long(), torch.full_like(kinds, -1))
    base = f.num_node_kinds + 8
    role[mask & (kinds >= 2)] = b.x[:, base:].argmax(1)[(kinds[mask] >= 2)]
    x = node_features(kinds, qclass, role, num_node_kinds=f.num_node_kinds)[mask]
    assert torch.equal(x, b.x)


def test_decode_graph_round_trip_and_invalid_graphs():
    space = load_space("paper-4q")
    f = Featurizer(space)
    for dag in sample_pool(space, 30, seed=5):
        d = f.featurize(dag)
        adj = f.adjacency(f.graph_gates(dag))
        assert f.decode_graph(d.kind.tolist(), d.qclass.numpy(), adj) == dag
    d = f.featurize(next(iter(sample_pool(space, 1, seed=9))))
    ops, q = d.kind.tolist(), d.qclass.numpy().copy()
    assert f.decode_graph([ops[1]] + ops[1:], q) is None  # no START
    assert f.decode_graph(ops[:-1] + [ops[1]], q) is None  # no END
    bad = q.copy()
    bad[1] = [Q_TARGET, Q_TARGET, Q_TARGET, Q_NONE]  # three qubits
    assert f.decode_graph(ops, bad) is None
    cnot = 2 + space.gates.index("CNOT")
    assert f.gate_from_node(cnot, [Q_TARGET, Q_TARGET, 0, 0]) is None  # CNOT without a control
    assert f.gate_from_node(cnot, [Q_CONTROL, 0, Q_TARGET, 0]) == Gate("CNOT", (0, 2))
    # ten H gates on one wire: depth 10 > 5, not in the space
    ops = [START_KIND] + [2 + space.gates.index("H")] * 10 + [END_KIND]
    qc = np.zeros((12, 4), dtype=int)
    qc[1:11, 0] = Q_TARGET
    assert f.decode_graph(ops, qc) is None
    # adjacency that disagrees with the wires is rejected
    dag = next(iter(sample_pool(space, 1, seed=2)))
    d = f.featurize(dag)
    adj = f.adjacency(f.graph_gates(dag))
    assert f.decode_graph(d.kind.tolist(), d.qclass.numpy(), adj) == dag
    adj[0, -1] = 1 - adj[0, -1]
    assert f.decode_graph(d.kind.tolist(), d.qclass.numpy(), adj) is None


def test_initial_state_is_not_embedded_and_comes_back_on_decoding():
    from dataclasses import replace

    space = replace(load_space("paper-4q"), name="paper-4q-hf", initial_state="1100")
    f = Featurizer(space)
    for dag in sample_pool(space, 20, seed=3):
        for q in (0, 1):  # the first gate on each prepared wire is its X
            assert next(g for g in dag.gates if q in g.qubits) == Gate("X", (q,))
        d = f.featurize(dag)
        assert len(d.kind) == len(dag.gates) - 2 + 2  # the ansatz, START and END; no X nodes
        adj = f.adjacency(f.graph_gates(dag))
        assert f.decode_graph(d.kind.tolist(), d.qclass.numpy(), adj) == dag


def test_clear_errors_for_circuits_of_another_space():
    f = Featurizer(load_space("paper-4q"))
    with pytest.raises(EmbeddingError, match="alphabet"):
        f.featurize(CircuitDAG(4, [Gate("CRX", (0, 1), "trainable")]))
    with pytest.raises(EmbeddingError, match="qubit"):
        f.featurize(CircuitDAG(5, [Gate("H", (4,))]))


def test_featurization_is_fast():
    space = load_space("paper-4q")
    pool = list(sample_pool(space, 5000, seed=0))
    f = Featurizer(space)
    t = time.perf_counter()
    f.featurize_many(pool)
    assert 5000 / (time.perf_counter() - t) > 5000  # >= 20k/s on an idle machine; see slow test


@pytest.mark.slow
def test_featurization_rate_100k():
    space = load_space("paper-4q")
    pool = list(sample_pool(space, 100_000, seed=0))
    t = time.perf_counter()
    Featurizer(space).featurize_many(pool)
    assert 100_000 / (time.perf_counter() - t) >= 20_000
