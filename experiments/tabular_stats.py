"""Score distribution per task of a labelled table, and the fraction above each threshold.

    python experiments/tabular_stats.py experiments/results/tabular_paper4q.npz [more.npz ...]

Writes ``results/tabular_stats.csv`` (one row per table and task) and
``results/tabular_hist_<space>.png``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from common import RESULTS, write_rows

from qas.search import THRESHOLDS


def main(paths: list[str]) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = []
    for path in paths or [str(p) for p in (RESULTS / "tabular_paper4q.npz", RESULTS / "tabular_paper8q.npz") if p.exists()]:
        z = np.load(path)
        meta = json.loads(str(z["meta"]))
        nq = meta["num_qubits"]
        cols = [k.split("/", 1)[1] for k in z.files if k.startswith("score/")]
        fig, axes = plt.subplots(1, len(cols), figsize=(4 * len(cols), 3))
        for ax, c in zip(np.atleast_1d(axes), cols):
            s = z[f"score/{c}"].astype(np.float64)
            thr = THRESHOLDS[nq][c]
            sec = z[f"seconds/{c}"]
            row = {"table": Path(path).name, "space": meta["space"], "task": c, "n": len(s), "threshold": thr,
                   "frac_above_threshold": float((s >= thr).mean()), "count_above_threshold": int((s >= thr).sum()),
                   "mean": float(s.mean()), "std": float(s.std()),
                   **{f"p{q}": float(np.percentile(s, q)) for q in (5, 25, 50, 75, 95, 99)},
                   "max": float(s.max()), "mean_label_seconds": float(sec.mean())}
            if c == "vqe-h2":
                ca = z["metric/vqe-h2/chemical_accuracy"]
                row["frac_chemical_accuracy"] = float(ca.mean())
                row["count_chemical_accuracy"] = int(ca.sum())
                row["min_error_mha"] = float(np.abs(z["metric/vqe-h2/error_mha"]).min())
            rows.append(row)
            ax.hist(s, bins=60, color="C0")
            ax.axvline(thr, color="r", ls="--", label=f"threshold {thr}: {(s >= thr).mean():.2%}")
            ax.set_yscale("log")
            ax.set_title(f"{meta['space']} {c} (n={len(s)})", fontsize=9)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(RESULTS / f"tabular_hist_{meta['space']}.png", dpi=90)
        plt.close(fig)
    write_rows(RESULTS / "tabular_stats.csv", rows, float_format=".4g")  # a column a row lacks is left empty
    for r in rows:
        extra = (f", chem. acc. {r['frac_chemical_accuracy']:.4%} (min |err| {r['min_error_mha']:.2f} mHa)"
                 if "frac_chemical_accuracy" in r else "")
        print(f"{r['space']:9s} {r['task']:11s} n={r['n']:6d} median {r['p50']:.3f} p95 {r['p95']:.3f} max {r['max']:.4f} "
              f">= {r['threshold']}: {r['frac_above_threshold']:.4%} ({r['count_above_threshold']}){extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
