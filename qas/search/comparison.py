"""Comparing search methods on the tabular benchmark: queries to the first success, against random.

A run of a method on a :class:`~qas.search.tabular.LookupTask` is the list of table rows it
queried, in order (:attr:`~qas.search.tabular.TableObjective.rows`). As in Sun et al. 2024, a
method is judged by the queries its runs need to reach a circuit above the task's threshold: a run
that never does counts its budget + 1 (censored). :func:`compare_runs` gives each method's median,
and a one-sided Mann-Whitney U test of "fewer queries than random search", with random's runs
censored at the method's own budget so a capped method is compared at equal cost:

    summary = compare_runs({"random": random_rows, "bo": bo_rows}, task)   # rows: one list per seed

The predictor baselines (GSQAS-style, :func:`predictor_queries`) query the table in the order an
MLP regressor on the circuits' latents predicts: ``mlp-1000`` is trained on 1,000 random labelled
circuits given for free (not counted as queries), ``mlp-online`` inside the budget (100 random
queries, then the top predicted unvisited circuits, refitting every 50).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

#: the predictor baselines of :func:`predictor_queries`
PREDICTORS = ("mlp-1000", "mlp-online")


def queries_to_success(rows: Sequence[int], success: np.ndarray, budget: int) -> int:
    """1-based query count of the first success; ``budget + 1`` when none (censored)."""
    hits = np.flatnonzero(success[np.asarray(rows, dtype=int)]) if rows else []
    return int(hits[0]) + 1 if len(hits) else budget + 1


def random_median_exact(pool: int, hits: int) -> int:
    """Random search's exact median queries to the first success: draws without replacement from
    a pool of ``pool`` circuits of which ``hits`` succeed. ``P(T > t) = C(pool - hits, t) / C(pool, t)``;
    the median is the least ``t`` with ``P(T <= t) >= 1/2``."""
    if not 0 < hits <= pool:
        raise ValueError(f"need 0 < hits <= pool, got hits={hits}, pool={pool}")
    survive, t = 1.0, 0
    while survive > 0.5:
        survive *= (pool - hits - t) / (pool - t)
        t += 1
    return t


def bootstrap_ratio_ci(first: np.ndarray, reference: float, *, level: float = 0.95, draws: int = 10_000,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``median(first) / reference`` over the runs (censored runs
    keep their budget + 1, so an upper end may be a lower bound)."""
    rng = np.random.default_rng(seed)
    f = np.asarray(first, dtype=float)
    meds = np.median(f[rng.integers(0, len(f), size=(draws, len(f)))], axis=1) / reference
    lo, hi = np.quantile(meds, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def compare_runs(runs: dict[str, list[list[int]]], task: Any) -> list[dict[str, Any]]:
    """One row per method (in ``runs``' order) from its runs' queried rows: its budget (its longest
    run), median queries to success (``">Q"`` when most runs fail), success rate, hits per 100
    queries, the mean final best score; against random search's exact median on the task's table
    (:func:`random_median_exact`), the ratio with a bootstrap 95% interval; and against the sampled
    random runs (``runs["random"]``, if there, kept as a check): random's median at the same
    budget, the ratio of medians and the Mann-Whitney p."""
    from scipy import stats

    hits = int(np.sum(task.success))  # no success in the table: random search never finds one either
    exact = random_median_exact(len(task.success), hits) if hits else float("nan")

    first = {m: np.array([queries_to_success(r, task.success, max(len(r) for r in rs)) for r in rs])
             for m, rs in runs.items()}  # censored at a method's own budget (GP BO may be capped)
    out = []
    for m, rs in runs.items():
        f, Q = first[m], max(len(r) for r in rs)
        hits100 = np.mean([task.success[np.asarray(r[:100], dtype=int)].sum() for r in rs])
        hits_all = np.mean([task.success[np.asarray(r, dtype=int)].sum() / max(len(r), 1) * 100 for r in rs])
        best = np.array([task.objective[np.asarray(r, dtype=int)].max() for r in rs])
        # random's first hits censored at this method's budget: a capped method against random at the same budget
        q_random = None if "random" not in first else np.minimum(first["random"], Q + 1)
        p = float(stats.mannwhitneyu(f, q_random, alternative="less").pvalue) if q_random is not None and m != "random" \
            else float("nan")
        med = float(np.median(f))
        lo, hi = bootstrap_ratio_ci(f, exact) if hits else (float("nan"), float("nan"))
        out.append({
            "method": m, "seeds": len(rs), "queries": Q,
            "median_queries_to_threshold": med if med <= Q else f">{Q}",
            "median_numeric": med,
            "success_rate": float((f <= Q).mean()),
            "hits_per_100_first100": float(hits100), "hits_per_100_overall": float(hits_all),
            "final_best_mean": float(best.mean()),
            "random_median_exact": exact, "ratio_to_exact_random": med / exact,
            "ratio_ci95_low": lo, "ratio_ci95_high": hi,
            "random_median_same_budget": float(np.median(q_random)) if q_random is not None else float("nan"),
            "ratio_to_random_median": med / float(np.median(q_random)) if q_random is not None else float("nan"),
            "mannwhitney_p_less_than_random": p,
        })
    return out


def best_so_far(runs: list[list[int]], task: Any) -> tuple[int, np.ndarray]:
    """A method's budget, and the best score so far after each query of every run that used all of it."""
    Q = max(len(r) for r in runs)
    return Q, np.array([np.maximum.accumulate(task.objective[np.asarray(r, dtype=int)]) for r in runs if len(r) == Q])


def ci95(v: np.ndarray) -> np.ndarray:
    """Half width of the 95% t-interval of the mean over runs (axis 0); nan for one run."""
    from scipy import stats

    if len(v) < 2:
        return np.full(v.shape[1:], float("nan"))
    return stats.t.ppf(0.975, len(v) - 1) * (v.std(0, ddof=1) / math.sqrt(len(v)))


class MLPPredictor:
    """A small MLP regressor (torch, full-batch Adam, standardised inputs and targets)."""

    def __init__(self, seed: int, hidden: int = 64, epochs: int = 300) -> None:
        self.seed, self.hidden, self.epochs = seed, hidden, epochs

    def fit(self, x: np.ndarray, y: np.ndarray) -> "MLPPredictor":
        import torch

        torch.manual_seed(self.seed)
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        self.ym, self.ys = float(y.mean()), float(y.std() + 1e-9)
        X = torch.as_tensor((x - self.mu) / self.sd, dtype=torch.float32)
        Y = torch.as_tensor((y - self.ym) / self.ys, dtype=torch.float32)
        self.net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], self.hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(self.hidden, self.hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(self.hidden, 1))
        opt = torch.optim.Adam(self.net.parameters(), lr=3e-3, weight_decay=1e-4)
        for _ in range(self.epochs):
            opt.zero_grad()
            ((self.net(X).squeeze(1) - Y) ** 2).mean().backward()
            opt.step()
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            X = torch.as_tensor((x - self.mu) / self.sd, dtype=torch.float32)
            return self.net(X).squeeze(1).numpy() * self.ys + self.ym


