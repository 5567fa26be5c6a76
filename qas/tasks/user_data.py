"""A user's tabular data: read from CSV or NumPy files (or arrays), checked, and prepared for a circuit.

Reading (:func:`read_data`, :func:`from_arrays`) gives a :class:`DataTable`: numeric features,
the raw target column, and their names. Every problem with the input is a one-line
:class:`DataError` that names the file, the row or column, and the fix; nothing is written
anywhere before the data have been read and checked.

Preparing (:class:`Preprocessing`) is fitted on the training split only and stored as plain
numbers, so a run can apply it to new inputs (``export``, ``verify``, ``predict``):
standardisation (or a min-max map to [0, pi]) and, when there are more features than the
circuit encodes, a whitened PCA.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qas.core.errors import QasError

#: integer targets with at most this many distinct values are classes; more are a regression
MAX_CLASSES = 20


class DataError(QasError, ValueError):
    """The user's data cannot be used as given; the message says where and how to fix it."""


@dataclass(frozen=True)
class DataTable:
    """Rows of numeric features ``x`` (float64) and their raw targets ``y`` (numbers or labels)."""

    x: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    target: str
    source: str

    def __len__(self) -> int:
        return len(self.x)

    @property
    def digest(self) -> str:
        """A content hash of features, targets and names: part of the task's identity."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.x, dtype=np.float64).tobytes())
        h.update("\x1f".join(map(str, self.y.tolist())).encode())
        h.update("\x1f".join((*self.features, self.target)).encode())
        return h.hexdigest()[:16]


def read_data(path: str | Path, *, target: str | None = None, features: Sequence[str] | None = None,
              split: str = "train") -> DataTable:
    """One split of a data file: a CSV with a header row (``target`` names the label column), or
    an ``.npz`` with ``x_train``/``y_train`` (and ``x_test``/``y_test``) or ``X``/``y``."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file; give the path of a CSV (with a header row) or an .npz")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the path of a CSV (with a header row) or an .npz file")
    if path.suffix.lower() == ".npz":
        return _read_npz(path, split, features)
    return _read_csv(path, target, features)


