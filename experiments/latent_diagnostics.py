"""Does the latent space carry the scores? The check behind "encoder, decoder or agent?".

For each table and task:
  * predictability: Spearman rho of an MLP regressor trained on 1,000 random labelled circuits,
    on the held-out rest, from (a) the VGAE latents, (b) encoder-free structural features,
    (c) random Gaussian vectors (a floor);
  * locality of success: among the 10 latent nearest neighbours of each circuit above the
    threshold, the fraction also above it ("neighbour hit rate"), against the base rate.
    A latent agent that moves locally can only beat random search when this lift is >> 1.

With ``--hubness``, how the latent agents' decoder (nearest pool circuit to a latent point)
covers the pool instead: BO suggests points uniformly in the pool's latent bounding box;
REINFORCE takes Gaussian steps of 0.5 x the latent spread. 2,000 such points are decoded to
their nearest pool circuit (no visited mask), counting distinct circuits and the share of the
10 most frequent. Few distinct circuits = "hubs" absorb most suggestions, and the
unvisited-nearest rule then walks out from those hubs.

    python experiments/latent_diagnostics.py [--limit 5000]    # -> results/latent_diagnostics.csv
    python experiments/latent_diagnostics.py --hubness         # -> results/decoder_hubness.csv
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from common import DEFAULT_TABLES, RESULTS, StructuralFeatures, latents_for, torch_threads, write_rows  # noqa: E402

from qas.search import MLPPredictor, load_table, lookup_tasks  # noqa: E402


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


def hubness() -> list[dict]:
    """Decoded points per table slice (4q: 5,000 circuits, 8q: 2,000) and latents (frozen, shipped)."""
    rows = []
    for path, limit in ((RESULTS / "tabular_paper4q.npz", 5000), (RESULTS / "tabular_paper8q.npz", 2000)):
        if not path.exists():
            continue
        t = load_table(path, limit)
        for source in ("frozen", "shipped"):
            lat, src = latents_for(t.pool, t.space, source)
            if source == "shipped" and not src.startswith("shipped"):
                continue
            rng = np.random.default_rng(0)
            lo, hi = lat.min(0), lat.max(0)
            sq = (lat ** 2).sum(1)

            def nearest(z):
                return np.argmin(sq[None, :] - 2 * z @ lat.T, axis=1)

            box = nearest(rng.uniform(lo, hi, size=(2000, lat.shape[1])).astype(np.float32))
            sig = 0.5 * lat.std(0).mean()
            start = lat[rng.integers(len(lat), size=2000)]
            step = nearest((start + sig * rng.standard_normal(start.shape)).astype(np.float32))
            counts = np.bincount(box, minlength=len(lat))
            rows.append({"table": path.name, "n": len(lat), "latents": src, "dim": lat.shape[1],
                         "box_points_distinct": int((counts > 0).sum()),
                         "box_top10_share": float(np.sort(counts)[::-1][:10].sum() / 2000),
                         "gaussian_step_distinct": int(len(np.unique(step))),
                         "latent_std_mean": float(lat.std(0).mean()),
                         "box_width_over_std": float(((hi - lo) / lat.std(0)).mean())})
            print(rows[-1], flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--limit", type=int, default=5000)
    p.add_argument("--tables", default=None)
    p.add_argument("--embeddings", choices=("frozen", "shipped", "struct-pca"), default="frozen")
    p.add_argument("--hubness", action="store_true", help="the decoder's coverage of the pool instead")
    p.add_argument("--out", default=None, help="default results/latent_diagnostics.csv (results/decoder_hubness.csv)")
    args = p.parse_args()
    if args.hubness:
        write_rows(args.out or RESULTS / "decoder_hubness.csv", hubness(), float_format=".4g")
        return 0
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
    write_rows(args.out or RESULTS / "latent_diagnostics.csv", rows, float_format=".4g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
