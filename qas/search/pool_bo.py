"""Bayesian optimisation over the pool's latents (arch2vec's BO, with a GP instead of DNGO).

Optuna's samplers (``bo``, ``bo-tpe``) suggest a point of the latent *box*, which is then
decoded to the nearest unvisited pool circuit. Two things are lost on the way: the model is fit
at the suggested points, not at the latents of the circuits actually scored, and most of the box
is empty, so suggestions crowd onto the few "hub" circuits nearest to its empty regions. Here
the candidates are the pool itself: scikit-learn's Gaussian process (Matérn 5/2, one length
scale over standardised latents, fit by marginal likelihood) is fit on the evaluated circuits'
own latents, and the unvisited pool circuit with the highest expected improvement is proposed.
The first ``n_startup`` proposals are uniform draws from the pool. The hyperparameters are refit
each time the data has grown by ``refit_growth`` (10%); in between, the GP is only conditioned
on the new points.

``mutants=M`` (BANANAS' local search, White et al. 2021) lets the search leave the pool: at each
step M mutants of the ``parents`` best circuits evaluated so far (one gate inserted, deleted,
replaced or re-wired: :func:`search_spaces.mutation.mutate`) are embedded by the encoder and
compete with the unvisited pool on expected improvement. A pool sampled for breadth can lack
whole regions that matter: tfim-8's pool of 50,000 circuits has at most 80 trainable angles,
the hand-designed ``u3cu3:2`` 96. Mutants are never pre-filtered: they are edits of circuits
that already scored well.

``seed_circuits`` (ansatz specs such as ``"u3cu3:2"``, or circuit files) are proposed first, as
evolution's are (a warm start, like Optuna's ``enqueue_trial``), then ``n_startup`` pool draws.
They are embedded, so the GP learns from them, and with ``mutants`` their edits compete from the
start. Their trials are marked ``{"op": "seed"}``: the report and the final round label them
"seed SPEC", never as circuits the search found.

The model's state is the evaluated data and the GP's hyperparameters, which are refitted on a
geometric schedule and kept in between. Each EI proposal records how many observations they were
last fitted on (``gp_fit_n``), so ``restore`` tells the history in order and refits them on that
many: a resumed run proposes what the uninterrupted one did.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np

from qas.core.errors import QasError
from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited, read_seed_circuits


class LatentGP:
    """scikit-learn's exact GP regressor on a few hundred points: Matérn 5/2, isotropic, with noise.

    Inputs are expected standardised; targets are standardised here. The kernel is
    ``signal * Matern(length, nu=5/2) + White(noise)``; its hyperparameters maximise the log
    marginal likelihood (L-BFGS-B), within bounds that keep the fit sane: length scale 0.05-100,
    signal variance 0.05-20, noise variance >= 1e-6. Each refit starts from the initial values
    (length scale sqrt(dim), signal 1, noise 1e-2), not from the previous fit: on a dozen points
    the likelihood can favour a very short length scale, where it is flat, and a warm-started
    L-BFGS-B then stays there for the rest of the run, with EI near-uniform (measured in
    ``experiments/results/poolbo_gp_compare.csv``, arm ``sklearn-warm``). ``predict`` gives the
    posterior of the noise-free function (the white noise is taken off the predictive
    variance), which is what expected improvement wants.
    """

    def __init__(self, dim: int) -> None:
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        self.initial_kernel = (ConstantKernel(1.0, (0.05, 20.0)) * Matern(math.sqrt(dim), (0.05, 100.0), nu=2.5)
                               + WhiteKernel(1e-2, (1e-6, 1.0)))
        self.kernel = self.initial_kernel

    def fit(self, x: np.ndarray, y: np.ndarray, optimise: bool = True) -> None:
        """Condition on (x, y); with ``optimise`` refit the hyperparameters first, else keep them."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor

        y = np.asarray(y, dtype=np.float64)
        self.mu, self.sd = float(y.mean()), float(y.std()) or 1.0
        optimise = optimise and len(y) >= 3
        kernel = self.initial_kernel if optimise else self.kernel
        self.model = GaussianProcessRegressor(kernel, alpha=1e-8, optimizer="fmin_l_bfgs_b" if optimise else None)
        with warnings.catch_warnings():  # a hyperparameter at its bound is expected, not news
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(np.asarray(x, dtype=np.float64), (y - self.mu) / self.sd)
        self.kernel = self.model.kernel_

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of the noise-free function, in the targets' units."""
        mean, std = self.model.predict(np.asarray(x, dtype=np.float64), return_std=True)
        var = np.maximum(std**2 - self.kernel.k2.noise_level, 1e-12)
        return mean * self.sd + self.mu, np.sqrt(var) * self.sd


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI of maximisation: E[max(f - best - xi, 0)] under N(mean, std^2)."""
    from scipy.stats import norm

    z = (mean - best - xi) / std
    return (mean - best - xi) * norm.cdf(z) + std * norm.pdf(z)


@AGENTS.register("bo-pool", aliases=("pool-bo",))
class PoolBO(Agent):
    needs_embeddings = True

    def __init__(self, context: SearchContext, *, n_startup: int = 8, refit_growth: float = 1.1,
                 max_candidates: int = 50_000, xi: float = 0.0, mutants: int = 0, parents: int = 5,
                 seed_circuits: Sequence[str] = (), **options: Any) -> None:
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
        if mutants < 0 or parents < 1:
            raise QasError(f"bo-pool needs mutants >= 0 and parents >= 1, got mutants={mutants}, parents={parents}")
        if (mutants or seed_circuits) and self.index.encode is None:
            raise QasError("bo-pool mutants or seed_circuits need an encoder for circuits outside the pool; "
                           "these embeddings have none (a labelled table?): leave them out")
        self.seed_specs = [str(spec) for spec in seed_circuits]
        self.seed_circuits = read_seed_circuits(self.seed_specs, self.space)
        self.mutants, self.parents = mutants, parents
        lat = self.index.latents.astype(np.float64)
        self._mu, self._sd = lat.mean(0), lat.std(0) + 1e-9
        self._z = (lat - self._mu) / self._sd  # the GP's inputs, standardised once
        self._x: list[np.ndarray] = []
        self._y: list[float] = []
        self._dags: list[Any] = []  # evaluated circuits, beside _x and _y (mutation parents)
        self.gp = LatentGP(self.index.dim)
        self._next_refit = 0
        self._fit_n = 0  # observations the GP's hyperparameters were last optimised on

    def propose(self, trial: Any, visited: Visited) -> Proposal:
        self.steps += 1
        free = np.flatnonzero(~self.index.visited)
        if len(free) == 0:
            raise QasError("every circuit of the pool has been evaluated: the budget exceeds the pool")
        rng = self.context.np_rng("bo-pool", self.steps)
        if self.steps <= len(self.seed_circuits):
            i = self.steps - 1
            return Proposal(self.seed_circuits[i], {"op": "seed", "spec": self.seed_specs[i]})
        if len(self._y) < self.n_startup + len(self.seed_circuits):
            i = int(rng.choice(free))
            return Proposal(self.index.circuit(i), {"pool_index": i, "acquisition": "random"})
        n = len(self._y)
        if n >= self._next_refit:  # hyperparameters on a geometric schedule (a fit is O(n^3) x steps)
            self._refit(n)
        else:  # keep the hyperparameters, condition on the new data
            self.gp.fit(np.stack(self._x), np.array(self._y), optimise=False)
        cand = free if len(free) <= self.max_candidates else rng.choice(free, self.max_candidates, replace=False)
        mean, std = self.gp.predict(self._z[cand])
        ei = expected_improvement(mean, std, max(self._y), self.xi * self.gp.sd)
        i = int(cand[int(np.argmax(ei))])
        best = Proposal(self.index.circuit(i), {"pool_index": i, "acquisition": "ei", "ei": float(ei.max()),
                                                "gp_fit_n": self._fit_n})
        children, parents = self._mutants(visited)
        if children:
            mean, std = self.gp.predict(self._standardise(self.index.embed(children)))
            child_ei = expected_improvement(mean, std, max(self._y), self.xi * self.gp.sd)
            j = int(np.argmax(child_ei))
            if child_ei[j] > ei.max():
                best = Proposal(children[j], {"acquisition": "ei-mutant", "ei": float(child_ei[j]), "parent": parents[j],
                                              "gp_fit_n": self._fit_n})
        return best

    def _refit(self, n: int) -> None:
        """Optimise the GP's hyperparameters on the first ``n`` observations; schedule the next refit."""
        self.gp.fit(np.stack(self._x[:n]), np.array(self._y[:n]))
        self._fit_n, self._next_refit = n, max(n + 1, math.ceil(n * self.refit_growth))

    def restore(self, history: Sequence[Observation]) -> None:
        """Tell ``history`` in order, then refit the hyperparameters where the run last did
        (``gp_fit_n`` of its last EI proposal; runs from before it was recorded refit at the next step)."""
        super().restore(history)
        fitted = [int(o.info["gp_fit_n"]) for o in history if not o.revisit and "gp_fit_n" in o.info]
        if fitted and 3 <= fitted[-1] <= len(self._y):
            self._refit(fitted[-1])

    def _standardise(self, latents: np.ndarray) -> np.ndarray:
        return (np.asarray(latents, dtype=np.float64) - self._mu) / self._sd

    def _mutants(self, visited: Visited) -> tuple[list[Any], list[str]]:
        """Up to ``mutants`` distinct unvisited circuits outside the pool, each one edit from one of
        the ``parents`` best circuits evaluated so far, and their parents' keys."""
        if not self.mutants:
            return [], []
        from search_spaces.mutation import mutate

        rng = self.context.rng("bo-pool-mutants", self.steps)
        top = [self._dags[k] for k in np.argsort(self._y, kind="stable")[::-1][: self.parents]]
        children: dict[str, Any] = {}
        parents: dict[str, str] = {}
        for t in range(self.mutants):
            parent = top[t % len(top)]
            if self.space.lifts_cells:
                child = self.space.lift(mutate(self.space.lower(parent), self.space.cell_space, rng))
            else:
                child = mutate(parent, self.space, rng)
            if child in visited or child.key in children or self.index.position(child) is not None:
                continue  # visited, drawn twice, or already a pool candidate
            children[child.key], parents[child.key] = child, parent.key
        return list(children.values()), list(parents.values())

    def tell(self, observation: Observation) -> None:
        if observation.revisit:
            return
        i = self.index.position(observation.dag)
        if i is not None:
            z = self._z[i]
        elif self.index.encode is not None:  # a seed, a mutant, or another worker's find
            z = self._standardise(self.index.embed([observation.dag]))[0]
        else:
            return
        self._x.append(z)
        self._y.append(float(observation.score))
        self._dags.append(observation.dag)
