"""Checking a file against the published checksums of its dataset (once per file version)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from qas.tasks.datasets.catalog import Checksum
from qas.tasks.datasets.errors import DatasetCorruptError
from qas.tasks.datasets.stamps import _recalled, _remember, _stamp_key

log = logging.getLogger(__name__)


def _hash_file(path: Path, algorithms: Sequence[str]) -> dict[str, str]:
    hashers = {a: hashlib.new(a) for a in algorithms}
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in hashers.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


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
