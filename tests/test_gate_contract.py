"""Every gate kind carries its whole contract, and a gate added in one place runs everywhere.

The throwaway kinds below are all it takes to add a gate: a Cirq gate, a torch matrix and a
Cirq matcher on one ``GateKind``. ``RXX`` is a one-angle rotation, so the torch backend
derives its fast path; ``XY`` (``cos t`` entries) is not, so it runs on the generic path.
"""

from __future__ import annotations

import math

import cirq
import numpy as np
import pytest
import sympy
import torch
from cirq.contrib.qasm_import import circuit_from_qasm

from qas import GATES, CircuitDAG, Gate, GateKind
from qas.backends.simulators import get_simulator
from qas.backends.torch_forms import rotation_codes, u3_form
from qas.backends.torch_sv import TorchCircuit, readout
from qas.core.cirq_io import from_cirq, gate_angles, to_cirq, to_qasm
from qas.core.gate_matrices import real_dtype
from qas.core.readout import Readout
from qas.core.symbols import param_symbols

RNG = np.random.default_rng(16)


# -- the throwaway gates: everything each needs, in one place --------------------------------
def _rxx_matrix(angles, dtype):
    """``exp(-i t X⊗X / 2) = cos(t/2) I - i sin(t/2) X⊗X``."""
    t = angles[0].to(real_dtype(dtype)) / 2
    c = torch.complex(torch.cos(t), torch.zeros_like(t)).to(dtype)
    s = torch.complex(torch.zeros_like(t), -torch.sin(t)).to(dtype)
    o = torch.zeros_like(c)
    rows = [[c, o, o, s], [o, c, s, o], [o, s, c, o], [s, o, o, c]]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def _rxx_match(gate):
    if isinstance(gate, cirq.XXPowGate) and gate.global_shift == -0.5:
        return (gate.exponent * math.pi,)
    return None


def _xy_matrix(angles, dtype):
    """``ISWAP ** (-2 t / pi)``: ``cos t`` and ``-i sin t`` on the ``|01>, |10>`` block."""
    t = angles[0].to(real_dtype(dtype))
    c = torch.complex(torch.cos(t), torch.zeros_like(t)).to(dtype)
    s = torch.complex(torch.zeros_like(t), -torch.sin(t)).to(dtype)
    o, one = torch.zeros_like(c), torch.ones_like(c)
    rows = [[one, o, o, o], [o, c, s, o], [o, s, c, o], [o, o, o, one]]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def _xy_match(gate):
    if isinstance(gate, cirq.ISwapPowGate) and gate.global_shift == 0:
        return (-gate.exponent * math.pi / 2,)
    return None


THROWAWAY = {
    "RXX": GateKind("RXX", 2, 1, symmetric=True, torch_matrix=_rxx_matrix, cirq_match=_rxx_match,
                    cirq_factory=lambda a: cirq.XXPowGate(exponent=a[0] / math.pi, global_shift=-0.5)),
    "XY": GateKind("XY", 2, 1, symmetric=True, torch_matrix=_xy_matrix, cirq_match=_xy_match,
                   cirq_factory=lambda a: cirq.ISwapPowGate(exponent=-2 * a[0] / math.pi)),
}


@pytest.fixture(params=sorted(THROWAWAY))
def new_kind(request):
    kind = THROWAWAY[request.param]
    with GATES.registered(kind.name, kind):
        yield kind
    assert kind.name not in GATES


def _circuit(k: str) -> CircuitDAG:
    """The new gate trainable, fixed, as a re-uploaded feature and weighted, among encodings."""
    return CircuitDAG(3, [
        Gate("RY", (0,), "feature", feature=0), Gate("RY", (1,), "feature", feature=1),
        Gate("RY", (2,), "feature", feature=2),
        Gate(k, (0, 1), "trainable"),
        Gate("CNOT", (1, 2)),
        Gate(k, (1, 2), "feature", feature=3),
        Gate("U3", (2,), "trainable"),
        Gate(k, (0, 2), "fixed", (0.731,)),
        Gate(k, (2, 1), "feature", feature=1, weighted=True),
        Gate(k, (0, 1), "trainable"),
    ])


