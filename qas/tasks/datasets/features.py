"""Images as a few features a small circuit can encode (the QuantumNAS protocol; see
:func:`image_features`), cached on disk as ``.npz`` keyed by the checksums of the source files."""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qas.tasks.datasets.cache import cache_root
from qas.tasks.datasets.idx import _split_arrays
from qas.tasks.datasets.locate import LocatedDataset, locate_dataset

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

PIXEL_MEAN = 0.1307
PIXEL_STD = 0.3081
CROP = 24
RESIZE = 28
FEATURE_SIDES = (4, 6)
FEATURE_VERSION = 1  # bump when image_features changes, to invalidate cached .npz files


def _normalised_crop(images: np.ndarray) -> torch.Tensor:
    """Pixels/255, normalised with MNIST's mean/std, centre-cropped to 24x24: (N, 1, 24, 24)."""
    import torch

    x = torch.from_numpy(images.astype(np.float32)).div_(255.0)  # astype: a writable copy
    x = x.sub_(PIXEL_MEAN).div_(PIXEL_STD).unsqueeze(1)
    top = (x.shape[-1] - CROP) // 2  # = int(round((28 - 24) / 2)), as torchvision's CenterCrop
    return x[..., top : top + CROP, top : top + CROP]


def _features_chunk(images: np.ndarray, side: int) -> np.ndarray:
    import torch.nn.functional as F

    crop = _normalised_crop(images)
    if side == 4:
        # QuantumNAS: resize the crop back to 28x28 (bilinear, antialias=True, which is what
        # torchvision's Resize does on tensors), then avg_pool2d(kernel 6): floor(28/6) = 4,
        # so the windows cover rows/cols 0..23 of the resized image and drop the last 4.
        resized = F.interpolate(
            crop, size=(RESIZE, RESIZE), mode="bilinear", align_corners=False, antialias=True
        )
        pooled = F.avg_pool2d(resized, kernel_size=6)
    elif side == 6:
        # 10-qubit variant: average 4x4 blocks of the 24x24 crop. No integer kernel gives 6x6
        # from 28x28, and the crop->28 resize is only a smoothing step, so we pool the crop
        # itself; every crop pixel counts once. Its logistic-regression accuracy on the 10
        # classes matches the 76.7% reference (see experiments/logreg_baseline.py).
        pooled = F.avg_pool2d(crop, kernel_size=CROP // 6)
    else:
        raise ValueError(f"feature side must be one of {FEATURE_SIDES}, not {side}")
    return pooled.reshape(len(images), side * side).numpy()


def image_features(images: np.ndarray, side: int = 4, chunk: int = 10_000) -> np.ndarray:
    """Shrink uint8 images (N, 28, 28) to float32 features (N, side*side), row-major.

    ``side=4``: the QuantumNAS protocol (16 features for 4 qubits): x/255, normalise with
    mean 0.1307 and std 0.3081, centre-crop 24x24, bilinear resize to 28x28, avg-pool 6.
    ``side=6``: 36 features for 10 qubits: the same normalised 24x24 crop, avg-pooled 4x4.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must be (N, 28, 28), got {images.shape}")
    if side not in FEATURE_SIDES:
        raise ValueError(f"feature side must be one of {FEATURE_SIDES}, not {side}")
    parts = [_features_chunk(images[i : i + chunk], side) for i in range(0, len(images), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, side * side), np.float32)


def _feature_cache_path(located: LocatedDataset, side: int) -> Path:
    name = f"features-side{side}-v{FEATURE_VERSION}-{located.fingerprint()}.npz"
    return cache_root() / located.name / name


def load_features(
    dataset: str, side: int = 4, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of all classes, features cached on disk.

    The cache file is keyed by dataset, side, FEATURE_VERSION and the checksums of the
    source files, so it can never serve features of other data.
    """
    if side not in FEATURE_SIDES:
        raise ValueError(f"feature side must be one of {FEATURE_SIDES}, not {side}")
    located = locate_dataset(dataset, data_dir)
    path = _feature_cache_path(located, side)
    try:
        with np.load(path) as z:
            return z["x_train"], z["y_train"], z["x_test"], z["y_test"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # not cached yet (or unreadable): compute and (re)write it
    arrays = _compute_features(located, side)
    try:
        _write_npz(path, arrays)
    except OSError as exc:
        log.warning("could not cache features in %s: %s", path, exc)
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


def _compute_features(located: LocatedDataset, side: int) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        images, labels = _split_arrays(located, split)
        arrays[f"x_{split}"] = image_features(images, side)
        arrays[f"y_{split}"] = labels.astype(np.int64)
    return arrays


def _write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