def predictor_queries(method: str, task: Any, latents: np.ndarray, seed: int, budget: int) -> list[int]:
    """The rows a predictor baseline (:data:`PREDICTORS`) queries, in order; ``mlp-1000``'s free
    training set is not listed. One torch thread."""
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng([seed, 7])
    n = len(latents)
    y = task.objective
    if method == "mlp-1000":
        train = rng.choice(n, size=min(1000, n // 2), replace=False)
        model = MLPPredictor(seed).fit(latents[train], y[train])
        mask = np.ones(n, bool)
        mask[train] = False
        cand = np.flatnonzero(mask)
        return cand[np.argsort(-model.predict(latents[cand]), kind="stable")][:budget].tolist()
    if method != "mlp-online":
        raise ValueError(f"unknown predictor {method!r}; one of {PREDICTORS}")
    n_init, refit = 100, 50
    chosen = rng.permutation(n)[: min(n_init, budget)].tolist()
    visited = np.zeros(n, bool)
    visited[chosen] = True
    while len(chosen) < budget:
        idx = np.asarray(chosen)
        pred = MLPPredictor(seed + len(chosen), epochs=200).fit(latents[idx], y[idx]).predict(latents)
        pred[visited] = -np.inf
        take = np.argsort(-pred, kind="stable")[: min(refit, budget - len(chosen))]
        chosen.extend(int(i) for i in take)
        visited[take] = True
    return chosen
