"""Random search: the baseline every plot shows.

With a pool (embeddings loaded) it walks a seeded permutation of the pool, so it draws from
exactly the circuits the latent agents can reach; without one it samples the space.
"""

from __future__ import annotations

from typing import Any

from qas.search.base import AGENTS, Agent, Proposal, SearchContext, Visited
from search_spaces.sampler import sample_circuit


@AGENTS.register("random")
class RandomSearch(Agent):
    def __init__(self, context: SearchContext, **options: Any) -> None:
        super().__init__(context, **options)
        self._order = None
        if context.index is not None:
            self._order = context.np_rng("random-order").permutation(len(context.index))
        self._cursor = 0

    def propose(self, trial: Any, visited: Visited) -> Proposal:
        self.steps += 1
        if self._order is not None:
            while self._cursor < len(self._order):
                i = int(self._order[self._cursor])
                self._cursor += 1
                dag = self.context.index.circuit(i)
                if dag not in visited:
                    return Proposal(dag, {"pool_index": i})
            from qas.core.errors import QasError

            raise QasError("random search exhausted the pool: the budget is larger than the pool")
        return Proposal(sample_circuit(self.space, self.context.rng("random", self.steps)))
