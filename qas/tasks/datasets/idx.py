"""IDX files (optionally gzipped): parsing, and the raw image and label arrays of a split."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from qas.tasks.datasets.catalog import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, dataset_spec
from qas.tasks.datasets.errors import IdxFormatError
from qas.tasks.datasets.locate import LocatedDataset, locate_dataset


# IDX type byte -> numpy dtype (big-endian, as the format stores it).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path) -> bytes:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IdxFormatError(f"{path}: cannot be read: {exc}") from exc


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (optionally gzipped) into a numpy array of its stored shape.

    Format: two zero bytes, a type byte, a byte with the number of dimensions, one
    big-endian uint32 per dimension, then the data, C order. Single-byte data comes back
    as a read-only view of the file's bytes (no copy).
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxFormatError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()!r})")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES or ndim == 0:
        raise IdxFormatError(f"{path}: unsupported IDX type 0x{type_code:02x} / {ndim} dims")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxFormatError(f"{path}: truncated header")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(raw) != expected:
        raise IdxFormatError(
            f"{path}: {len(raw)} bytes, but its header {dims} of {dtype} needs {expected}"
        )
    data = np.frombuffer(raw, dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=False)


def _read_images(path: Path) -> np.ndarray:
    images = read_idx(path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise IdxFormatError(
            f"{path}: expected uint8 images (N, 28, 28), got {images.dtype} {images.shape}"
        )
    return images


def _read_labels(path: Path, n_classes: int) -> np.ndarray:
    labels = read_idx(path)
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IdxFormatError(
            f"{path}: expected uint8 labels (N,), got {labels.dtype} {labels.shape}"
        )
    if labels.size and int(labels.max()) >= n_classes:
        raise IdxFormatError(f"{path}: label {int(labels.max())} outside 0..{n_classes - 1}")
    return labels


def load_images(
    dataset: str, split: str, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw ``(images uint8 (N, 28, 28), labels uint8 (N,))`` of the ``train`` or ``test``
    split, read-only."""
    located = locate_dataset(dataset, data_dir)
    return _split_arrays(located, split)


def _split_arrays(located: LocatedDataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    stems = {"train": (TRAIN_IMAGES, TRAIN_LABELS), "test": (TEST_IMAGES, TEST_LABELS)}
    if split not in stems:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    image_stem, label_stem = stems[split]
    images = _read_images(located.files[image_stem])
    labels = _read_labels(located.files[label_stem], dataset_spec(located.name).n_classes)
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{located.files[image_stem]} has {len(images)} images but"
            f" {located.files[label_stem]} has {len(labels)} labels"
        )
    return images, labels
