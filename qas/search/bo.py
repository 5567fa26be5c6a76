"""Bayesian optimisation on the latent coordinates, through Optuna's samplers.

The study's trial suggests one float per latent dimension inside the pool's latent box; the
point is decoded to the nearest unvisited pool circuit, and the trial records the circuit
actually evaluated (and its own latent, ``z_actual``). ``GPSampler`` by default, ``TPESampler``
with ``sampler="tpe"``. The model's state is the study itself, so resume needs nothing more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qas.core.errors import QasError
from qas.search.base import AGENTS, Agent, Proposal, SearchContext, Visited


@AGENTS.register("bo", aliases=("bayesian",))
class BayesianOptimisation(Agent):
    needs_embeddings = True

    def __init__(self, context: SearchContext, *, sampler: str = "gp", n_startup_trials: int = 10,
                 **options: Any) -> None:
        super().__init__(context, **options)
        if context.index is None:
            raise QasError("the bo agent searches a latent space: it needs embeddings (--embeddings)")
        if sampler not in ("gp", "tpe"):
            raise QasError(f"unknown BO sampler {sampler!r}; choose gp or tpe")
        self.index = context.index
        self.kind = sampler
        self.n_startup_trials = n_startup_trials
        self.lo, self.hi = self.index.bounds()

    def sampler(self) -> Any:
        import optuna

        if self.kind == "tpe":
            return optuna.samplers.TPESampler(seed=self.context.seed, n_startup_trials=self.n_startup_trials)
        return optuna.samplers.GPSampler(seed=self.context.seed, n_startup_trials=self.n_startup_trials)

    def propose(self, trial: Any, visited: Visited) -> Proposal:
        self.steps += 1
        z = np.array([trial.suggest_float(f"z{d}", float(self.lo[d]), float(self.hi[d])) for d in range(self.index.dim)],
                     dtype=np.float32)
        i = self.index.nearest_unvisited(z)
        return Proposal(self.index.circuit(i), {"z_actual": self.index.latents[i].tolist()})


@AGENTS.register("bo-tpe", aliases=("tpe",))
class TPE(BayesianOptimisation):
    def __init__(self, context: SearchContext, **options: Any) -> None:
        options.setdefault("sampler", "tpe")
        super().__init__(context, **options)
