"""MNIST-style image data as a few features a small quantum circuit can encode.

Why this module exists: QNN benchmarks (QuantumNAS and the papers that compare with it) do
not train on 784 pixels; they shrink each 28x28 image to 16 numbers (4 qubits x 4 rotations)
or 36 (a 10-qubit variant). Results are only comparable if that shrinking, the class subset,
and the splits are exactly the same everywhere, so all of it lives here, once:

* **Finding the files** without surprising anyone: an explicit ``data_dir``, then
  ``$QAS_DATA_DIR``, then Debian's ``dataset-fashion-mnist`` package, then a per-user cache
  that we download into. When nothing works the error lists every place tried and why.
* **Trusting the files**: every file is checked against published checksums once (then
  remembered by path, size and mtime), and IDX headers are validated, so a truncated or
  corrupt download fails loudly instead of silently training on garbage.
* **Features**, the QuantumNAS protocol (see :func:`image_features`), cached on disk as
  ``.npz`` keyed by the checksums of the source files, so repeated loads take milliseconds.
* **Splits** (:func:`load_classification`): class filter + relabelling, a seeded validation
  slice of the training split, and the official test split.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qas.core.errors import QasError, UnknownNameError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

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
    "FEATURE_SIDES",
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


# --------------------------------------------------------------------------- errors


class DatasetError(QasError):
    """Base class of the data-layer errors (all caused by what is, or is not, on disk)."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No complete copy of a dataset in any place we look, and the download failed."""


class DatasetCorruptError(DatasetError, ValueError):
    """A data file whose checksum matches none of the known ones."""


class IdxFormatError(DatasetError, ValueError):
    """A file that is not a well-formed IDX file of the expected shape."""


# --------------------------------------------------------------------------- what we know


@dataclass(frozen=True)
class Checksum:
    """One published digest of one file, with where the number comes from."""

    algorithm: str  # a hashlib name: "sha256" or "md5"
    hexdigest: str
    origin: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest} ({self.origin})"