def has_test_split(path: str | Path) -> bool:
    """Whether an ``.npz`` data file carries its own test split (``x_test``/``y_test``)."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        return False
    with np.load(path, allow_pickle=False) as z:
        return "x_test" in z.files and "y_test" in z.files


def _read_csv(path: Path, target: str | None, features: Sequence[str] | None) -> DataTable:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read it as a CSV text file ({exc}); save it as UTF-8 CSV with a header row") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a valid CSV ({exc}); save it as CSV with a header row") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{path} is empty; it needs a header row and at least one row of data")
    header = [h.strip() for h in rows[0]]
    if len(rows) == 1:
        raise DataError(f"{path} has a header row but no data rows")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{path}: column name(s) {dupes} appear more than once in the header; give every column its own name")
    if target is None:
        raise DataError(f"{path}: say which column is the target with --target (columns: {', '.join(header)})")
    if target not in header:
        raise DataError(f"{path}: no column {target!r} for the target; the columns are: {', '.join(header)}")
    names = [h for h in header if h != target] if features is None else list(features)
    missing = [f for f in names if f not in header]
    if missing:
        raise DataError(f"{path}: no feature column(s) {missing}; the columns are: {', '.join(header)}")
    if target in names:
        raise DataError(f"{path}: the target {target!r} cannot also be a feature; leave it out of --features")
    if not names:
        raise DataError(f"{path}: no feature columns besides the target {target!r}")
    cols = [header.index(f) for f in names]
    t = header.index(target)
    x = np.empty((len(rows) - 1, len(cols)))
    y: list[str] = []
    for r, row in enumerate(rows[1:], start=2):  # row numbers as a spreadsheet shows them
        if len(row) != len(header):
            raise DataError(f"{path} row {r}: {len(row)} values but the header has {len(header)} columns; fix the row")
        for j, c in enumerate(cols):
            x[r - 2, j] = _number(row[c], path, r, header[c])
        label = row[t].strip()
        if not label:
            raise DataError(f"{path} row {r} column {target!r}: missing target value; fill it in or drop the row")
        y.append(label)
    return DataTable(x, _targets(np.asarray(y, dtype=object)), tuple(names), target, str(path))


def _number(cell: str, path: Path, row: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise DataError(f"{path} row {row} column {column!r}: missing value; fill it in or drop the row")
    try:
        v = float(text)
    except ValueError:
        raise DataError(f"{path} row {row} column {column!r}: {text!r} is not a number; encode the column as "
                        "numbers or leave it out with --features") from None
    if not math.isfinite(v):
        raise DataError(f"{path} row {row} column {column!r}: {text} is not a finite number; replace it or drop the row")
    return v


def _targets(raw: np.ndarray) -> np.ndarray:
    """Labels as numbers where every one is a number (floats), else as strings."""
    try:
        return np.array([float(v) for v in raw], dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([str(v) for v in raw], dtype=object)


def _read_npz(path: Path, split: str, features: Sequence[str] | None) -> DataTable:
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - numpy raises many types for bad files
        raise DataError(f"{path}: not a NumPy .npz file ({exc})") from None
    with z:
        files = set(z.files)
        if features is None and "feature_names" in files:  # written by DataTask.save
            features = [str(f) for f in z["feature_names"]]
        target = str(z["target"]) if "target" in files else "y"
        if {"x_train", "y_train"} <= files:
            keys = ("x_train", "y_train") if split == "train" else ("x_test", "y_test")
        elif {"X", "y"} <= files:
            keys = ("X", "y")
            if split != "train":
                raise DataError(f"{path} holds one split (X, y); give a test file with --test or let qas hold out a test split")
        else:
            raise DataError(f"{path}: an .npz needs arrays x_train and y_train (optionally x_test, y_test) or X and y; "
                            f"it has {sorted(files) or 'none'}")
        if not {*keys} <= files:
            raise DataError(f"{path}: no {keys[0]}/{keys[1]} arrays")
        try:
            x, y = z[keys[0]], z[keys[1]]
        except ValueError as exc:  # object arrays need pickle, which we never load
            raise DataError(f"{path}: {exc}; save numeric or string arrays") from None
    return _checked(x, y, features, f"{path}[{keys[0]}]", target)


def from_arrays(x: Any, y: Any, *, features: Sequence[str] | None = None, target: str = "target",
                source: str = "arrays") -> DataTable:
    """A table from numpy arrays or pandas objects (a DataFrame's column names become feature names)."""
    names = features
    if names is None and hasattr(x, "columns"):
        names = [str(c) for c in x.columns]
    if hasattr(y, "name") and isinstance(getattr(y, "name"), str) and target == "target":
        target = y.name
    x = x.to_numpy() if hasattr(x, "to_numpy") else np.asarray(x)
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    return _checked(x, y, names, source, target)


def _checked(x: np.ndarray, y: np.ndarray, names: Sequence[str] | None, source: str, target: str) -> DataTable:
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise DataError(f"{source}: features must be a 2-D array (rows x features), got shape {x.shape}")
    if len(x) == 0:
        raise DataError(f"{source} is empty: it has no rows")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{source}: {len(x)} rows of features but targets of shape {y.shape}; give one target per row")
    try:
        xf = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{source}: the features are not all numbers; encode them as numbers") from None
    names = tuple(str(n) for n in names) if names is not None else tuple(f"x{i}" for i in range(xf.shape[1]))
    if len(names) != xf.shape[1]:
        raise DataError(f"{source}: {xf.shape[1]} feature columns but {len(names)} feature names")
    bad = np.argwhere(~np.isfinite(xf))
    if len(bad):
        r, c = bad[0]
        col = names[c]
        raise DataError(f"{source} row {r} {col!r}: {xf[r, c]} is not a finite number (NaN or inf); replace it or drop the row")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        raise DataError(f"{source} row {r}: target {y[r]} is not a finite number; replace it or drop the row")
    ys = _targets(y.astype(object)) if y.dtype.kind in "OUSb" else y.astype(np.float64)
    return DataTable(xf, ys, names, target, source)


def target_kind(y: np.ndarray) -> str:
    """``"classification"`` for labels or a few distinct integers, ``"regression"`` otherwise."""
    if y.dtype == object:
        return "classification"
    values = np.unique(y)
    integral = np.all(np.equal(np.mod(values, 1), 0))
    return "classification" if integral and len(values) <= MAX_CLASSES else "regression"


@dataclass(frozen=True)
class Preprocessing:
    """Raw features -> circuit features, fitted on the training split; plain numbers, so it
    is stored with a run and applied to new inputs exactly as in training.

    Three affine steps: ``z = (x - shift) / scale``; when ``components`` is set, a whitened PCA
    ``z = (z - pca_mean) @ components.T`` (to fewer features); then ``z = (z - out_shift) /
    out_scale``. ``scaling`` names the result: ``"minmax"`` maps every feature's training range
    onto [0, pi] (the default: rotation angles are periodic, so z-scores of +-3 would wrap
    around), ``"standard"`` gives zero mean and unit variance, ``"none"`` keeps the values
    (a PCA, when needed, still runs on them).
    """

    scaling: str
    shift: tuple[float, ...]
    scale: tuple[float, ...]
    out_shift: tuple[float, ...]
    out_scale: tuple[float, ...]
    components: tuple[tuple[float, ...], ...] | None = None
    pca_mean: tuple[float, ...] | None = None
    explained_variance: float | None = None  # fraction kept by the PCA

    @classmethod
    def fit(cls, x: np.ndarray, *, scaling: str = "minmax", features: int | None = None,
            seed: int = 0) -> "Preprocessing":
        if scaling not in SCALINGS:
            raise DataError(f"scaling must be one of {', '.join(SCALINGS)}, got {scaling!r}")
        reduce = features is not None and features < x.shape[1]
        f_in = x.shape[1]
        if scaling == "standard" or (reduce and scaling == "minmax"):
            shift, scale = x.mean(0), _nonzero(x.std(0))
        else:
            shift, scale = np.zeros(f_in), np.ones(f_in)
        z = (x - shift) / scale
        comps = pca_mean = kept = None
        if reduce:
            from sklearn.decomposition import PCA

            pca = PCA(n_components=features, whiten=True, random_state=seed).fit(z)
            comps = pca.components_ / np.sqrt(pca.explained_variance_)[:, None]
            pca_mean, kept = pca.mean_, float(pca.explained_variance_ratio_.sum())
            z = (z - pca_mean) @ comps.T
        f_out = z.shape[1]
        if scaling == "minmax":
            out_shift, out_scale = z.min(0), _nonzero((z.max(0) - z.min(0)) / math.pi)
        else:
            out_shift, out_scale = np.zeros(f_out), np.ones(f_out)
        return cls(scaling, _t(shift), _t(scale), _t(out_shift), _t(out_scale),
                   None if comps is None else tuple(_t(c) for c in comps), None if pca_mean is None else _t(pca_mean), kept)

    @property
    def in_features(self) -> int:
        return len(self.shift)

    @property
    def out_features(self) -> int:
        return len(self.out_shift)

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise DataError(f"inputs must have {self.in_features} features, got shape {x.shape}")
        z = (x - np.asarray(self.shift)) / np.asarray(self.scale)
        if self.components is not None:
            z = (z - np.asarray(self.pca_mean)) @ np.asarray(self.components).T
        return (z - np.asarray(self.out_shift)) / np.asarray(self.out_scale)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        if self.components is not None:
            d["components"] = [list(c) for c in self.components]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Preprocessing":
        comps = d.get("components")
        return cls(d["scaling"], *(tuple(d[k]) for k in ("shift", "scale", "out_shift", "out_scale")),
                   None if comps is None else tuple(tuple(c) for c in comps),
                   None if d.get("pca_mean") is None else tuple(d["pca_mean"]), d.get("explained_variance"))

    def describe(self) -> str:
        text = {"standard": "standardised (training mean and std)",
                "minmax": "mapped onto [0, pi] (training range)", "none": "used as given"}[self.scaling]
        if self.components is not None:
            text = (f"reduced from {self.in_features} to {self.out_features} features by a whitened PCA fitted on the "
                    f"training split ({self.explained_variance:.1%} of the variance kept), then {text}")
        return text


#: how features become angles (see Preprocessing)
SCALINGS = ("minmax", "standard", "none")


def _nonzero(scale: np.ndarray) -> np.ndarray:
    """A constant column keeps a scale of 1 (it stays constant instead of dividing by zero)."""
    return np.where(scale > 1e-12, scale, 1.0)


def _t(v: Any) -> tuple[float, ...]:
    return tuple(float(x) for x in v)
