"""How well does a search's score rank circuits? (issue 5/6: the winner's curse on fashion-2)

For every trial of a finished classification run, scores the parameters trained at search time
on qsim over the train, validation and test splits, and reports Spearman's correlation of
test accuracy with validation accuracy (what the search ranks by) and with train accuracy (a
19x larger sample for these <= 150-parameter models), plus the test accuracy of the top 3 by
each. Writes ``experiments/results/selection_noise.csv``.

    python experiments/selection_noise.py experiments/results/runs/fashion_peers/fashion-2   # ~3 min
"""

from __future__ import annotations

import argparse

import numpy as np
from common import RESULTS, write_rows
from scipy.stats import spearmanr

from qas import CircuitDAG, score
from qas.search import open_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", help="finished run directories of a classification task")
    ap.add_argument("--out", default=str(RESULTS / "selection_noise.csv"))
    args = ap.parse_args()
    rows = []
    for path in args.runs:
        run = open_run(path)
        task = run.task(final=True)  # every training image, the full validation split
        a = np.array([[score(CircuitDAG.from_json(t.user_attrs["circuit"]), task, np.asarray(t.user_attrs["params"]),
                             split)["accuracy"] for split in ("train", "val", "test")] for t in run.trials()])
        top = {name: a[np.argsort(-a[:, col], kind="stable")[:3], 2] for name, col in (("val", 1), ("train", 0))}
        rows.append({"run": str(run.path), "variant": run.config.variant or "fashion-2", "trials": len(a),
                     "val_n": len(task.split("val").targets), "train_n": len(task.split("train").targets),
                     "spearman_test_val": round(spearmanr(a[:, 2], a[:, 1])[0], 3),
                     "spearman_test_train": round(spearmanr(a[:, 2], a[:, 0])[0], 3),
                     "top3_by_val_test": " ".join(f"{x:.4f}" for x in top["val"]),
                     "top3_by_train_test": " ".join(f"{x:.4f}" for x in top["train"]),
                     "best_test_of_all": round(float(a[:, 2].max()), 4)})
        print(rows[-1], flush=True)
    write_rows(args.out, rows)


if __name__ == "__main__":
    main()
