"""Files already verified, remembered by (path, size, mtime): in-process and in a stamp file in
the cache dir, so each file is hashed once, not at every load."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from qas.tasks.datasets.cache import atomic_write_bytes, cache_root

log = logging.getLogger(__name__)


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
        atomic_write_bytes(_stamp_file(), json.dumps(stamps, indent=1, sort_keys=True).encode())
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
