"""Result tables: one CSV reader and writer for every experiment script.

Scripts that fill a table piece by piece (one model, variant or seed at a time, possibly from two
processes side by side) merge their rows with :func:`upsert_rows`, which re-reads the file at
every write and replaces rows by key, so reruns of some rows keep the others."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Sequence


def write_rows(path: str | Path, rows: Sequence[dict[str, Any]], *, float_format: str | None = None) -> Path:
    """Write ``rows`` (dicts with the same keys) as CSV, creating the folder; floats optionally formatted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(k for r in rows for k in r))  # every column, in first-seen order
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: (format(v, float_format) if float_format and isinstance(v, float) else v) for k, v in r.items()})
    return path


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV written by :func:`write_rows` (values as strings); none if it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def upsert_rows(path: str | Path, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> Path:
    """Write ``rows`` into the table at ``path``, replacing the rows with the same ``key`` columns."""
    new = {tuple(str(r[k]) for k in key) for r in rows}
    kept = [r for r in read_rows(path) if tuple(r[k] for k in key) not in new]
    return write_rows(path, kept + list(rows))
