"""Downloading a dataset's files into the cache dir: to a temp file, verified, then renamed."""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

from qas.tasks.datasets.catalog import DatasetSpec
from qas.tasks.datasets.checksums import verify_file

DOWNLOAD_TIMEOUT_S = 60.0


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
