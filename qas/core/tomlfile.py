"""Reading a user's TOML file (a space spec, a search config) with one kind of clear error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from qas.core.errors import QasError


def read_toml(path: str | Path, what: str, error: type[QasError] = QasError) -> dict[str, Any]:
    """The parsed table; ``error`` names the file for a missing file or invalid TOML."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} file {path} does not exist")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
