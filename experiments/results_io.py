"""Writing result tables: one CSV writer for every experiment script."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Sequence


def write_rows(path: str | Path, rows: Sequence[dict[str, Any]], *, float_format: str | None = None) -> Path:
    """Write ``rows`` (dicts with the same keys) as CSV, creating the folder; floats optionally formatted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (format(v, float_format) if float_format and isinstance(v, float) else v) for k, v in r.items()})
    return path
