"""The agent interface: every search strategy is a small class behind :class:`Agent`.

The runner drives agents through Optuna's ask-and-tell: it asks the study for a trial, the
agent proposes a circuit for it (BO reads its latent point from the trial; the others
propose on their own), the circuit is evaluated, and the result goes to ``study.tell`` and
then to :meth:`Agent.tell`. Only circuits never evaluated before become trials, so the
budget counts unique evaluated circuits; a proposal of a visited circuit is answered from
the run's history at no cost (:meth:`Agent.tell` with ``revisit=True``).

Resume: :meth:`Agent.restore` receives the run's history (circuit, score, the ``info`` the
agent attached when it proposed) and rebuilds the agent's state, so an interrupted run
continues where it stopped.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.registry import Registry
from search_spaces.spec import SearchSpace

if TYPE_CHECKING:
    import optuna

    from encoders.pool_index import PoolIndex


@dataclass(frozen=True)
class Proposal:
    """A circuit an agent wants evaluated, and what it needs to remember about why."""

    dag: CircuitDAG
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """One evaluated proposal, as the agent sees it (also what ``restore`` replays)."""

    dag: CircuitDAG
    score: float
    info: dict[str, Any]
    revisit: bool = False


@dataclass
class SearchContext:
    space: SearchSpace
    seed: int = 0
    index: "PoolIndex | None" = None  # pool + latent vectors, for latent-space agents

    def rng(self, *stream: Any) -> random.Random:
        """An independent, reproducible random stream for (seed, *stream)."""
        return random.Random(":".join(map(str, (self.seed, *stream))))

    def np_rng(self, *stream: Any) -> np.random.Generator:
        return np.random.default_rng(self.rng(*stream).getrandbits(64))


class Agent(ABC):
    """A search strategy.

    Hooks, in the order the runner calls them:
      ``sampler()``  once, for the Optuna study (only BO uses a real one);
      ``restore(history)``  once, on resume, with every earlier observation in order;
      ``propose(trial, visited)``  for each new trial; may return a visited circuit;
      ``tell(observation)``  after each evaluation (or revisit).
    """

    needs_embeddings: bool = False

    def __init__(self, context: SearchContext, **options: Any) -> None:
        if options:
            from qas.core.errors import QasError

            raise QasError(f"agent {type(self).__name__} got unknown option(s) {sorted(options)}")
        self.context = context
        self.space = context.space
        self.steps = 0  # proposals made, revisits included

    def sampler(self) -> "optuna.samplers.BaseSampler":
        import optuna

        return optuna.samplers.RandomSampler(seed=self.context.seed)

    @abstractmethod
    def propose(self, trial: "optuna.Trial", visited: "Visited") -> Proposal:
        """The next circuit to evaluate."""

    def tell(self, observation: Observation) -> None:
        """Learn from an evaluated (or revisited) proposal."""

    def restore(self, history: Sequence[Observation]) -> None:
        """Rebuild state from an earlier run's observations (default: tell them in order)."""
        for obs in history:
            self.steps += 1
            self.tell(obs)


def read_seed_circuits(specs: Sequence[str], space: SearchSpace) -> list[CircuitDAG]:
    """Known designs an agent starts from (``seed_circuits``: ansatz specs such as ``"u3cu3:2"``
    or circuit files), each checked to lie in ``space``."""
    from qas.core.errors import QasError
    from search_spaces.circuit_files import read_circuit

    out = []
    for spec in specs:
        dag = read_circuit(str(spec), space)
        problems = space.problems(dag)
        if problems:
            raise QasError(f"seed circuit {spec!r} is not in space {space.name!r}: {problems[0]}")
        out.append(dag)
    return out


class Visited:
    """Circuits already evaluated in this run (or claimed by another worker), by key."""

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.claimed: set[str] = set()

    def add(self, dag: CircuitDAG, score: float) -> None:
        self.scores[dag.key] = score

    def __contains__(self, dag: object) -> bool:
        return isinstance(dag, CircuitDAG) and (dag.key in self.scores or dag.key in self.claimed)

    def __len__(self) -> int:
        return len(self.scores)


AGENTS: Registry[type[Agent]] = Registry("agent")
