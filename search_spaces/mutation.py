"""Mutation operators for evolution: insert, delete, replace and re-wire one gate.

Each operator edits the ansatz (the encoding layer is never touched) and returns ``None``
when it cannot apply (e.g. insert at the maximum gate count). :func:`mutate` picks among
the operators and always returns a valid circuit of the space that differs from its input.
"""

from __future__ import annotations

import random
from typing import Callable, Sequence

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import SpaceError
from qas.core.gates import GATES
from qas.core.registry import Registry
from search_spaces.sampler import random_gate
from search_spaces.spec import SearchSpace

Operator = Callable[[list[Gate], SearchSpace, random.Random], "list[Gate] | None"]
MUTATIONS: Registry[Operator] = Registry("mutation operator")


@MUTATIONS.register("insert")
def insert_gate(gates: list[Gate], space: SearchSpace, rng: random.Random) -> list[Gate] | None:
    if len(gates) >= space.max_gates:
        return None
    out = list(gates)
    out.insert(rng.randint(0, len(out)), random_gate(space, rng))
    return out


@MUTATIONS.register("delete")
def delete_gate(gates: list[Gate], space: SearchSpace, rng: random.Random) -> list[Gate] | None:
    if len(gates) <= space.min_gates or not gates:
        return None
    out = list(gates)
    del out[rng.randrange(len(out))]
    return out


@MUTATIONS.register("replace")
def replace_gate(gates: list[Gate], space: SearchSpace, rng: random.Random) -> list[Gate] | None:
    """Change one gate's kind, keeping its qubits when the new kind has the same arity."""
    if not gates:
        return None
    i = rng.randrange(len(gates))
    old = gates[i]
    same_arity = tuple(k for k in space.gates if GATES.get(k).num_qubits == len(old.qubits) and k != old.kind)
    if same_arity:
        kind = GATES.get(rng.choice(same_arity))
        new = Gate(kind.name, old.qubits, "trainable" if kind.parameterized else "none")
    else:
        new = random_gate(space, rng)
    out = list(gates)
    out[i] = new
    return out


@MUTATIONS.register("rewire")
def rewire_gate(gates: list[Gate], space: SearchSpace, rng: random.Random) -> list[Gate] | None:
    """Move one gate to other qubits (for two-qubit gates: another pair, or swap control and target)."""
    if not gates:
        return None
    i = rng.randrange(len(gates))
    old = gates[i]
    if len(old.qubits) == 1:
        choices: Sequence[tuple[int, ...]] = [(q,) for q in range(space.num_qubits) if q != old.qubits[0]]
    else:
        choices = [p for p in space.pairs if p != old.qubits and not (old.spec.symmetric and p == old.qubits[::-1])]
    if not choices:
        return None
    out = list(gates)
    out[i] = Gate(old.kind, tuple(rng.choice(choices)), old.role, old.angles, old.feature)
    return out


def mutate(
    dag: CircuitDAG,
    space: SearchSpace,
    rng: random.Random,
    operators: Sequence[str] | None = None,
    *,
    tries: int = 200,
) -> CircuitDAG:
    """A random valid neighbour of ``dag`` in ``space`` (never ``dag`` itself)."""
    ops = [MUTATIONS.get(name) for name in (operators or MUTATIONS.names())]
    ansatz = list(space.ansatz(dag))
    for _ in range(tries):
        new = rng.choice(ops)(ansatz, space, rng)
        if new is None or space.ansatz_problems(new):
            continue  # checked before building: a CircuitDAG costs more than the checks
        child = space.build(new)
        if child != dag:
            return child
    raise SpaceError(f"no valid mutation of this circuit found in space {space.name!r} after {tries} tries")