# File roles, in the order the rest of the module uses them.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILE_STEMS: tuple[str, ...] = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset comes from and what its files must hash to.

    ``checksums`` is keyed by file name, ``.gz`` and uncompressed alike; a file passes if it
    matches any one entry. A name with no entry (uncompressed MNIST: no published digest
    exists) is accepted on its IDX structure alone, with a warning in the log.
    """

    name: str
    base_url: str
    checksums: Mapping[str, tuple[Checksum, ...]]
    debian_package: str | None = None  # Debian installs it under DEBIAN_DATASETS_DIR/name
    n_classes: int = 10

    def url(self, file_name: str) -> str:
        return self.base_url + file_name


_DEBIAN = "Debian dataset-fashion-mnist 0.0~git20200523"
_ZALANDO = "zalandoresearch/fashion-mnist download"
_ZALANDO_MD5 = "torchvision FashionMNIST"
_FASHION_RAW = "uncompressed content (identical in Debian's and Zalando's .gz)"
_LECUN = "LeCun's MNIST files, as mirrored for torchvision/TensorFlow"
_LECUN_MD5 = "torchvision MNIST"


def _sums(*entries: tuple[str, str, str]) -> tuple[Checksum, ...]:
    return tuple(Checksum(a, h, o) for a, h, o in entries)


# Debian's .gz files differ from Zalando's only in the gzip header (Debian's
# strip-nondeterminism drops the stored file name and resets the mtime: exactly 24/23 bytes
# shorter); the deflate stream and so the decompressed content are the same.
FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    base_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    debian_package="dataset-fashion-mnist",
    checksums={
        "train-images-idx3-ubyte.gz": _sums(
            ("sha256", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", _DEBIAN),
            ("sha256", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", _ZALANDO),
            ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", _ZALANDO_MD5),
        ),
        "train-labels-idx1-ubyte.gz": _sums(
            ("sha256", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", _DEBIAN),
            ("sha256", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", _ZALANDO),
            ("md5", "25c81989df183df01b3e8a0aad5dffbe", _ZALANDO_MD5),
        ),
        "t10k-images-idx3-ubyte.gz": _sums(
            ("sha256", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", _DEBIAN),
            ("sha256", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", _ZALANDO),
            ("md5", "bef4ecab320f06d8554ea6380940ec79", _ZALANDO_MD5),
        ),
        "t10k-labels-idx1-ubyte.gz": _sums(
            ("sha256", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", _DEBIAN),
            ("sha256", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", _ZALANDO),
            ("md5", "bb300cfdad3c16e7a12a480ee83cd310", _ZALANDO_MD5),
        ),
        "train-images-idx3-ubyte": _sums(
            ("sha256", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", _FASHION_RAW),
        ),
        "train-labels-idx1-ubyte": _sums(
            ("sha256", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", _FASHION_RAW),
        ),
        "t10k-images-idx3-ubyte": _sums(
            ("sha256", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", _FASHION_RAW),
        ),
        "t10k-labels-idx1-ubyte": _sums(
            ("sha256", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", _FASHION_RAW),
        ),
    },
)

# No Debian package ships MNIST (`apt-cache search mnist` finds only dataset-fashion-mnist).
MNIST = DatasetSpec(
    name="mnist",
    base_url="https://ossci-datasets.s3.amazonaws.com/mnist/",
    checksums={
        "train-images-idx3-ubyte.gz": _sums(
            ("sha256", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", _LECUN),
            ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873", _LECUN_MD5),
        ),
        "train-labels-idx1-ubyte.gz": _sums(
            ("sha256", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", _LECUN),
            ("md5", "d53e105ee54ea40749a09fcbcd1e9432", _LECUN_MD5),
        ),
        "t10k-images-idx3-ubyte.gz": _sums(
            ("sha256", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", _LECUN),
            ("md5", "9fb629c4189551a2d022fa330f9573f3", _LECUN_MD5),
        ),
        "t10k-labels-idx1-ubyte.gz": _sums(
            ("sha256", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", _LECUN),
            ("md5", "ec29112dd5afa0611ce80d1b7f02629c", _LECUN_MD5),
        ),
    },
)

DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (FASHION_MNIST, MNIST)}

# Module-level so tests (and unusual systems) can point them elsewhere.
DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")
DATA_DIR_ENV = "QAS_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 60.0


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name (``fashion-mnist`` or ``mnist``)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}"
        ) from None


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/qas/datasets`` (default ``~/.cache/qas/datasets``), read per call."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qas" / "datasets"


# --------------------------------------------------------------------------- checksums


def _hash_file(path: Path, algorithms: Sequence[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in algorithms}
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in hashers.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _stamp_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


_VERIFIED: dict[tuple[str, int, int], str] = {}  # stamp key -> "algorithm:hexdigest"


def _stamp_file() -> Path:
    return cache_root() / "verified-files.json"


def _read_stamps() -> dict[str, dict]:
    try:
        return json.loads(_stamp_file().read_text())
    except (OSError, ValueError):
        return {}


def _remember(key: tuple[str, int, int], digest: str) -> None:
    """Remember a verified file in-process and, best effort, on disk for later processes."""
    _VERIFIED[key] = digest
    stamps = _read_stamps()
    stamps[key[0]] = {"size": key[1], "mtime_ns": key[2], "digest": digest}
    try:
        _atomic_write_bytes(_stamp_file(), json.dumps(stamps, indent=1, sort_keys=True).encode())
    except OSError as exc:  # a read-only cache only costs us a re-hash next time
        log.debug("could not write %s: %s", _stamp_file(), exc)


def _recalled(key: tuple[str, int, int]) -> str | None:
    if key in _VERIFIED:
        return _VERIFIED[key]
    entry = _read_stamps().get(key[0])
    if entry and entry.get("size") == key[1] and entry.get("mtime_ns") == key[2]:
        _VERIFIED[key] = entry["digest"]
        return entry["digest"]
    return None


def _label(checksum: Checksum) -> str:
    return f"{checksum.algorithm}:{checksum.hexdigest}"


def verify_file(path: Path, known: Sequence[Checksum], *, remember: bool = True) -> str:
    """Check ``path`` against the known checksums; return the digest that matched.

    The result is remembered by (path, size, mtime), in-process and in a stamp file in the
    cache dir, so each file is hashed once, not at every load. With no known checksum the
    file's sha256 is returned unverified (logged as a warning).

    Raises:
        DatasetCorruptError: naming the file, the expected digests and the actual ones.
    """
    path = Path(path)
    key = _stamp_key(path)
    digest = _recalled(key)
    if digest is not None and (not known or digest in {_label(c) for c in known}):
        return digest  # verified before (and against a checksum we still accept)
    algorithms = sorted({c.algorithm for c in known} | {"sha256"})
    actual = _hash_file(path, algorithms)
    if not known:
        log.warning("%s: no published checksum known; accepted on its IDX structure", path)
        digest = f"sha256:{actual['sha256']}"
    else:
        match = next((c for c in known if actual[c.algorithm] == c.hexdigest), None)
        if match is None:
            raise DatasetCorruptError(_corrupt_message(path, known, actual))
        digest = _label(match)
    if remember:
        _remember(key, digest)
    return digest


def _corrupt_message(path: Path, known: Sequence[Checksum], actual: Mapping[str, str]) -> str:
    lines = [f"{path} is corrupt: its checksum matches none of the known ones."]
    lines += [f"  expected {c}" for c in known]
    lines += [f"  actual   {a}:{h}" for a, h in sorted(actual.items())]
    lines.append("Delete it (or reinstall its package) and load again.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- locating


@dataclass(frozen=True)
class LocatedDataset:
    """A complete, verified copy of a dataset's four files."""

    name: str
    directory: Path
    files: Mapping[str, Path]  # keyed by FILE_STEMS
    digests: Mapping[str, str]  # keyed by FILE_STEMS: the checksum each file matched
    source: str  # which location it was found in, for messages

    def fingerprint(self) -> str:
        """A short key for everything derived from these exact files."""
        joined = "\n".join(f"{stem}={self.digests[stem]}" for stem in FILE_STEMS)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dataclass
