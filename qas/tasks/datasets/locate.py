"""Finding a complete, verified copy of a dataset: an explicit ``data_dir``, then
``$QAS_DATA_DIR``, then Debian's package, then the cache dir (downloading what it lacks).
When nothing works the error lists every place tried and why."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qas.tasks.datasets.cache import cache_root
from qas.tasks.datasets.catalog import FILE_STEMS, DatasetSpec, dataset_spec
from qas.tasks.datasets.checksums import verify_file
from qas.tasks.datasets.download import _download, _DownloadFailed
from qas.tasks.datasets.errors import DatasetNotFoundError

# Module-level so tests (and unusual systems) can point them elsewhere.
DEBIAN_DATASETS_DIR = Path("/usr/share/datasets")
DATA_DIR_ENV = "QAS_DATA_DIR"


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

    An explicit ``data_dir`` is the only place looked at: a dataset missing there is an error,
    not a fall-back to another copy. Otherwise it looks in order at ``$QAS_DATA_DIR`` (or its
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
        if data_dir:  # an explicit folder is what the user wants: never fall back silently
            raise DatasetNotFoundError(
                f"dataset {spec.name!r} is not in the data_dir you gave ({data_dir}): {attempts.lines[-1].strip()}. "
                f"Put the four IDX files ({', '.join(s + '.gz' for s in FILE_STEMS)}) there, or leave --data-dir out"
            )
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


def _from_cache(spec: DatasetSpec, cache: Path, *, download: bool) -> LocatedDataset:
    files, _ = _find_files(cache) if cache.is_dir() else ({}, [])
    for stem in FILE_STEMS:
        if stem in files:
            continue
        if not download:
            raise _DownloadFailed(f"lacks {stem}.gz and downloading is off (download=False)")
        files[stem] = _download(spec, stem + ".gz", cache)
    return _verified(spec, cache, files, f"cache dir {cache}")
