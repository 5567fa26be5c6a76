"""The dataset layer: where files are found, that bad files are caught, features, splits.

Uses the real Fashion-MNIST files of Debian's dataset-fashion-mnist package (installed by
scripts/setup.sh); the cache dir is redirected to a temporary folder for the whole module.
"""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from qas.core.errors import QasError, UnknownNameError
from qas.tasks import datasets as ds

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not DEBIAN_FASHION.is_dir(), reason="needs Debian's dataset-fashion-mnist (scripts/setup.sh)"
)
FILES = [stem + ".gz" for stem in ds.FILE_STEMS]


@pytest.fixture(scope="module", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """One cache dir for the module (features computed once), no $QAS_DATA_DIR leaking in."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        mp.delenv(ds.DATA_DIR_ENV, raising=False)
        yield


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str, dest: Path, timeout: float = 0) -> None:
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(ds.download, "_fetch_url", refuse)


def link_files(directory: Path, source: Path = DEBIAN_FASHION) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (directory / name).symlink_to(source / name)
    return directory


# --------------------------------------------------------------------------- locating


@needs_fashion
def test_explicit_data_dir_wins_over_env_and_debian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = link_files(tmp_path / "explicit")
    monkeypatch.setenv(ds.DATA_DIR_ENV, str(link_files(tmp_path / "env")))
    located = ds.locate_dataset("fashion-mnist", explicit)
    assert located.directory == explicit
    assert located.source == "data_dir argument"
    assert set(located.files) == set(ds.FILE_STEMS)


@needs_fashion
def test_env_var_with_dataset_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link_files(tmp_path / "fashion-mnist")
    monkeypatch.setenv(ds.DATA_DIR_ENV, str(tmp_path))
    located = ds.locate_dataset("fashion-mnist")
    assert located.directory == tmp_path / "fashion-mnist"
    assert located.source == "$QAS_DATA_DIR"


@needs_fashion
def test_an_explicit_data_dir_without_the_files_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent fall-back to another copy (here the Debian package and $QAS_DATA_DIR both have it)."""
    link_files(tmp_path / "fashion-mnist")
    monkeypatch.setenv(ds.DATA_DIR_ENV, str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ds.DatasetNotFoundError, match=f"not in the data_dir you gave \\({empty}\\)") as info:
        ds.locate_dataset("fashion-mnist", data_dir=empty)
    assert "\n" not in str(info.value) and "leave --data-dir out" in str(info.value)


@needs_fashion
def test_falls_back_to_debian_package() -> None:
    located = ds.locate_dataset("fashion-mnist")
    assert located.directory == DEBIAN_FASHION
    assert "apt-get install dataset-fashion-mnist" in located.source


@needs_fashion
def test_uncompressed_files_are_accepted(tmp_path: Path) -> None:
    directory = tmp_path / "raw"
    directory.mkdir()
    for name in FILES:
        with gzip.open(DEBIAN_FASHION / name) as src, open(directory / name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    located = ds.locate_dataset("fashion-mnist", directory)
    assert located.files[ds.TEST_LABELS].name == "t10k-labels-idx1-ubyte"
    images, labels = ds.load_images("fashion-mnist", "test", directory)
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)


def test_missing_everywhere_names_every_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    monkeypatch.setattr(ds.locate, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(ds.DATA_DIR_ENV, str(tmp_path / "from-env"))
    with pytest.raises(ds.DatasetNotFoundError) as info:
        ds.locate_dataset("fashion-mnist")
    message = str(info.value)
    for expected in (
        "$QAS_DATA_DIR", str(tmp_path / "from-env"),
        str(tmp_path / "debian" / "fashion-mnist"), "apt-get install dataset-fashion-mnist",
        str(tmp_path / "cache" / "qas" / "datasets" / "fashion-mnist"),
        ds.FASHION_MNIST.url("train-images-idx3-ubyte.gz"), "no network in tests",
    ):
        assert expected in message
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, QasError)
    leftovers = list((tmp_path / "cache").rglob("*.part"))
    assert leftovers == []


def test_mnist_says_no_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ds.DatasetNotFoundError, match="no Debian package ships mnist") as info:
        ds.locate_dataset("mnist")
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in str(info.value)


