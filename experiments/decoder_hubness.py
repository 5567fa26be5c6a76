"""How the latent agents' decoder (nearest pool circuit to a latent point) covers the pool.

BO suggests points uniformly in the pool's latent bounding box; REINFORCE takes Gaussian
steps of 0.5 x the latent spread. Decode 2,000 such points with the nearest pool circuit
(no visited mask) and count distinct circuits, and what fraction of the pool is ever the
nearest circuit to a uniform box point. Few distinct circuits = "hubs" absorb most
suggestions, and the unvisited-nearest rule then walks out from those hubs.

    python experiments/decoder_hubness.py   -> results/decoder_hubness.csv
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import numpy as np  # noqa: E402
from common import RESULTS, latents_for, write_rows  # noqa: E402

from qas.search import load_table  # noqa: E402

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
write_rows(RESULTS / "decoder_hubness.csv", rows, float_format=".4g")
