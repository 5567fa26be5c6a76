"""Regularized evolution (Real et al. 2019) on DAG mutations: the QuantumNAS-style baseline.

Needs no embeddings. The first ``population`` proposals are random; then each step draws
``sample_size`` members, mutates the best, and the oldest member dies. The population is the
most recent ``population`` observations, so it is rebuilt exactly from the history.

``seed_circuits`` (ansatz specs such as ``"u3cu3:2"`` or circuit files) join the first
population, so evolution starts from known designs (a warm start, like Optuna's
``enqueue_trial``); they count toward the budget like any other evaluation. They are proposed
*last* of that population: aging kills the oldest member first, and a seed proposed first died
at the first mutation, having had one tournament to win (fashion-10: it was never a parent).
Their trials are marked ``{"op": "seed"}``: the final round and the report label them
"seed SPEC", never as circuits the search found.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Sequence

from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited, read_seed_circuits
from search_spaces.mutation import mutate
from search_spaces.sampler import sample_circuit


@AGENTS.register("evolution", aliases=("regularized-evolution", "re"))
class RegularizedEvolution(Agent):
    def __init__(self, context: SearchContext, *, population: int = 20, sample_size: int = 5,
                 seed_circuits: Sequence[str] = (), **options: Any) -> None:
        super().__init__(context, **options)
        self.population_size = population
        self.sample_size = sample_size
        self.population: deque[Observation] = deque(maxlen=population)
        self.seed_specs = [str(spec) for spec in seed_circuits]
        self.seed_circuits = read_seed_circuits(self.seed_specs, self.space)

    def _random(self, rng: Any) -> Any:
        index = self.context.index
        if index is not None:
            return index.circuit(rng.randrange(len(index)))
        return sample_circuit(self.space, rng)

    def propose(self, trial: Any, visited: Visited) -> Proposal:
        self.steps += 1
        rng = self.context.rng("evolution", self.steps)
        randoms = max(0, self.population_size - len(self.seed_circuits))
        if self.steps <= randoms:
            return Proposal(self._random(rng), {"op": "random"})
        if self.steps <= randoms + len(self.seed_circuits):
            i = self.steps - randoms - 1
            return Proposal(self.seed_circuits[i], {"op": "seed", "spec": self.seed_specs[i]})
        if len(self.population) < self.population_size:  # revisits and shared studies fill it too
            return Proposal(self._random(rng), {"op": "random"})
        contenders = rng.sample(list(self.population), min(self.sample_size, len(self.population)))
        parent = max(contenders, key=lambda o: o.score)
        return Proposal(mutate(parent.dag, self.space, rng), {"op": "mutate", "parent": parent.dag.key})

    def tell(self, observation: Observation) -> None:
        self.population.append(observation)