class _Attempts:
    """What was tried where, collected for the not-found message."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.lines.append(f"  - {where}: {what}")


def _find_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The files present in ``directory`` (``.gz`` preferred) and the stems missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for stem in FILE_STEMS:
        for name in (stem + ".gz", stem):
            if (directory / name).is_file():
                found[stem] = directory / name
                break
        else:
            missing.append(stem + "[.gz]")
    return found, missing


def _verified(
    spec: DatasetSpec, directory: Path, files: Mapping[str, Path], source: str
) -> LocatedDataset:
    digests = {stem: verify_file(p, spec.checksums.get(p.name, ())) for stem, p in files.items()}
    return LocatedDataset(spec.name, directory, dict(files), digests, source)


def _with_subfolder(root: Path, spec: DatasetSpec) -> list[Path]:
    return [root, root / spec.name]


def _try_directories(
    spec: DatasetSpec, where: str, roots: Sequence[Path], attempts: _Attempts
) -> LocatedDataset | None:
    """The first root holding all four files, verified; else note why each failed."""
    for directory in roots:
        if not directory.is_dir():
            attempts.add(where, f"{directory} does not exist")
            continue
        files, missing = _find_files(directory)
        if missing:
            attempts.add(where, f"{directory} lacks {', '.join(missing)}")
            continue
        return _verified(spec, directory, files, where)
    return None


def _local_candidates(
    spec: DatasetSpec, data_dir: str | os.PathLike | None
) -> Iterator[tuple[str, list[Path] | str]]:
    """(label, directories to try) for each local place, in order; a str means 'skipped: why'."""
    yield ("data_dir argument", _with_subfolder(Path(data_dir), spec) if data_dir else "not given")
    env = os.environ.get(DATA_DIR_ENV)
    yield (f"${DATA_DIR_ENV}", _with_subfolder(Path(env), spec) if env else "not set")
    if spec.debian_package:
        label = f"Debian package {spec.debian_package} (apt-get install {spec.debian_package})"
        yield (label, [DEBIAN_DATASETS_DIR / spec.name])
    else:
        yield ("Debian", f"no Debian package ships {spec.name}")


def locate_dataset(
    name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True
) -> LocatedDataset:
    """Find (or download) a complete, checksum-verified copy of a dataset.

    Looks in order at: ``data_dir`` (or its subfolder ``<name>``), ``$QAS_DATA_DIR`` (or its
    subfolder ``<name>``), Debian's ``/usr/share/datasets/<name>``, and the cache dir
    ``cache_root()/<name>``, downloading the missing files there (atomically, verified).

    Raises:
        DatasetNotFoundError: listing every place tried and why each failed.
        DatasetCorruptError: a file was found but its checksum is wrong.
    """
    spec = dataset_spec(name)
    attempts = _Attempts()
    for where, roots in _local_candidates(spec, data_dir):
        if isinstance(roots, str):
            attempts.add(where, roots)
            continue
        if (found := _try_directories(spec, where, roots, attempts)) is not None:
            return found
    cache = cache_root() / spec.name
    try:
        return _from_cache(spec, cache, download=download)
    except _DownloadFailed as exc:
        attempts.add(f"cache dir {cache}", str(exc))
    raise DatasetNotFoundError(
        f"dataset {spec.name!r} not found. Tried, in order:\n" + "\n".join(attempts.lines)
        + f"\nPut the four IDX files ({', '.join(s + '.gz' for s in FILE_STEMS)}) in one of"
        f" these places, or pass data_dir."
    )


# --------------------------------------------------------------------------- downloading


class _DownloadFailed(Exception):
    """Internal: the cache dir is incomplete and could not be completed."""


def _fetch_url(url: str, dest: Path, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
    """Stream ``url`` into ``dest`` (tests replace this to simulate no network)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def _download(spec: DatasetSpec, file_name: str, directory: Path) -> Path:
    """Download one file into ``directory``: to a temp file, verify, then rename (atomic)."""
    url = spec.url(file_name)
    tmp: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{file_name}.", suffix=".part", dir=directory)
        os.close(fd)
        tmp = Path(tmp_name)
        _fetch_url(url, tmp)
        verify_file(tmp, spec.checksums[file_name], remember=False)
        final = directory / file_name
        os.replace(tmp, final)
        return final
    except Exception as exc:
        raise _DownloadFailed(f"download of {url} failed: {exc}") from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _from_cache(spec: DatasetSpec, cache: Path, *, download: bool) -> LocatedDataset:
    files, _ = _find_files(cache) if cache.is_dir() else ({}, [])
    for stem in FILE_STEMS:
        if stem in files:
            continue
        if not download:
            raise _DownloadFailed(f"lacks {stem}.gz and downloading is off (download=False)")
        files[stem] = _download(spec, stem + ".gz", cache)
    return _verified(spec, cache, files, f"cache dir {cache}")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# --------------------------------------------------------------------------- IDX parsing

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


# --------------------------------------------------------------------------- features

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


# --------------------------------------------------------------------------- splits


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