def test_download_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ds.DatasetNotFoundError, match="download=False"):
        ds.locate_dataset("mnist", download=False)


@needs_fashion
def test_download_verifies_and_renames_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ds.locate, "DEBIAN_DATASETS_DIR", tmp_path / "debian")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fetched: list[str] = []

    def serve_from_debian(url: str, dest: Path, timeout: float = 0) -> None:
        fetched.append(url)
        shutil.copyfile(DEBIAN_FASHION / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(ds.download, "_fetch_url", serve_from_debian)
    located = ds.locate_dataset("fashion-mnist")
    cache = tmp_path / "cache" / "qas" / "datasets" / "fashion-mnist"
    assert located.directory == cache and len(fetched) == 4
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES)  # no temp files left
    ds.locate_dataset("fashion-mnist")
    assert len(fetched) == 4  # complete now: nothing downloaded again


def test_download_with_wrong_checksum_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(ds.download, "_fetch_url", lambda url, dest, timeout=0: Path(dest).write_bytes(b"<html>"))
    with pytest.raises(ds.DatasetNotFoundError, match="matches none of the known"):
        ds.locate_dataset("mnist")
    assert not any((tmp_path / "qas" / "datasets" / "mnist").iterdir())


# --------------------------------------------------------------------------- checksums