def _inputs(dag: CircuitDAG, batch: int = 4):
    return RNG.uniform(-np.pi, np.pi, dag.num_params), RNG.uniform(-np.pi, np.pi, (batch, dag.num_features))


def _cirq_state(dag, params, f):
    circuit = to_cirq(dag, params, f)
    return cirq.Simulator(dtype=np.complex128).simulate(circuit, qubit_order=cirq.LineQubit.range(dag.num_qubits)).final_state_vector


# -- the new gate through every backend and format -------------------------------------------
def test_new_kind_takes_the_expected_torch_path(new_kind):
    assert (rotation_codes(new_kind) is not None) == (new_kind.name == "RXX")
    assert u3_form(new_kind) is None


@pytest.mark.parametrize("dtype, atol", [(torch.complex64, 1e-6), (torch.complex128, 1e-12)])
@pytest.mark.parametrize("block_qubits", [None, 2])
def test_new_kind_on_torch_matches_cirq(new_kind, dtype, atol, block_qubits):
    dag = _circuit(new_kind.name)
    params, feats = _inputs(dag)
    states = TorchCircuit(dag, dtype=dtype, block_qubits=block_qubits).state(params, feats).numpy()
    for b, f in enumerate(feats):
        assert np.allclose(states[b], _cirq_state(dag, params, f), atol=atol)


def test_new_kind_is_differentiable_on_torch(new_kind):
    dag = _circuit(new_kind.name)
    params, feats = _inputs(dag, batch=2)
    circ = TorchCircuit(dag, dtype=torch.complex128)

    def loss(p):
        return readout(circ.state(p, feats), Readout("z"), dag.num_qubits).sum()

    p = torch.tensor(params, requires_grad=True)
    (grad,) = torch.autograd.grad(loss(p), p)
    eps = 1e-6
    numeric = [(loss(torch.tensor(params + eps * e)) - loss(torch.tensor(params - eps * e))).item() / (2 * eps)
               for e in np.eye(len(params))]
    assert np.allclose(grad.numpy(), numeric, atol=1e-6)


def test_new_kind_on_qsim_matches_torch(new_kind):
    dag = _circuit(new_kind.name)
    params, feats = _inputs(dag, batch=6)
    q = get_simulator("qsim").readout(dag, params, feats, Readout("z"))
    t = get_simulator("torch").readout(dag, params, feats, Readout("z"))
    assert q.shape == t.shape == (6, 3)
    assert np.allclose(q, t, atol=1e-5)


def test_new_kind_cirq_round_trip(new_kind):
    dag = _circuit(new_kind.name)
    assert from_cirq(to_cirq(dag), dag.num_qubits) == dag  # symbolic
    params, feats = _inputs(dag, batch=1)
    angles = gate_angles(dag, params, feats[0])
    fixed = CircuitDAG(dag.num_qubits, [
        Gate(g.kind, g.qubits, "fixed", tuple(round(float(a), 6) for a in a_)) if g.spec.parameterized else g
        for g, a_ in zip(dag.gates, angles)])
    assert from_cirq(to_cirq(fixed), dag.num_qubits) == fixed  # resolved
    resolved = to_cirq(dag, params, feats[0])
    assert np.allclose(cirq.unitary(to_cirq(from_cirq(resolved, dag.num_qubits))), cirq.unitary(resolved), atol=1e-10)


def test_new_kind_qasm_parses_back(new_kind):
    dag = _circuit(new_kind.name)
    params, feats = _inputs(dag, batch=1)
    back = circuit_from_qasm(to_qasm(dag, params, feats[0]))
    want = cirq.unitary(to_cirq(dag, params, feats[0]))
    assert cirq.allclose_up_to_global_phase(cirq.unitary(back), want, atol=1e-7)


