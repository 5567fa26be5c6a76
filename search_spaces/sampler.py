"""Seeded uniform sampling of circuits from a space, and deduplicated pools.

Each gate is drawn uniformly: a kind from the alphabet, then its qubits (uniform over the
allowed pairs, both directions, for two-qubit kinds); a gate that would break the depth
bound is redrawn. Parameterised gates get the ``trainable`` role. ``random.Random`` is used
rather than numpy because the loop is scalar and it is several times faster per draw.
"""

from __future__ import annotations

import random
from typing import Callable, Iterator

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import SpaceError
from qas.core.gates import GATES, GateKind
from search_spaces.spec import SearchSpace


def random_gate(space: SearchSpace, rng: random.Random, kinds: tuple[str, ...] | None = None) -> Gate:
    return Gate.drawn(*_draw(space, rng, kinds))


def _draw(space: SearchSpace, rng: random.Random, kinds: tuple[str, ...] | None = None) -> tuple[GateKind, tuple[int, ...]]:
    """A gate's kind and qubits, drawn as :func:`random_gate` draws them (the gate is built only
    when the sampler keeps it: most draws of a deep cell break the depth bound)."""
    spec = GATES.get(rng.choice(kinds)) if kinds else rng.choice(space.alphabet)
    if spec.num_qubits == 1:
        return spec, (rng.randrange(space.num_qubits),)
    return spec, rng.choice(space.pairs)


def sample_ansatz(space: SearchSpace, rng: random.Random, max_restarts: int = 1000) -> list[Gate]:
    """A uniformly drawn list of ansatz gates that satisfies the space's bounds."""
    for _ in range(max_restarts):
        n = rng.randint(space.min_gates, space.max_gates)
        front = [0] * space.num_qubits
        gates: list[Gate] = []
        misses = 0
        while len(gates) < n and misses < 100:
            spec, qubits = _draw(space, rng)
            layer = 1 + max(front[q] for q in qubits)
            if space.max_depth is not None and layer > space.max_depth:
                misses += 1
                continue
            for q in qubits:
                front[q] = layer
            gates.append(Gate.drawn(spec, qubits))
        if len(gates) == n:
            return gates
    raise SpaceError(f"could not sample a circuit of space {space.name!r}: are its bounds satisfiable?")


def sample_circuit(space: SearchSpace, rng: random.Random) -> CircuitDAG:
    return space.build(sample_ansatz(space, rng))


def sample_pool(
    space: SearchSpace,
    n: int,
    *,
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
    max_duplicate_ratio: float = 50.0,
) -> Iterator[CircuitDAG]:
    """Yield ``n`` distinct circuits (distinct canonical DAGs), reproducibly for a seed.

    Stops with a clear error if the space seems to hold fewer than ``n`` circuits (more than
    ``max_duplicate_ratio * n`` draws were needed).
    """
    rng = random.Random(seed)
    seen: set[CircuitDAG] = set()
    draws = 0
    while len(seen) < n:
        draws += 1
        if draws > max_duplicate_ratio * n + 1000:
            raise SpaceError(f"space {space.name!r} yielded only {len(seen)} distinct circuits in {draws} draws")
        dag = sample_circuit(space, rng)
        if dag in seen:
            continue
        seen.add(dag)
        if on_progress is not None:
            on_progress(len(seen))
        yield dag
