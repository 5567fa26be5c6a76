"""Classical models on the circuit's own inputs: the bar a QNN on the user's data must clear.

scikit-learn fits them on the same features the circuit encodes (after the task's scaling
and PCA) and the same splits: a linear model (logistic regression, or ridge for a
regression) and a small MLP (one hidden layer of 32). Scores are those the task reports:
accuracy, or R^2.
"""

from __future__ import annotations

import warnings
from typing import Any

#: hidden units of the MLP baseline
MLP_HIDDEN = 32


def sklearn_baselines(task: Any, *, regression: bool, seed: int = 0) -> dict[str, dict[str, float]]:
    """``{label: {"val_score": .., "test_score": ..}}`` for the linear model and the MLP."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    splits = {s: task.split(s) for s in ("train", "val", "test")}
    x, y = splits["train"].features, splits["train"].targets
    if regression:
        models = {"ridge regression": Ridge(alpha=1.0),
                  f"MLP ({MLP_HIDDEN} hidden)": MLPRegressor(hidden_layer_sizes=(MLP_HIDDEN,), max_iter=2000, random_state=seed)}
        metric = r2_score
    else:
        models = {"logistic regression": LogisticRegression(max_iter=5000),
                  f"MLP ({MLP_HIDDEN} hidden)": MLPClassifier(hidden_layer_sizes=(MLP_HIDDEN,), max_iter=2000, random_state=seed)}
        metric = accuracy_score
    out: dict[str, dict[str, float]] = {}
    for label, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        out[label] = {f"{s}_score": float(metric(splits[s].targets, model.predict(splits[s].features)))
                      for s in ("val", "test")}
    return out
