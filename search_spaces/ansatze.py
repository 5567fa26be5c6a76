"""Hand-designed ansätze: the baselines every searched circuit must beat.

- ``hea``: hardware-efficient, per layer RY and RZ on every qubit then a CNOT ring;
- ``u3cu3``: QuantumNAS-style blocks, U3 on every qubit then a ring of qas's ``CU3`` (the
  Cirq-built controlled-U3, in the alphabet of the ``qml-*`` spaces; the default, kept so that
  fingerprints, shipped embeddings and cached results stay valid);
- ``u3cu3q``: the same blocks with the textbook ``CU3Q`` (Qiskit's ``cu3``), i.e. QuantumNAS's
  U3+CU3 circuit exactly, gate for gate: use it to compare with TorchQuantum or Qiskit.
  ``CU3`` = ``CU3Q`` then ``diag(1, exp(i theta/2))`` on the control, so the two families differ.

``build_ansatz("u3cu3:4", space)`` puts ``layers`` blocks after the space's encoding layer.
"""

from __future__ import annotations

from typing import Callable

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import QasError
from qas.core.registry import Registry
from search_spaces.spec import SearchSpace

ANSATZE: Registry[Callable[[int, int], list[Gate]]] = Registry("ansatz")
#: the hand-designed baselines of every search: trained beside its winner, and its warm start
BASELINES = ("u3cu3:2", "hea:2")


def _ring(n: int) -> list[tuple[int, int]]:
    return [(q, (q + 1) % n) for q in range(n)] if n > 2 else [(0, 1)][: n - 1]


@ANSATZE.register("hea")
def hardware_efficient(num_qubits: int, layers: int) -> list[Gate]:
    gates: list[Gate] = []
    for _ in range(layers):
        gates += [Gate("RY", (q,), "trainable") for q in range(num_qubits)]
        gates += [Gate("RZ", (q,), "trainable") for q in range(num_qubits)]
        gates += [Gate("CNOT", pair) for pair in _ring(num_qubits)]
    return gates


@ANSATZE.register("u3cu3")
def u3_cu3(num_qubits: int, layers: int) -> list[Gate]:
    gates: list[Gate] = []
    for _ in range(layers):
        gates += [Gate("U3", (q,), "trainable") for q in range(num_qubits)]
        gates += [Gate("CU3", pair, "trainable") for pair in _ring(num_qubits)]
    return gates


@ANSATZE.register("u3cu3q")
def u3_cu3_textbook(num_qubits: int, layers: int) -> list[Gate]:
    return [Gate("CU3Q", g.qubits, "trainable") if g.kind == "CU3" else g for g in u3_cu3(num_qubits, layers)]


def build_ansatz(spec: str, space: SearchSpace | None = None, *, num_qubits: int | None = None) -> CircuitDAG:
    """``"name:layers"`` after ``space``'s encoding (or on ``num_qubits`` bare qubits)."""
    name, _, layers_text = spec.partition(":")
    try:
        layers = int(layers_text) if layers_text else 2
    except ValueError:
        raise QasError(f"ansatz {spec!r}: layers must be an integer, as in 'u3cu3:4'") from None
    if layers < 1:
        raise QasError(f"ansatz {spec!r}: needs at least one layer")
    make = ANSATZE.get(name)
    if space is not None:
        return space.build(make(space.num_qubits, layers))
    if num_qubits is None:
        raise QasError("build_ansatz needs a space or num_qubits")
    return CircuitDAG(num_qubits, make(num_qubits, layers))


def baselines_in(space: SearchSpace) -> list[str]:
    """The :data:`BASELINES` that lie in ``space`` (alphabet, gate count, depth, coupling)."""
    out = []
    for spec in BASELINES:
        try:
            if space.contains(build_ansatz(spec, space)):
                out.append(spec)
        except QasError:
            pass
    return out
