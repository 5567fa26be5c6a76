"""Classical baselines on the same features a QNN sees, to give QNN scores context.

A QNN reaching 85% on 16 pooled pixels means little on its own; next to what a linear
model gets on exactly those 16 numbers it says whether the circuit learned anything a
logistic regression could not. The CLI prints :func:`logistic_regression_accuracy` next to
QNN scores, and ``experiments/logreg_baseline.py`` records it for the standard tasks.

The model is scikit-learn's multinomial ``LogisticRegression`` with an L2 penalty on the
weights (not the bias), on features standardised with the training split's statistics. The
problem is convex and the solver deterministic, so the result does not depend on any seed.
The penalty is chosen on the validation split by log-loss (on a few hundred validation images
accuracy moves in coarse steps and ties).

The fit runs on one BLAS thread: the problem is small (at most 370 parameters), so threads
gain little on an idle machine, but on a busy one (a search runs several evaluations side by
side) threaded BLAS slowed the same fit down 5-20x.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from qas.tasks.datasets import ClassificationData

__all__ = ["L2_GRID", "logistic_regression_accuracy"]

# Penalty strengths tried, on the mean per-example loss: l2/2 * ||W||^2 over the k classes'
# weight vectors.
L2_GRID: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
_SOLVER = "newton-cholesky"
_TOL = 1e-6


def logistic_regression_accuracy(
    data: ClassificationData, seed: int = 0, l2_grid: Sequence[float] = L2_GRID
) -> dict:
    """Fit on ``data``'s train split for each L2 strength, keep the one with the lowest
    validation log-loss, and report its accuracies.

    The fit is deterministic (convex); ``seed`` is only recorded, so a result row has the
    same shape as a QNN's. With an empty validation split the choice is made on the training
    split (which amounts to the weakest penalty). Returns a dict with ``val_acc``,
    ``test_acc``, ``train_acc``, ``l2``, ``val_log_loss``, sizes, ``seconds``.
    """
    if not l2_grid:
        raise ValueError("l2_grid is empty")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _logistic_regression(data, seed, l2_grid)


def _logistic_regression(data: ClassificationData, seed: int, l2_grid: Sequence[float]) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    start = time.perf_counter()
    x_train, x_val, x_test = (np.asarray(x, np.float64) for x in (data.x_train, data.x_val, data.x_test))
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x_train, x_val, x_test = ((x - mean) / std for x in (x_train, x_val, x_test))
    y_train, y_val, y_test = data.y_train, data.y_val, data.y_test
    x_sel, y_sel = (x_val, y_val) if len(y_val) else (x_train, y_train)
    # scikit-learn minimises C * sum(loss) + ||W||^2 / 2, so C = 1 / (n * l2). With two classes
    # it fits one weight vector, the difference of the two softmax ones, whose penalty is half
    # theirs: C doubles.
    c_per_l2 = (2.0 if data.n_classes == 2 else 1.0) / len(y_train)
    model = LogisticRegression(solver=_SOLVER, tol=_TOL, max_iter=1000, warm_start=True)
    fits = []
    for l2 in sorted(l2_grid, reverse=True):  # strong to weak penalty, each warm-starting the next
        model.set_params(C=c_per_l2 / l2).fit(x_train, y_train)
        fits.append({
            "l2": l2,
            "sel_loss": log_loss(y_sel, model.predict_proba(x_sel), labels=model.classes_),
            "train_acc": _accuracy(model, x_train, y_train),
            "val_acc": _accuracy(model, x_val, y_val),
            "test_acc": _accuracy(model, x_test, y_test),
        })
    best = min(fits, key=lambda fit: fit["sel_loss"])
    return {
        "model": "logistic_regression",
        "dataset": data.dataset,
        "classes": list(data.classes),
        "n_features": data.n_features,
        "n_train": len(y_train),
        "n_val": len(y_val),
        "n_test": len(y_test),
        "l2": best["l2"],
        "val_log_loss": best["sel_loss"] if len(y_val) else float("nan"),
        "train_acc": best["train_acc"],
        "val_acc": best["val_acc"],
        "test_acc": best["test_acc"],
        "seed": seed,
        "seconds": time.perf_counter() - start,
    }


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(model.score(x, y)) if len(y) else float("nan")
