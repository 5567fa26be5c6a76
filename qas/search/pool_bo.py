"""Bayesian optimisation over the pool's latents (arch2vec's BO, with a GP instead of DNGO).

Optuna's samplers (``bo``, ``bo-tpe``) suggest a point of the latent *box*, which is then
decoded to the nearest unvisited pool circuit. Two things are lost on the way: the model is fit
at the suggested points, not at the latents of the circuits actually scored, and most of the box
is empty, so suggestions crowd onto the few "hub" circuits nearest to its empty regions. Here
the candidates are the pool itself: a Gaussian process (Matérn 5/2, one length scale over
standardised latents, fit by marginal likelihood) is fit on the evaluated circuits' own latents,
and the unvisited pool circuit with the highest expected improvement is proposed. The first
``n_startup`` proposals are uniform draws from the pool. The hyperparameters are refit each time
the data has grown by ``refit_growth`` (10%); in between, the GP is only conditioned on the new
points.

The model's state is the evaluated data alone, so ``restore`` (tell in order) resumes exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from qas.core.errors import QasError
from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited


class LatentGP:
    """An exact GP regressor on a few hundred points: Matérn 5/2, isotropic, with noise.

    Inputs are expected standardised; targets are standardised here. Hyperparameters (length
    scale, signal and noise variance) maximise the log marginal likelihood (Adam on their logs,
    warm-started from the previous fit).
    """

    def __init__(self, dim: int) -> None:
        import torch

        self.log_params = torch.tensor([0.5 * math.log(dim), 0.0, math.log(1e-2)], dtype=torch.float64)

    @staticmethod
    def _kernel(a: Any, b: Any, log_ls: Any, log_sf: Any) -> Any:
        import torch

        d = torch.cdist(a, b) / log_ls.exp()
        s5 = math.sqrt(5.0) * d
        return log_sf.exp() * (1 + s5 + s5**2 / 3) * torch.exp(-s5)

    def fit(self, x: np.ndarray, y: np.ndarray, steps: int = 60) -> None:
        import torch

        self.x = torch.as_tensor(x, dtype=torch.float64)
        y = np.asarray(y, dtype=np.float64)
        self.mu, self.sd = float(y.mean()), float(y.std()) or 1.0
        self.y = torch.as_tensor((y - self.mu) / self.sd)
        params = self.log_params.clone().requires_grad_(True)
        opt = torch.optim.Adam([params], lr=0.05)
        n = len(self.y)
        for _ in range(steps if n >= 3 else 0):
            opt.zero_grad()
            L = self._chol(params)
            alpha = torch.cholesky_solve(self.y[:, None], L)
            nll = 0.5 * (self.y[:, None] * alpha).sum() + torch.log(torch.diagonal(L)).sum()
            nll.backward()
            opt.step()
            with torch.no_grad():  # keep the fit sane: noise >= 1e-6, length scale within reason
                params[0].clamp_(math.log(0.05), math.log(100.0))
                params[1].clamp_(math.log(0.05), math.log(20.0))
                params[2].clamp_(math.log(1e-6), math.log(1.0))
        self.log_params = params.detach()
        self.L = self._chol(self.log_params)
        self.alpha = torch.cholesky_solve(self.y[:, None], self.L)

    def _chol(self, params: Any) -> Any:
        import torch

        k = self._kernel(self.x, self.x, params[0], params[1])
        k = k + (params[2].exp() + 1e-8) * torch.eye(len(self.x), dtype=torch.float64)
        return torch.linalg.cholesky(k)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std, in the targets' units."""
        import torch

        with torch.no_grad():
            xs = torch.as_tensor(x, dtype=torch.float64)
            ks = self._kernel(xs, self.x, self.log_params[0], self.log_params[1])
            mean = (ks @ self.alpha)[:, 0]
            v = torch.linalg.solve_triangular(self.L, ks.T, upper=False)
            var = (self.log_params[1].exp() - (v**2).sum(0)).clamp_min(1e-12)
        return mean.numpy() * self.sd + self.mu, np.sqrt(var.numpy()) * self.sd


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI of maximisation: E[max(f - best - xi, 0)] under N(mean, std^2)."""
    import torch

    m, s = torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(std, dtype=torch.float64)
    gain = m - best - xi
    z = gain / s
    cdf = 0.5 * torch.special.erfc(-z / math.sqrt(2.0))
    pdf = torch.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)
    return (gain * cdf + s * pdf).numpy()


@AGENTS.register("bo-pool", aliases=("pool-bo",))
class PoolBO(Agent):
    needs_embeddings = True

    def __init__(self, context: SearchContext, *, n_startup: int = 8, refit_growth: float = 1.1,
                 max_candidates: int = 50_000, xi: float = 0.0, **options: Any) -> None:
        super().__init__(context, **options)
        if context.index is None:
            raise QasError("the bo-pool agent searches a latent space: it needs embeddings (--embeddings)")
        if n_startup < 1:
            raise QasError(f"n_startup must be >= 1, got {n_startup}")
        if refit_growth < 1.0:
            raise QasError(f"refit_growth must be >= 1, got {refit_growth}")
        self.index = context.index
        self.n_startup, self.refit_growth = n_startup, refit_growth
        self.max_candidates, self.xi = max_candidates, xi
        lat = self.index.latents.astype(np.float64)
        self._z = (lat - lat.mean(0)) / (lat.std(0) + 1e-9)  # the GP's inputs, standardised once
        self._x: list[np.ndarray] = []
        self._y: list[float] = []
        self.gp = LatentGP(self.index.dim)
        self._next_refit = 0

    def propose(self, trial: Any, visited: Visited) -> Proposal:
        self.steps += 1
        free = np.flatnonzero(~self.index.visited)
        if len(free) == 0:
            raise QasError("every circuit of the pool has been evaluated: the budget exceeds the pool")
        rng = self.context.np_rng("bo-pool", self.steps)
        if len(self._y) < self.n_startup:
            i = int(rng.choice(free))
            return Proposal(self.index.circuit(i), {"pool_index": i, "acquisition": "random"})
        n = len(self._y)
        if n >= self._next_refit:  # hyperparameters on a geometric schedule (a fit is O(n^3) x steps)
            self.gp.fit(np.stack(self._x), np.array(self._y), steps=60 if self._next_refit == 0 else 30)
            self._next_refit = max(n + 1, math.ceil(n * self.refit_growth))
        else:  # keep the hyperparameters, condition on the new data
            self.gp.fit(np.stack(self._x), np.array(self._y), steps=0)
        cand = free if len(free) <= self.max_candidates else rng.choice(free, self.max_candidates, replace=False)
        mean, std = self.gp.predict(self._z[cand])
        ei = expected_improvement(mean, std, max(self._y), self.xi * self.gp.sd)
        i = int(cand[int(np.argmax(ei))])
        return Proposal(self.index.circuit(i), {"pool_index": i, "acquisition": "ei", "ei": float(ei.max())})

    def tell(self, observation: Observation) -> None:
        i = self.index.position(observation.dag)
        if i is None or observation.revisit:
            return
        self._x.append(self._z[i])
        self._y.append(float(observation.score))