# -- the contract, over the whole registry ---------------------------------------------------
def _breaches(kind: GateKind) -> list[str]:
    out = []
    for _ in range(3):
        angles = tuple(float(a) for a in RNG.uniform(-np.pi, np.pi, kind.num_angles))
        gate = kind.cirq_gate(angles)
        want = cirq.unitary(gate)
        got = kind.torch_matrix([torch.tensor(a, dtype=torch.float64) for a in angles], torch.complex128).numpy()
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-12):
            out.append(f"torch_matrix differs from cirq.unitary at angles {angles}")
        if not np.allclose(kind.unitary(angles), want, atol=1e-12):
            out.append(f"unitary() differs from cirq.unitary at angles {angles}")
        back = kind.match(gate)
        if back is None or len(back) != kind.num_angles or not np.allclose(back, angles, atol=1e-12):
            out.append(f"cirq_match gives {back} for the gate of angles {angles}")
        others = [GATES.get(n).name for n in GATES if GATES.get(n) is not kind and GATES.get(n).match(gate) is not None]
        if others:
            out.append(f"its gate at {angles} is also matched by {', '.join(others)}")
    if kind.parameterized:
        batched = torch.tensor(RNG.uniform(-np.pi, np.pi, (kind.num_angles, 5)), requires_grad=True)
        m = kind.torch_matrix(list(batched), torch.complex128)
        rows = [kind.unitary(tuple(batched[:, b].tolist())) for b in range(5)]
        if tuple(m.shape) != (5,) + rows[0].shape or not np.allclose(m.detach().numpy(), rows, atol=1e-12):
            out.append("torch_matrix of (B,) angles is not the stack of the single matrices")
        if not m.requires_grad:
            out.append("torch_matrix is not differentiable")
        syms = param_symbols(kind.num_angles)
        back = kind.match(kind.cirq_gate(syms))
        if back is None or any(sympy.simplify(b - s) != 0 for b, s in zip(back, syms)):
            out.append(f"cirq_match gives {back} for the symbolic gate of {syms}")
    return out


def test_every_registered_kind_keeps_its_contract():
    failures = [f"{GATES.get(n).name}: {why}" for n in GATES for why in _breaches(GATES.get(n))]
    assert not failures, "gate kinds that break their contract:\n" + "\n".join(failures)


def test_the_contract_check_names_a_broken_kind():
    broken = GateKind("BROKEN_RX", 1, 1, cirq_factory=lambda a: cirq.rx(a[0]), cirq_match=lambda g: None,
                      torch_matrix=lambda a, dtype: GATES.get("RY").torch_matrix(a, dtype))
    found = _breaches(broken)
    assert any("torch_matrix differs" in f for f in found) and any("cirq_match gives None" in f for f in found)


@pytest.mark.parametrize("piece, words", [("cirq_factory", "its Cirq gate"), ("torch_matrix", "its torch matrix"),
                                          ("cirq_match", "its Cirq matcher")])
def test_a_kind_without_a_piece_is_refused_at_registration(piece, words):
    pieces = {"cirq_factory": THROWAWAY["RXX"].cirq_factory, "torch_matrix": _rxx_matrix, "cirq_match": _rxx_match}
    pieces[piece] = None
    with pytest.raises(ValueError, match=f"^gate 'RXX' is missing {words}") as info:
        GATES.add("RXX", GateKind("RXX", 2, 1, **pieces))
    assert "\n" not in str(info.value)
    assert "RXX" not in GATES


def test_every_builtin_kind_has_its_fast_path():
    """Derived from the matrices, the fast paths are those the backend always had."""
    rotations = {GATES.get(n).name for n in GATES if rotation_codes(GATES.get(n)) is not None}
    assert rotations == {"RX", "RY", "RZ", "RZZ", "CRX", "CRY", "CRZ"}
    assert {GATES.get(n).name: u3_form(GATES.get(n)) for n in GATES if u3_form(GATES.get(n)) is not None} == {
        "U3": 0, "CU3": 1, "CU3Q": 2}


def test_a_kind_repr_evaluates_back_to_it():
    import qas

    for name in GATES:
        kind = GATES.get(name)
        assert eval(repr(kind), {"qas": qas}) is kind
