"""Pools of circuits on disk: one canonical circuit JSON per line (JSONL)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from qas.core.circuit import CircuitDAG
from qas.core.errors import CircuitFormatError


def write_pool(path: str | Path, circuits: Iterable[CircuitDAG]) -> int:
    """Write circuits to ``path`` atomically (temp file, then rename); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w") as f:
        for dag in circuits:
            f.write(dag.to_json())
            f.write("\n")
            count += 1
    tmp.replace(path)
    return count


def iter_pool(path: str | Path) -> Iterator[CircuitDAG]:
    path = Path(path)
    if not path.is_file():
        raise CircuitFormatError(f"pool file {path} does not exist")
    with path.open() as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield CircuitDAG.from_json(line)
            except CircuitFormatError as exc:
                raise CircuitFormatError(f"{path}:{lineno}: {exc}") from None


def read_pool(path: str | Path) -> list[CircuitDAG]:
    return list(iter_pool(path))
