"""The user's own data as a task: classification or regression of tabular rows.

    task = Classification(X, y, X_test=X_test, y_test=y_test)        # arrays or pandas
    task = build_task("classification", data="train.csv", target="label", test="test.csv")

Every choice that a built-in benchmark fixes by hand is made here from the data, recorded in
:meth:`config` (so a run writes it to ``config.toml``) and overridable by keyword:

- **splits**: the test split is the user's test data, else a stratified ``test_fraction``
  held out with ``split_seed``; the validation split is a stratified ``val_fraction`` of the rest;
- **preprocessing** (:class:`~qas.tasks.user_data.Preprocessing`), fitted on the training
  split only: standardisation, and a whitened PCA when there are more features than the
  circuit encodes (``features_per_qubit`` rotation layers on each qubit);
- **qubits**: enough for the features (``ceil(features / features_per_qubit)``) and, for
  classes read from ``<Z>`` groups, one qubit per class, at most ``max_qubits``;
- **encoding and space**: the features are angle-encoded (``rotations`` layer by layer), a
  searched cell follows, and (encoding, cell) is stacked ``reuploads`` times with every
  encoding angle ``w * x + b`` trained (``weighted``): the recipe that won on FashionMNIST.
  With 4 qubits and 16 features the cell space is ``qml-4q``'s, whose embeddings ship;
- **readout**: ``k`` classes on ``n >= k`` qubits are sums of ``<Z>`` over ``n // k`` qubits
  each, times ``logit_scale``; more classes than qubits read the basis-state probabilities,
  state ``b`` voting for class ``b mod k`` (Born-rule classifier). A regression reads the
  mean ``<Z>`` through a scale and an offset fitted by least squares: on each training
  batch while training (variable projection), on the training split when scoring.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from qas.core.readout import Readout
from qas.tasks.base import TASKS, Batch, Split, Task, minibatches
from qas.tasks.user_data import DataError, DataTable, Preprocessing, from_arrays, has_test_split, read_data, target_kind

#: encoding rotations, one layer per entry (QuantumNAS's 4x4_ryzxy encoder)
ROTATIONS = ("RY", "RZ", "RX", "RY")
DATA_FILE = "data.npz"
#: optimiser steps (batches of 32) of a candidate's training while searching, and in the final round
SEARCH_STEPS, FINAL_STEPS = 150, 1500


class DataTask(Task):
    """Rows of features and a target, split three ways, encoded by a space made for them.

    ``DataTask(...)`` itself builds a :class:`Classification` when the target holds labels or
    a few distinct integers, and a :class:`Regression` otherwise (:func:`target_kind`).
    """

    kind = ""

    def __new__(cls, X: Any = None, y: Any = None, **options: Any) -> "DataTask":
        if cls is DataTask:
            if options.get("data") is not None:
                targets = read_data(options["data"], target=options.get("target"), features=_names(options.get("features"))).y
            elif y is not None:
                targets = from_arrays(np.zeros((len(y), 1)), y).y
            else:
                raise DataError("no data: give arrays X and y, or a data file (qas search --data FILE --target COLUMN)")
            cls = Classification if target_kind(targets) == "classification" else Regression
        return super().__new__(cls)

    def __init__(
        self,
        X: Any = None,
        y: Any = None,
        *,
        X_test: Any = None,
        y_test: Any = None,
        data: str | Path | None = None,
        target: str | None = None,
        test: str | Path | None = None,
        features: Sequence[str] | str | None = None,
        qubits: int | None = None,
        max_qubits: int = 8,
        features_per_qubit: int = len(ROTATIONS),
        reuploads: int = 3,
        weighted: bool = True,
        scaling: str = "minmax",
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        split_seed: int = 0,
        train_limit: int | None = None,
        val_limit: int | None = None,
        logit_scale: float | None = None,
        label: str | None = None,
    ) -> None:
        features = _names(features)
        self.init_options = {k: v for k, v in dict(
            qubits=qubits, max_qubits=max_qubits, features_per_qubit=features_per_qubit, reuploads=reuploads,
            weighted=weighted, scaling=scaling, val_fraction=val_fraction, test_fraction=test_fraction,
            split_seed=split_seed, train_limit=train_limit, val_limit=val_limit, logit_scale=logit_scale,
        ).items() if v is not None}
        train, given_test = self._tables(X, y, X_test, y_test, data, target, test, features)
        self.tables = (train, given_test)  # as given: what save() writes
        self.data_path = None if data is None else str(data)
        self.target = train.target
        self.feature_names = train.features
        for key, value, lo in (("max_qubits", max_qubits, 1), ("features_per_qubit", features_per_qubit, 1),
                               ("reuploads", reuploads, 1), ("split_seed", split_seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise DataError(f"{key} must be an integer >= {lo}, got {value!r}")
        if features_per_qubit > len(ROTATIONS):
            raise DataError(f"features_per_qubit must be at most {len(ROTATIONS)} (one rotation layer each), got {features_per_qubit}")
        for key, frac in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            if not 0.0 < float(frac) < 1.0:
                raise DataError(f"{key} must be between 0 and 1, got {frac!r}")
        self.options = dict(max_qubits=max_qubits, features_per_qubit=features_per_qubit, reuploads=reuploads,
                            weighted=bool(weighted), scaling=scaling, val_fraction=float(val_fraction),
                            test_fraction=float(test_fraction), split_seed=split_seed)
        self.train_limit, self.val_limit = train_limit, val_limit
        self.digest = train.digest + ("" if given_test is None else "+" + given_test.digest)
        self.label = self.variant = label or Path(train.source).stem
        self._split(train, given_test)
        self._choose(qubits, features_per_qubit, max_qubits, scaling, split_seed)
        self._readout(logit_scale)
        # small datasets have few batches per epoch: train for a number of steps, not epochs
        batches = math.ceil(len(self.raw["train"][0]) / 32)
        epochs = min(max(3, math.ceil(SEARCH_STEPS / batches)), 100)
        self.search_train = {"epochs": epochs, "patience": max(1, epochs // 5)}
        epochs = min(max(30, math.ceil(FINAL_STEPS / batches)), 500)
        self.final_train = {"epochs": epochs, "patience": epochs}

    # -- reading ----------------------------------------------------------------------------
    @staticmethod
    def _tables(X: Any, y: Any, X_test: Any, y_test: Any, data: Any, target: Any, test: Any,
                features: Sequence[str] | None) -> tuple[DataTable, DataTable | None]:
        if data is not None:
            if X is not None or y is not None:
                raise DataError("give the data either as arrays (X, y) or as a file (data=...), not both")
            train = read_data(data, target=target, features=features)
            if test is not None:
                given = read_data(test, target=train.target, features=list(train.features))
            elif has_test_split(data):
                given = read_data(data, features=features, split="test")
            else:
                given = None
        else:
            if X is None or y is None:
                raise DataError("no data: give arrays X and y, or a data file (qas search --data FILE --target COLUMN)")
            train = from_arrays(X, y, features=features)
            given = None
            if (X_test is None) != (y_test is None):
                raise DataError("give both X_test and y_test, or neither")
            if X_test is not None:
                given = from_arrays(X_test, y_test, features=list(train.features), target=train.target, source="test arrays")
        if given is not None and given.features != train.features:
            raise DataError(f"{given.source}: its columns {list(given.features)} differ from the training data's "
                            f"{list(train.features)}; give both files the same feature columns")
        return train, given

    def _split(self, train: DataTable, test: DataTable | None) -> None:
        from sklearn.model_selection import train_test_split

        y_all = self._encode_targets(train, test)
        seed = self.options["split_seed"]
        strat = self.kind == "classification"
        try:
            if test is None:
                x_tr, x_te, y_tr, y_te = train_test_split(train.x, y_all[0], test_size=self.options["test_fraction"],
                                                          random_state=seed, stratify=y_all[0] if strat else None)
            else:
                x_tr, y_tr, x_te, y_te = train.x, y_all[0], test.x, y_all[1]
            x_tr, x_va, y_tr, y_va = train_test_split(x_tr, y_tr, test_size=self.options["val_fraction"],
                                                      random_state=seed + 1, stratify=y_tr if strat else None)
        except ValueError as exc:
            raise DataError(f"{train.source}: cannot split {len(train)} rows into train, validation and test ({exc}); "
                            "give more rows or a separate test file (--test)") from None
        self.raw = {"train": (x_tr, y_tr), "val": (x_va, y_va), "test": (x_te, y_te)}
        self.test_source = "given" if test is not None else \
            f"held out ({self.options['test_fraction']:.0%}{', stratified' if strat else ''}, seed {seed})"

    def _choose(self, qubits: int | None, per_qubit: int, max_qubits: int, scaling: str, seed: int) -> None:
        f_in = self.raw["train"][0].shape[1]
        need = self.min_qubits()
        n = qubits if qubits is not None else min(max(math.ceil(f_in / per_qubit), need, 2), max(max_qubits, need))
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DataError(f"qubits must be a positive integer, got {qubits!r}")
        self.num_qubits = n
        self.preprocessing = Preprocessing.fit(self.raw["train"][0], scaling=scaling,
                                               features=min(f_in, per_qubit * n), seed=seed)
        self.num_features = self.preprocessing.out_features

    @cached_property
    def space(self) -> Any:
        """The search space made for these features: see the module docstring."""
        from search_spaces import AngleEncoding, SearchSpace, reuploaded
        from search_spaces.builtin import QML_GATES

        n, f = self.num_qubits, self.num_features
        layers = math.ceil(f / n)
        cell = SearchSpace(
            f"data-{n}q-{f}f", n, QML_GATES, min_gates=n, max_gates=min(6 * n, 40), max_depth=12 if n <= 4 else 24,
            encoding=AngleEncoding(f, ROTATIONS[:layers]),
            description=f"{f} features of {self.label} angle-encoded on {n} qubits ({'/'.join(ROTATIONS[:layers])}), "
                        "then a trainable cell",
        )
        if self.options["reuploads"] == 1 and not self.options["weighted"]:
            return cell
        return reuploaded(cell, f"{cell.name}-reup{self.options['reuploads']}" + ("-w" if self.options["weighted"] else ""),
                          weighted=self.options["weighted"], copies=self.options["reuploads"])

    @property
    def default_space(self) -> Any:  # type: ignore[override]
        return self.space

    # -- the task contract -------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {
            "data": self.digest,
            "target": self.target,
            "features": list(self.feature_names),
            "qubits": self.num_qubits,
            "circuit_features": self.num_features,
            **self.options,
            "train_limit": self.train_limit,
            "val_limit": self.val_limit,
            **self._readout_config(),
        }

    def split(self, split: Split) -> Batch:
        x, y = self.raw[split]
        if split == "train" and self.train_limit is not None and len(x) > self.train_limit:
            x, y = x[: self.train_limit], y[: self.train_limit]
        if split == "val" and self.val_limit is not None and len(x) > self.val_limit:
            x, y = x[: self.val_limit], y[: self.val_limit]
        return Batch(self.preprocessing.transform(x).astype(np.float32), y)

    def batches(self, split: Split, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[Batch]:
        return minibatches(self.split(split), batch_size, rng)

    def io(self) -> dict[str, Any]:
        return {"features": list(self.feature_names), "target": self.target, "kind": self.kind,
                "preprocessing": self.preprocessing.to_dict(), **self._io()}

    def _io(self) -> dict[str, Any]:
        return {}

    def inputs(self, rows: Any) -> np.ndarray:
        x = from_arrays(rows, np.zeros(len(rows)), features=list(self.feature_names), source="new rows").x
        return self.preprocessing.transform(x).astype(np.float32)

    def save(self, folder: str | Path) -> Path:
        """Write the data as given (train, and test when given) to ``folder/data.npz``: the same
        rows, labels and names, so a task built from it has the same splits and fingerprint."""
        train, test = self.tables
        path = Path(folder) / DATA_FILE
        arrays = {"x_train": train.x, "y_train": _plain(train.y), "feature_names": np.array(train.features),
                  "target": np.array(train.target)}
        if test is not None:
            arrays.update(x_test=test.x, y_test=_plain(test.y))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return path

    def saved(self, folder: str | Path) -> tuple[str, dict[str, Any]]:
        """Save the data in ``folder`` and return how to rebuild this task from it: a registered
        task name and its options (what a run records in its config)."""
        return self.name, {**self.init_options, "data": str(self.save(folder)), "label": self.label}

    def describe(self) -> list[str]:
        """What was chosen from the data, in sentences for the report."""
        x_tr = self.raw["train"][0]
        return [
            f"data: {self.label}, {len(x_tr)} training, {len(self.raw['val'][0])} validation and "
            f"{len(self.raw['test'][0])} test rows ({self.test_source} test split); target {self.target!r}",
            f"features: {self.preprocessing.in_features} columns, {self.preprocessing.describe()}",
            f"circuit: {self.num_qubits} qubits, {self.num_features} features angle-encoded, "
            f"{self.options['reuploads']} re-uploads" + (", trainable input scaling w * x + b" if self.options["weighted"] else ""),
            f"readout: {self._readout_text()}",
        ]

    # -- per kind ----------------------------------------------------------------------------
    def min_qubits(self) -> int:
        return 1

    def _encode_targets(self, train: DataTable, test: DataTable | None) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def _decode(self, y: np.ndarray) -> np.ndarray:
        return y

    def _readout(self, logit_scale: float | None) -> None:
        raise NotImplementedError

    def _readout_config(self) -> dict[str, Any]:
        return {}

    def _readout_text(self) -> str:
        return ""


class Classification(DataTask):
    """Classify rows; the score is validation accuracy."""

    name = "data-classification"
    kind = "classification"
    score_name = "accuracy"

    def _encode_targets(self, train: DataTable, test: DataTable | None) -> tuple[np.ndarray, np.ndarray | None]:
        classes = np.unique(train.y)
        if len(classes) < 2:
            raise DataError(f"{train.source}: the target {train.target!r} has one class ({classes[0]!r}); "
                            "classification needs at least two")
        self.classes = tuple(_label(c) for c in classes)
        index = {c: i for i, c in enumerate(self.classes)}
        y_test = None
        if test is not None:
            unseen = sorted({str(_label(v)) for v in test.y if _label(v) not in index})
            if unseen:
                raise DataError(f"{test.source}: label(s) {unseen} never occur in the training data; "
                                "a classifier can only predict classes it was trained on")
            y_test = np.array([index[_label(v)] for v in test.y], dtype=np.int64)
        return np.array([index[_label(v)] for v in train.y], dtype=np.int64), y_test

    def _decode(self, y: np.ndarray) -> np.ndarray:
        return np.array([self.classes[i] for i in y])

    def _io(self) -> dict[str, Any]:
        return {"classes": list(self.classes)}

    def targets(self, raw: Any) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes)}
        unseen = sorted({str(_label(v)) for v in raw if _label(v) not in index})
        if unseen:
            raise DataError(f"label(s) {unseen} are not classes of this task ({', '.join(map(str, self.classes))})")
        return np.array([index[_label(v)] for v in raw], dtype=np.int64)

    def min_qubits(self) -> int:
        # one qubit per class while <Z> groups can serve them; beyond, the Born readout
        k = len(self.classes)
        return k if k <= self.options["max_qubits"] else 1

    def _readout(self, logit_scale: float | None) -> None:
        k, n = len(self.classes), self.num_qubits
        if k > 2**n:
            raise DataError(f"{k} classes but {n} qubits read at most {2**n}; allow more qubits (qubits = "
                            f"{math.ceil(math.log2(k))} or more)")
        self.born = k > n
        self.readout = Readout("state" if self.born else "z")
        group = max(1, n // k)
        self._groups = [list(range(c * group, (c + 1) * group)) for c in range(k)]
        default = 1.0 if self.born else 5.0  # 5 beats 10 and 20 on iris and wine (u3cu3:2; 20 suits fashion-10's 60k images)
        try:
            self.logit_scale = float(default if logit_scale is None else logit_scale)
        except (TypeError, ValueError):
            raise DataError(f"logit_scale must be a positive number, got {logit_scale!r}") from None
        if not self.logit_scale > 0:
            raise DataError(f"logit_scale must be positive, got {logit_scale!r}")

    def _readout_config(self) -> dict[str, Any]:
        return {"classes": [str(c) for c in self.classes], "readout": "born" if self.born else "z-groups",
                "logit_scale": self.logit_scale}

    def _readout_text(self) -> str:
        k = len(self.classes)
        if self.born:
            return f"{k} classes from the probabilities of the {2**self.num_qubits} basis states (state b votes for class b mod {k})"
        g = len(self._groups[0])
        return f"{k} classes, each the sum of <Z> over {g} qubit{'s' if g > 1 else ''}, times {self.logit_scale:g}"

    def log_probs(self, outputs: Any) -> Any:
        """``(B, k)`` class log-probabilities from the readout: a torch tensor (training) or a
        numpy array (scoring), with the same arithmetic."""
        if isinstance(outputs, np.ndarray):
            from scipy.special import logsumexp

            if self.born:
                return np.log(np.maximum(self._born(np.abs(outputs) ** 2, np.zeros), 1e-12))
            logits = self.logit_scale * np.stack([outputs[:, g].sum(1) for g in self._groups], 1)
            return logits - logsumexp(logits, 1, keepdims=True)
        import torch

        if self.born:
            probs = outputs.real ** 2 + outputs.imag ** 2
            return torch.log(self._born(probs, lambda shape: torch.zeros(shape, dtype=probs.dtype)).clamp_min(1e-12))
        logits = self.logit_scale * torch.stack([outputs[:, g].sum(1) for g in self._groups], 1)
        return logits - torch.logsumexp(logits, 1, keepdim=True)

    def _born(self, probs: Any, zeros: Any) -> Any:
        """Basis-state probabilities ``(B, 2**n)`` summed into ``(B, k)`` classes (``b mod k``)."""
        k = len(self.classes)
        pad = (-probs.shape[1]) % k
        if pad:
            filler = zeros((probs.shape[0], pad))
            probs = np.concatenate([probs, filler], 1) if isinstance(probs, np.ndarray) else __import__("torch").cat([probs, filler], 1)
        return probs.reshape(probs.shape[0], -1, k).sum(1)

    def loss(self, outputs: Any, batch: Batch) -> Any:
        import torch

        return torch.nn.functional.nll_loss(self.log_probs(outputs), torch.as_tensor(batch.targets))

    def metrics(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        logp = self.log_probs(np.asarray(outputs, dtype=np.complex128 if self.born else np.float64))
        y = batch.targets
        acc = float((logp.argmax(1) == y).mean())
        return {"accuracy": acc, "loss": float(-logp[np.arange(len(y)), y].mean()), "n": float(len(y)), "score": acc}

    def predictions(self, outputs: np.ndarray, fit: Mapping[str, float] | None = None) -> np.ndarray:
        """Class labels from the readout of a batch."""
        logp = self.log_probs(np.asarray(outputs, dtype=np.complex128 if self.born else np.float64))
        return self._decode(logp.argmax(1))

    def classical_baselines(self) -> dict[str, dict[str, float]]:
        from qas.tasks.classical import sklearn_baselines

        return sklearn_baselines(self, regression=False)


class Regression(DataTask):
    """Predict a number; the score is validation R^2 (1 is perfect, 0 is the mean's)."""

    name = "data-regression"
    kind = "regression"
    score_name = "R^2"
    fits_readout = True
    #: the default searches the whole pool: the pre-filter's circuits with the most angles
    #: over-fit (diabetes: test R^2 0.056 +- 0.204 pre-filtered, 0.254 +- 0.035 on the whole
    #: pool, 5 seeds each), where on classification (iris, wine) it made no clear difference
    #: (experiments/results/suite_small_data_summary.md)
    default_prefilter = "none"

    def _encode_targets(self, train: DataTable, test: DataTable | None) -> tuple[np.ndarray, np.ndarray | None]:
        for t in (train, test):
            if t is not None and t.y.dtype == object:
                raise DataError(f"{t.source}: the target {t.target!r} holds labels, not numbers; use classification")
        if np.ptp(train.y) == 0:
            raise DataError(f"{train.source}: the target {train.target!r} is constant; there is nothing to predict")
        return train.y.astype(np.float64), None if test is None else test.y.astype(np.float64)

    def targets(self, raw: Any) -> np.ndarray:
        try:
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("a regression's targets must be numbers") from None

    def _readout(self, logit_scale: float | None) -> None:
        if logit_scale is not None:
            raise DataError("logit_scale applies to classification, not regression")
        self.readout = Readout("z")
        y = self.raw["train"][1]
        self.y_mean, self.y_std = float(y.mean()), float(y.std())

    def _readout_config(self) -> dict[str, Any]:
        return {"readout": "mean <Z>, least-squares scale and offset"}

    def _readout_text(self) -> str:
        return "the mean <Z> over all qubits, times a scale plus an offset fitted by least squares on the training split"

    def _standard(self, y: Any) -> Any:
        return (y - self.y_mean) / self.y_std

    @staticmethod
    def _affine(m: Any, t: Any) -> tuple[Any, Any]:
        """Least-squares ``a, b`` of ``t ~ a m + b`` (torch or numpy)."""
        mm, tm = m.mean(), t.mean()
        var = ((m - mm) ** 2).mean()
        a = ((m - mm) * (t - tm)).mean() / (var + 1e-9)
        return a, tm - a * mm

    def loss(self, outputs: Any, batch: Batch) -> Any:
        import torch

        m = outputs.mean(1)
        t = self._standard(torch.as_tensor(batch.targets, dtype=m.dtype))
        a, b = self._affine(m, t)
        return ((a * m + b - t) ** 2).mean()

    def fit_readout(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        a, b = self._affine(np.asarray(outputs, dtype=np.float64).mean(1), self._standard(batch.targets))
        return {"readout_scale": float(a), "readout_offset": float(b)}

    def metrics(self, outputs: np.ndarray, batch: Batch, fit: Mapping[str, float] | None = None) -> dict[str, float]:
        if fit is None:
            raise ValueError("a regression is scored with the readout fitted on its training split (fit_readout)")
        pred = self.predictions(outputs, fit)
        y = batch.targets
        mse = float(np.mean((pred - y) ** 2))
        r2 = 1.0 - mse / float(np.mean((y - y.mean()) ** 2) + 1e-300)
        return {"r2": r2, "rmse": math.sqrt(mse), "mse": mse, "n": float(len(y)), "score": r2, **fit}

    def predictions(self, outputs: np.ndarray, fit: Mapping[str, float]) -> np.ndarray:
        m = np.asarray(outputs, dtype=np.float64).mean(1)
        return self.y_mean + self.y_std * (fit["readout_scale"] * m + fit["readout_offset"])

    def classical_baselines(self) -> dict[str, dict[str, float]]:
        from qas.tasks.classical import sklearn_baselines

        return sklearn_baselines(self, regression=True)


def _names(features: Sequence[str] | str | None) -> list[str] | None:
    """Feature columns as a list; ``"a,b,c"`` (the command line's form) is split."""
    if isinstance(features, str):
        return [f.strip() for f in features.split(",") if f.strip()]
    return None if features is None else list(features)


def _plain(y: np.ndarray) -> np.ndarray:
    """Targets as an array numpy saves without pickling: floats, or fixed-width strings."""
    return y.astype(np.float64) if y.dtype != object else y.astype(str)


def _label(v: Any) -> Any:
    """A class label as a plain value: numpy scalars unwrapped, whole floats as ints (``3.0`` -> 3)."""
    v = v.item() if hasattr(v, "item") else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


TASKS.add("data", DataTask, aliases=("own-data",))
TASKS.add("classification", Classification, aliases=("data-classification",))
TASKS.add("regression", Regression, aliases=("data-regression",))
