"""Does Élivágar's Clifford noise resilience predict the noisy score of a device search?

For every circuit a noisy run (``qas search --device ...`` or ``--noise ...``) evaluated, compute
``qas.backends.clifford_noise_resilience`` under the run's own noise (Clifford-snapped random
angles, density matrices, no training) and compare it with what the run measured: the noisy
validation score (qsim trajectories after training) and the noise penalty (noiseless minus
noisy validation score; the noiseless one is on the whole validation split, the noisy one on its
first ``noise_inputs`` inputs, so the penalty carries that sampling noise too). Spearman rank
correlations, and the cost per circuit against the run's own noisy scoring.

    python experiments/cnr_predictor.py /path/to/device-run [--samples 4]

Results: ``experiments/results/cnr_predictor.csv`` (one row per circuit) and
``cnr_predictor.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import RESULTS, write_rows

from qas.backends import clifford_noise_resilience
from qas.search import open_run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path)
    p.add_argument("--samples", type=int, default=4)
    args = p.parse_args()
    from scipy.stats import spearmanr

    run = open_run(args.run)
    if run.noise is None:
        raise SystemExit(f"{args.run}: not a noisy run (no --device or --noise)")
    rows = []
    for t in run.found():
        m = t.user_attrs["metrics"]
        start = time.process_time()
        score = clifford_noise_resilience(run.circuit(f"trial:{t.number}"), run.noise, samples=args.samples)
        rows.append({"trial": t.number, "cnr": round(score, 6), "noisy_val": m["noisy_val_score"], "val": m["val_score"],
                     "penalty": m["val_score"] - m["noisy_val_score"], "cnr_cpu_seconds": round(time.process_time() - start, 3),
                     "scoring_seconds": t.user_attrs.get("score_seconds")})
        print(rows[-1], flush=True)
    write_rows(RESULTS / "cnr_predictor.csv", rows)
    cnr = np.array([r["cnr"] for r in rows])
    rho_score = spearmanr(cnr, [r["noisy_val"] for r in rows])
    rho_pen = spearmanr(cnr, [r["penalty"] for r in rows])
    rho_clean = spearmanr([r["val"] for r in rows], [r["noisy_val"] for r in rows])
    cost = np.median([r["cnr_cpu_seconds"] for r in rows])
    scoring = np.median([r["scoring_seconds"] for r in rows if r["scoring_seconds"]])
    text = (f"# Clifford noise resilience against a noisy run (`experiments/cnr_predictor.py`)\n\n"
            f"Run: `qas search --task {run.config.task} --device {run.config.device} --budget {run.config.budget} "
            f"--seed {run.config.seed}` ({run.noise}), its {len(rows)} circuits, {args.samples} Clifford samples each.\n\n"
            f"| rank correlation (Spearman) | rho | p |\n|---|---|---|\n"
            f"| CNR vs noisy validation score | {rho_score.statistic:.3f} | {rho_score.pvalue:.3g} |\n"
            f"| CNR vs noise penalty (noiseless - noisy) | {rho_pen.statistic:.3f} | {rho_pen.pvalue:.3g} |\n"
            f"| for scale: noiseless vs noisy validation score | {rho_clean.statistic:.3f} | {rho_clean.pvalue:.3g} |\n\n"
            f"Cost: CNR {cost:.2f} CPU-s per circuit (median) against {scoring:.1f} s of the run's own qsim scoring "
            f"(noisy and noiseless) per circuit.\n")
    (RESULTS / "cnr_predictor.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
