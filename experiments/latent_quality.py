"""Is the learned latent space useful for search? Do latent neighbours have similar task scores?

Takes the first ``n`` circuits of an embedding store's pool (the pool of the shipped
``paper-4q`` checkpoint is ``sample_pool(paper-4q, 100000, seed=0)``, whose prefix is the
tabular benchmark's pool: same space, same seed), their scores on a task from the benchmark's
table (``--labels``, written by ``label_pool.py``; checked circuit by circuit against the
store's pool), and compares three embeddings of the same circuits:

* ``vgae``: the store's latent means (what the search agents move in);
* ``bag-of-gates``: counts of each (kind, qubits) gate, randomly projected to the same
  dimension (a structural baseline that needs no training);
* ``random``: i.i.d. Gaussian vectors (neighbours are random pairs).

For each it reports, over the labelled circuits: the correlation between a circuit's score
and the score of its nearest latent neighbour (Pearson and Spearman), the mean absolute
score difference to the nearest neighbour (and the same for random pairs), the score of the
5 nearest neighbours' mean, and the Spearman correlation of latent distance with score
difference on random pairs. Writes ``experiments/results/latent_quality.csv`` and a PNG with
a PCA map of the latent space coloured by score.

    python experiments/latent_quality.py --space paper-4q --task state-prep,maxcut,vqe-h2 -n 5000

(the committed ``latent_quality.csv``/``.png`` come from this command; about 30 s.)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import RESULTS, write_rows

from qas.search import load_table


def bag_of_gates(store, dags, dim: int, seed: int) -> np.ndarray:
    f = store.featurizer
    tok, lengths = f.tokens(dags)
    ids: dict[tuple[int, int, int], int] = {}
    rows = []
    for i in range(len(dags)):
        rows.append([ids.setdefault(tuple(t[:3]), len(ids)) for t in tok[i, : lengths[i]].tolist()])
    counts = np.zeros((len(dags), len(ids)))
    for i, r in enumerate(rows):
        np.add.at(counts[i], r, 1)
    return counts @ np.random.default_rng(seed).normal(size=(len(ids), dim))


def neighbour_stats(emb: np.ndarray, scores: np.ndarray, seed: int, k: int = 5) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr

    emb = emb.astype(np.float64)
    sq = (emb**2).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * emb @ emb.T
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1)[:, :k]
    nn = order[:, 0]
    rng = np.random.default_rng(seed)
    n = len(scores)
    i = rng.integers(0, n, 20000)
    j = rng.integers(0, n, 20000)
    keep = i != j
    i, j = i[keep], j[keep]
    lat = np.sqrt(np.maximum(d[i, j], 0))
    return {
        "nn_score_pearson": float(pearsonr(scores, scores[nn]).statistic),
        "nn_score_spearman": float(spearmanr(scores, scores[nn]).statistic),
        "knn_mean_score_pearson": float(pearsonr(scores, scores[order].mean(1)).statistic),
        "nn_mean_abs_diff": float(np.abs(scores - scores[nn]).mean()),
        "random_pair_mean_abs_diff": float(np.abs(scores[i] - scores[j]).mean()),
        "spearman_latent_dist_vs_score_diff": float(spearmanr(lat, np.abs(scores[i] - scores[j])).statistic),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--space", default="paper-4q")
    p.add_argument("--task", default="state-prep", help="task(s), comma-separated; the first colours the plot")
    p.add_argument("-n", type=int, default=2000, help="labelled circuits (the first n of the pool)")
    p.add_argument("--embeddings", type=Path, default=None, help="embedding file (default: the shipped one)")
    p.add_argument("--labels", type=Path, default=RESULTS / "tabular_paper4q.npz", help="the tabular benchmark's table")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=RESULTS / "latent_quality")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from encoders import load_embeddings

    t0 = time.perf_counter()
    store = load_embeddings(args.embeddings, args.space, progress=True)
    n = min(args.n, len(store))
    dags = store.pool[:n]
    table = load_table(args.labels, n)
    if table.hashes != [d.key[:32] for d in dags]:
        raise SystemExit(f"{args.labels} does not label the first {n} circuits of the {store.space.name} pool; "
                         f"label them with experiments/label_pool.py --space {store.space.name} -n {n}")
    tasks = [t.strip() for t in args.task.split(",") if t.strip()]
    all_scores = {task: table.scores[task].astype(np.float64) for task in tasks}

    latents = store.latents[:n]
    embeddings = {
        "vgae": latents,
        "bag-of-gates": bag_of_gates(store, dags, store.dim, args.seed),
        "random": np.random.default_rng(args.seed).normal(size=latents.shape),
    }
    structure = store.meta.get("report", {}).get("structure", {})
    rows = []
    for task in tasks:
        for name, emb in embeddings.items():
            row = {"space": store.space.name, "task": task, "n": n, "embedding": name, "dim": emb.shape[1]}
            row.update(neighbour_stats(emb, all_scores[task], args.seed))
            row["spearman_latent_vs_gate_jaccard"] = structure.get("spearman_gate_jaccard", "") if name == "vgae" else ""
            row["spearman_latent_vs_graph_jaccard"] = structure.get("spearman_graph_jaccard", "") if name == "vgae" else ""
            rows.append(row)
    write_rows(args.out.with_suffix(".csv"), rows, float_format=".4f")
    for r in rows:
        print(
            f"{r['task']:>10} {r['embedding']:>13}: score vs nearest-neighbour score r={r['nn_score_pearson']:.3f} "
            f"(Spearman {r['nn_score_spearman']:.3f}); |Δscore| NN {r['nn_mean_abs_diff']:.3f} vs random pair "
            f"{r['random_pair_mean_abs_diff']:.3f}; Spearman(latent dist, |Δscore|) {r['spearman_latent_dist_vs_score_diff']:.3f}"
        )
    scores = all_scores[tasks[0]]
    args.task = tasks[0]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    background = store.latents[np.random.default_rng(args.seed).choice(len(store), min(20000, len(store)), replace=False)]
    mean = background.mean(0)
    _, s, vt = np.linalg.svd(background - mean, full_matrices=False)
    explained = s**2 / (s**2).sum()
    bg2 = (background - mean) @ vt[:2].T
    xy = (latents - mean) @ vt[:2].T
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    ax = axes[0]
    ax.scatter(bg2[:, 0], bg2[:, 1], s=1, c="0.85", label=f"pool ({len(background)} shown)", rasterized=True)
    order = np.argsort(scores)
    sc = ax.scatter(xy[order, 0], xy[order, 1], s=6, c=scores[order], cmap="viridis", label=f"scored ({n})")
    fig.colorbar(sc, ax=ax, label=f"{args.task} score")
    ax.set_xlabel(f"PC1 ({100 * explained[0]:.1f}% var)")
    ax.set_ylabel(f"PC2 ({100 * explained[1]:.1f}% var)")
    ax.set_title(f"{store.space.name} latent means (PCA), coloured by {args.task}")
    ax.legend(loc="upper right", markerscale=4, fontsize=8)
    ax = axes[1]
    sq = (latents.astype(np.float64) ** 2).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * latents.astype(np.float64) @ latents.T.astype(np.float64)
    np.fill_diagonal(d, np.inf)
    nn = d.argmin(1)
    rng = np.random.default_rng(args.seed)
    rand = rng.integers(0, n, n)
    bins = np.linspace(0, max(1e-9, float(np.ptp(scores))), 30)
    ax.hist(np.abs(scores - scores[nn]), bins=bins, alpha=0.6, label="latent nearest neighbour")
    ax.hist(np.abs(scores - scores[rand]), bins=bins, alpha=0.6, label="random circuit")
    ax.set_xlabel(f"|Δ {args.task} score|")
    ax.set_ylabel("circuits")
    ax.set_title(f"score difference to the nearest latent neighbour (r={rows[0]['nn_score_pearson']:.2f})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out.with_suffix(".png"), dpi=120)
    print(f"wrote {args.out.with_suffix('.csv')} and {args.out.with_suffix('.png')} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
