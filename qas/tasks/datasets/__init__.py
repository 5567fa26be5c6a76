"""MNIST-style image data as a few features a small quantum circuit can encode.

Why this package exists: QNN benchmarks (QuantumNAS and the papers that compare with it) do
not train on 784 pixels; they shrink each 28x28 image to 16 numbers (4 qubits x 4 rotations)
or 36 (a 10-qubit variant). Results are only comparable if that shrinking, the class subset,
and the splits are exactly the same everywhere, so all of it lives here, once:

* **Finding the files** (:mod:`~qas.tasks.datasets.locate`) without surprising anyone: an
  explicit ``data_dir``, then ``$QAS_DATA_DIR``, then Debian's ``dataset-fashion-mnist``
  package, then a per-user cache (:mod:`~qas.tasks.datasets.cache`) that we download into
  (:mod:`~qas.tasks.datasets.download`). When nothing works the error lists every place
  tried and why.
* **Trusting the files**: every file is checked against the published checksums of
  :mod:`~qas.tasks.datasets.catalog` once (:mod:`~qas.tasks.datasets.checksums`; then
  remembered by path, size and mtime, :mod:`~qas.tasks.datasets.stamps`), and IDX headers are
  validated (:mod:`~qas.tasks.datasets.idx`), so a truncated or corrupt download fails
  loudly instead of silently training on garbage.
* **Features** (:mod:`~qas.tasks.datasets.features`), the QuantumNAS protocol (see
  :func:`image_features`), cached on disk as ``.npz`` keyed by the checksums of the source
  files, so repeated loads take milliseconds.
* **Splits** (:mod:`~qas.tasks.datasets.splits`, :func:`load_classification`): class filter
  + relabelling, a seeded validation slice of the training split, and the official test split.

The errors are in :mod:`~qas.tasks.datasets.errors`. The names below are the public ones;
patch module-level knobs (``locate.DEBIAN_DATASETS_DIR``, ``download._fetch_url``) in the
module that reads them.
"""

from __future__ import annotations

from qas.tasks.datasets.cache import cache_root
from qas.tasks.datasets.catalog import (
    DATASETS,
    FASHION_MNIST,
    FILE_STEMS,
    MNIST,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    Checksum,
    DatasetSpec,
    dataset_spec,
)
from qas.tasks.datasets.checksums import verify_file
from qas.tasks.datasets.errors import DatasetCorruptError, DatasetError, DatasetNotFoundError, IdxFormatError
from qas.tasks.datasets.features import FEATURE_SIDES, image_features, load_features
from qas.tasks.datasets.idx import load_images, read_idx
from qas.tasks.datasets.locate import DATA_DIR_ENV, LocatedDataset, locate_dataset
from qas.tasks.datasets.splits import ClassificationData, load_classification

__all__ = [
    "ClassificationData",
    "Checksum",
    "DatasetCorruptError",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "IdxFormatError",
    "LocatedDataset",
    "DATASETS",
    "DATA_DIR_ENV",
    "FASHION_MNIST",
    "FEATURE_SIDES",
    "FILE_STEMS",
    "MNIST",
    "TEST_IMAGES",
    "TEST_LABELS",
    "TRAIN_IMAGES",
    "TRAIN_LABELS",
    "cache_root",
    "dataset_spec",
    "image_features",
    "load_classification",
    "load_features",
    "load_images",
    "locate_dataset",
    "read_idx",
    "verify_file",
]
