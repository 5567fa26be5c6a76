"""Names and files to spaces: a built-in space by name, or a user space from a TOML file."""

from __future__ import annotations

from pathlib import Path

from qas.core.errors import SpaceError
from qas.core.tomlfile import read_toml
from search_spaces.builtin import SPACES
from search_spaces.spec import SearchSpace, space_from_dict


def load_space(name_or_path: str | Path | SearchSpace) -> SearchSpace:
    """A built-in space by name, or a user space from a TOML file (a space is returned as is)."""
    if isinstance(name_or_path, SearchSpace):
        return name_or_path
    text = str(name_or_path)
    if text in SPACES:
        return SPACES.get(text)()
    path = Path(text)
    if path.suffix.lower() == ".toml" or path.exists():
        return space_from_dict(read_toml(path, "space", SpaceError), name=path.stem)
    SPACES.get(text)  # raises UnknownNameError listing the built-in spaces
    raise AssertionError("unreachable")
