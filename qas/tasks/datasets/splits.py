"""A classification task's three splits: class filter and relabelling, a seeded validation slice
of the training split, and the official test split."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qas.tasks.datasets.catalog import dataset_spec
from qas.tasks.datasets.features import load_features


@dataclass(frozen=True, eq=False)
class ClassificationData:
    """Features and labels of one classification task, split three ways (arrays read-only).

    Labels are 0..k-1 in the order of ``classes``: new label ``i`` is original class
    ``classes[i]``, so with classes (3, 6) a dress is 0 and a shirt is 1. ``side`` is the
    pooled image's side (features = side * side).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, ...]
    dataset: str = ""
    side: int = 4

    def __post_init__(self) -> None:
        for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
            getattr(self, name).setflags(write=False)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def _class_subset(
    x: np.ndarray, y: np.ndarray, classes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label is in ``classes``, relabelled to the position in ``classes``."""
    relabel = np.full(max(int(y.max(initial=0)), *classes) + 1, -1, dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    keep = np.isin(y, classes)
    return x[keep], relabel[y[keep]]


def _validate_classes(classes: Sequence[int], n_classes: int) -> tuple[int, ...]:
    out = tuple(int(c) for c in classes)
    if len(out) < 2:
        raise ValueError(f"need at least two classes, got {out}")
    if len(set(out)) != len(out):
        raise ValueError(f"classes repeat: {out}")
    if not all(0 <= c < n_classes for c in out):
        raise ValueError(f"classes must lie in 0..{n_classes - 1}, got {out}")
    return out


def _seeded_subset(n: int, size: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a seeded random subset of ``size`` out of ``n`` (all if None)."""
    if size is None or size >= n:
        return np.arange(n)
    if size < 0:
        raise ValueError(f"limit must be >= 0, got {size}")
    return np.sort(rng.choice(n, size=size, replace=False))


def load_classification(
    dataset: str,
    classes: Sequence[int],
    pool: int = 4,
    data_dir: str | os.PathLike | None = None,
    val_fraction: float = 0.05,
    seed: int = 0,
    train_limit: int | None = None,
    test_limit: int | None = None,
) -> ClassificationData:
    """A classification task on ``classes`` of ``dataset`` with ``pool x pool`` features.

    Validation is a seeded ``val_fraction`` of the class-filtered official training split
    (rounded; 5% of 12000 is 600) and training is the rest; test is the official 10k test
    split filtered to ``classes``. ``train_limit``/``test_limit`` take seeded random subsets
    (after the validation split) for fast search-time scoring. Rows keep the file order.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    classes = _validate_classes(classes, dataset_spec(dataset).n_classes)
    x_all, y_all, x_test, y_test = load_features(dataset, pool, data_dir)
    x, y = _class_subset(x_all, y_all, classes)
    x_test, y_test = _class_subset(x_test, y_test, classes)

    # One stream, drawn in this order (splits already recorded in runs depend on it): the
    # validation split never depends on the limits; the test subset does depend on whether
    # train_limit was applied.
    rng = np.random.default_rng(seed)
    n_val = int(round(val_fraction * len(x)))
    order = rng.permutation(len(x))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    train_idx = train_idx[_seeded_subset(len(train_idx), train_limit, rng)]
    test_idx = _seeded_subset(len(x_test), test_limit, rng)
    return ClassificationData(
        x_train=x[train_idx], y_train=y[train_idx],
        x_val=x[val_idx], y_val=y[val_idx],
        x_test=x_test[test_idx], y_test=y_test[test_idx],
        classes=classes, dataset=dataset, side=pool,
    )