@needs_fashion
def test_corrupt_file_is_named_with_both_checksums(tmp_path: Path) -> None:
    directory = tmp_path / "corrupt"
    link_files(directory)
    victim = directory / "t10k-labels-idx1-ubyte.gz"
    victim.unlink()
    data = bytearray((DEBIAN_FASHION / victim.name).read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(ds.DatasetCorruptError) as info:
        ds.locate_dataset("fashion-mnist", directory)
    message = str(info.value)
    assert str(victim) in message
    assert "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05" in message  # expected
    import hashlib

    assert hashlib.sha256(bytes(data)).hexdigest() in message  # actual


@needs_fashion
def test_checksum_is_computed_once_then_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "t10k-labels-idx1-ubyte.gz"
    shutil.copyfile(DEBIAN_FASHION / copy.name, copy)
    known = ds.FASHION_MNIST.checksums[copy.name]
    first = ds.verify_file(copy, known)
    assert first.startswith("sha256:8d3605d1")

    def must_not_hash(*args: object) -> None:
        raise AssertionError("hashed again")

    monkeypatch.setattr(ds.checksums, "_hash_file", must_not_hash)
    monkeypatch.setattr(ds.stamps, "_VERIFIED", {})  # a new process: only the stamp file is left
    assert ds.verify_file(copy, known) == first
    os.utime(copy, ns=(0, 0))  # touched: must be checked again
    with pytest.raises(AssertionError, match="hashed again"):
        ds.verify_file(copy, known)


# --------------------------------------------------------------------------- IDX


@needs_fashion
def test_idx_shapes_and_dtypes() -> None:
    images, labels = ds.load_images("fashion-mnist", "train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [6000] * 10
    test_images, test_labels = ds.load_images("fashion-mnist", "test")
    assert test_images.shape == (10000, 28, 28) and np.bincount(test_labels).tolist() == [1000] * 10


def write_idx(path: Path, array: np.ndarray, type_code: int = 0x08) -> Path:
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(array.dtype.newbyteorder(">")).tobytes())
    return path


def test_idx_roundtrip_of_other_types(tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 5
    assert np.array_equal(ds.read_idx(write_idx(tmp_path / "a.idx", array, 0x0B)), array)


@pytest.mark.parametrize(
    "content, complaint",
    [
        (b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
        (b"\x00\x00\x42\x01" + struct.pack(">I", 1) + b"\x00", "unsupported IDX type"),
        (b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 28, 28) + b"\x00" * 100, "needs 1584"),
        (b"\x00\x00\x08\x03\x00", "truncated header"),
    ],
)
def test_malformed_idx_is_named(tmp_path: Path, content: bytes, complaint: str) -> None:
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(ds.IdxFormatError, match=complaint) as info:
        ds.read_idx(path)
    assert str(path) in str(info.value)


def test_not_gzip_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ds.IdxFormatError, match=str(path)):
        ds.read_idx(path)


# --------------------------------------------------------------------------- features


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Row i: weights of the inputs for output i (align_corners=False, edges clamped)."""
    matrix = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = max((i + 0.5) * n_in / n_out - 0.5, 0.0)
        lo = int(np.floor(src))
        hi = min(lo + 1, n_in - 1)
        matrix[i, lo] += 1 - (src - lo)
        matrix[i, hi] += src - lo
    return matrix


def test_pooling_by_hand_on_synthetic_images() -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    normalised = (images / 255.0 - 0.1307) / 0.3081
    crop = normalised[:, 2:26, 2:26]
    # 6x6: plain 4x4 block means of the 24x24 crop.
    six = crop.reshape(3, 6, 4, 6, 4).mean(axis=(2, 4)).reshape(3, 36)
    np.testing.assert_allclose(ds.image_features(images, 6), six, atol=1e-5)
    # 4x4: resize the crop to 28x28 by bilinear interpolation, then 6x6 block means of the
    # top-left 24x24 of that (avg_pool2d(6) on 28 drops the last 4 rows and columns).
    m = bilinear_matrix(24, 28)
    resized = np.einsum("ij,njk,lk->nil", m, crop, m)
    four = resized[:, :24, :24].reshape(3, 4, 6, 4, 6).mean(axis=(2, 4)).reshape(3, 16)
    np.testing.assert_allclose(ds.image_features(images, 4), four, atol=1e-5)


def test_constant_image_gives_its_normalised_value() -> None:
    images = np.full((1, 28, 28), 200, dtype=np.uint8)
    expected = (200 / 255 - 0.1307) / 0.3081
    for side in (4, 6):
        np.testing.assert_allclose(ds.image_features(images, side), expected, rtol=1e-6)


def test_row_major_order() -> None:
    images = np.zeros((1, 28, 28), dtype=np.uint8)
    images[0, 2:6, 6:10] = 255  # crop block (row 0, col 1)
    features = ds.image_features(images, 6)[0]
    assert int(np.argmax(features)) == 1


def test_feature_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="side"):
        ds.image_features(np.zeros((1, 28, 28), np.uint8), 5)
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        ds.image_features(np.zeros((1, 24, 24), np.uint8), 4)


@needs_fashion
@pytest.mark.parametrize("side", [4, 6])
def test_features_shape_dtype_and_cache(side: int, monkeypatch: pytest.MonkeyPatch) -> None:
    x_train, y_train, x_test, y_test = ds.load_features("fashion-mnist", side)
    assert x_train.shape == (60000, side * side) and x_train.dtype == np.float32
    assert x_test.shape == (10000, side * side) and y_test.shape == (10000,)
    images, _ = ds.load_images("fashion-mnist", "test")
    np.testing.assert_array_equal(x_test[:500], ds.image_features(images[:500], side))

    def must_not_compute(*args: object) -> None:
        raise AssertionError("features recomputed instead of read from the cache")

    monkeypatch.setattr(ds.features, "_compute_features", must_not_compute)
    again = ds.load_features("fashion-mnist", side)
    np.testing.assert_array_equal(again[0], x_train)
    np.testing.assert_array_equal(again[3], y_test)


# --------------------------------------------------------------------------- splits


@needs_fashion
def test_split_sizes_for_two_classes() -> None:
    data = ds.load_classification("fashion-mnist", [3, 6])
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (11400, 600, 2000)
    assert data.x_train.shape[1] == data.n_features == 16
    assert data.classes == (3, 6) and data.n_classes == 2
    assert set(np.unique(data.y_train)) == {0, 1}
    assert not data.x_train.flags.writeable


@needs_fashion
def test_filtering_relabels_in_the_given_order() -> None:
    data = ds.load_classification("fashion-mnist", [6, 3])  # shirt -> 0, dress -> 1
    images, labels = ds.load_images("fashion-mnist", "test")
    keep = np.isin(labels, [6, 3])
    np.testing.assert_array_equal(data.y_test, np.where(labels[keep] == 6, 0, 1))
    np.testing.assert_array_equal(data.x_test, ds.image_features(images[keep], 4))


@needs_fashion
def test_train_and_val_partition_the_filtered_training_split() -> None:
    data = ds.load_classification("fashion-mnist", [0, 1, 2, 3])
    x_all, y_all, _, _ = ds.load_features("fashion-mnist", 4)
    keep = np.isin(y_all, [0, 1, 2, 3])

    def rows(x: np.ndarray) -> np.ndarray:
        return np.sort(np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1])))[:, 0])

    np.testing.assert_array_equal(rows(np.vstack([data.x_train, data.x_val])), rows(x_all[keep]))
    assert len(data.x_val) == 1200 and np.bincount(np.concatenate([data.y_train, data.y_val])).tolist() == [6000] * 4


@needs_fashion
def test_seeded_splits_and_limits() -> None:
    a = ds.load_classification("fashion-mnist", [3, 6], seed=1, train_limit=100, test_limit=50)
    b = ds.load_classification("fashion-mnist", [3, 6], seed=1, train_limit=100, test_limit=50)
    c = ds.load_classification("fashion-mnist", [3, 6], seed=2, train_limit=100, test_limit=50)
    assert (len(a.x_train), len(a.x_val), len(a.x_test)) == (100, 600, 50)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.x_val, c.x_val) and not np.array_equal(a.x_train, c.x_train)


@needs_fashion
def test_ten_classes_with_36_features() -> None:
    data = ds.load_classification("fashion-mnist", range(10), pool=6)
    assert data.x_train.shape == (57000, 36) and data.x_val.shape == (3000, 36)
    assert data.x_test.shape == (10000, 36)


@pytest.mark.parametrize("classes", [[3], [3, 3], [3, 10], [-1, 2]])
def test_bad_classes(classes: list[int]) -> None:
    with pytest.raises(ValueError):
        ds.load_classification("fashion-mnist", classes)


def test_unknown_dataset() -> None:
    with pytest.raises(UnknownNameError, match="fashion-mnist"):
        ds.load_classification("cifar", [0, 1])


# --------------------------------------------------------------------------- baseline


@needs_fashion
def test_logistic_regression_reproduces_the_reference_on_3_vs_6() -> None:
    from qas.tasks.baselines import logistic_regression_accuracy

    result = logistic_regression_accuracy(ds.load_classification("fashion-mnist", [3, 6]))
    assert abs(result["test_acc"] - 0.903) < 0.005  # measured earlier on this protocol
    assert result["n_train"] == 11400 and result["n_val"] == 600 and result["n_test"] == 2000


def test_logistic_regression_is_deterministic_and_works_without_a_validation_split() -> None:
    from qas.tasks.baselines import L2_GRID, logistic_regression_accuracy

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=2.0, size=(3, 4))

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 3, n)
        return (centres[y] + rng.normal(size=(n, 4))).astype(np.float32), y

    (xt, yt), (xv, yv), (xs, ys) = split(600), split(100), split(200)
    data = ds.ClassificationData(xt, yt, xv, yv, xs, ys, classes=(0, 1, 2))
    first, again = logistic_regression_accuracy(data), logistic_regression_accuracy(data)
    assert {k: v for k, v in first.items() if k != "seconds"} == {k: v for k, v in again.items() if k != "seconds"}
    assert first["l2"] in L2_GRID and first["test_acc"] > 0.85 and first["n_train"] == 600
    no_val = ds.ClassificationData(xt, yt, xv[:0], yv[:0], xs, ys, classes=(0, 1, 2))
    result = logistic_regression_accuracy(no_val)
    assert np.isnan(result["val_acc"]) and np.isnan(result["val_log_loss"]) and result["test_acc"] > 0.85


@needs_fashion
def test_task_val_fraction_carves_a_larger_validation_split() -> None:
    from qas.tasks.classification import ImageClassification

    protocol, wide = ImageClassification(), ImageClassification(val_fraction=0.2)
    n = len(protocol.split("train").targets) + len(protocol.split("val").targets)
    assert len(protocol.split("val").targets) == round(0.05 * n) == 600
    assert len(wide.split("val").targets) == round(0.2 * n) == 2400
    assert len(wide.split("train").targets) + 2400 == n
    assert np.array_equal(protocol.split("test").features, wide.split("test").features)  # test never moves
    assert "val_fraction" not in protocol.config() and wide.config()["val_fraction"] == 0.2
    with pytest.raises(QasError, match="val_fraction"):
        ImageClassification(val_fraction=1.5)
