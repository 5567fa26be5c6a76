"""Does the latent space carry the scores? The check behind "encoder, decoder or agent?".

For each table and task:
  * predictability: Spearman rho of an MLP regressor trained on 1,000 random labelled circuits,
    on the held-out rest, from (a) the VGAE latents, (b) encoder-free structural features,
    (c) random Gaussian vectors (a floor);
  * locality of success: among the 10 latent nearest neighbours of each circuit above the
    threshold, the fraction also above it ("neighbour hit rate"), against the base rate.
    A latent agent that moves locally can only beat random search when this lift is >> 1.

    python experiments/latent_diagnostics.py [--limit 5000]

Writes results/latent_diagnostics.csv.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from common import DEFAULT_TABLES, RESULTS, MLPPredictor, StructuralFeatures, latents_for, torch_threads, write_rows  # noqa: E402

from qas.search import load_table, lookup_tasks  # noqa: E402


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import stats

    return float(stats.spearmanr(a, b).statistic)


def neighbour_lift(x: np.ndarray, success: np.ndarray, k: int = 10) -> tuple[float, float]:
    pos = np.flatnonzero(success)
    if len(pos) == 0:
        return float("nan"), float("nan")
    sq = (x ** 2).sum(1)
    rates = []
    for i in pos:
        d = sq - 2 * x @ x[i]
        d[i] = np.inf
        nn = np.argpartition(d, k)[:k]
        rates.append(success[nn].mean())
    rate = float(np.mean(rates))
    return rate, rate / max(float(success.mean()), 1e-12)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=5000)
    p.add_argument("--tables", default=None)
    p.add_argument("--embeddings", choices=("frozen", "shipped", "struct-pca"), default="frozen")
    p.add_argument("--out", default=str(RESULTS / "latent_diagnostics.csv"))
    args = p.parse_args()
    torch_threads()
    rows = []
    paths = [Path(t) for t in args.tables.split(",")] if args.tables else [t for t in DEFAULT_TABLES if t.exists()]
    for path in paths:
        table = load_table(path, args.limit)
        lat, source = latents_for(table.pool, table.space, args.embeddings)
        struct = StructuralFeatures(table.pool, table.space)(table.pool)
        noise = np.random.default_rng(0).standard_normal(lat.shape).astype(np.float32)
        rng = np.random.default_rng(1)
        train = rng.choice(len(table), size=1000, replace=False)
        test = np.setdiff1d(np.arange(len(table)), train)
        for task in lookup_tasks(table):
            if task.name.endswith("-chem"):
                continue
            y = task.objective
            row = {"table": path.name, "n": len(table), "task": task.name, "criterion": task.criterion,
                   "base_rate": float(task.success.mean()), "latent_source": source}
            for name, x in (("latent", lat), ("structural", struct), ("random", noise)):
                m = MLPPredictor(0).fit(x[train], y[train])
                row[f"spearman_{name}"] = spearman(m.predict(x[test]), y[test])
                # top-100 of the predicted ranking: hit rate vs base rate
                top = test[np.argsort(-m.predict(x[test]))[:100]]
                row[f"top100_hit_rate_{name}"] = float(task.success[top].mean())
            for name, x in (("latent", lat), ("structural", struct)):
                rate, lift = neighbour_lift(x, task.success)
                row[f"nn10_hit_rate_{name}"] = rate
                row[f"nn10_lift_{name}"] = lift
            rows.append(row)
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    write_rows(args.out, rows, float_format=".4g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
