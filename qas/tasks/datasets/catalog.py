"""What we know about each dataset: where it comes from, its four files and their published
checksums, and the lookup by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qas.core.errors import UnknownNameError


@dataclass(frozen=True)
class Checksum:
    """One published digest of one file, with where the number comes from."""

    algorithm: str  # a hashlib name: "sha256" or "md5"
    hexdigest: str
    origin: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest} ({self.origin})"


# File roles, in the order the rest of the package uses them.
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


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name (``fashion-mnist`` or ``mnist``)."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}"
        ) from None
