"""The shipped pretrained embedding files (``encoders/pretrained/``): which one a space uses,
and loading a space's store."""

from __future__ import annotations

import json
from pathlib import Path

from search_spaces.spec import SearchSpace

from encoders.errors import EmbeddingError
from encoders.store.embedding_store import EmbeddingStore

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


def pretrained_path(space: SearchSpace | str) -> Path | None:
    """The shipped pretrained file for a space, or ``None``. A name finds the file named after
    it; a space finds the file whose figures record its fingerprint (the built-in space of that
    name, an identical user space, or the cell space of a re-uploading one), never a file that
    only shares its name: a user's ``paper-4q.toml`` with other gates is not ``paper-4q``."""
    if isinstance(space, str):
        path = PRETRAINED_DIR / f"{space}.pt"
        return path if path.is_file() else None
    named = PRETRAINED_DIR / f"{space.name}.json"  # the likely match first, then every other
    for meta in [named] + sorted(m for m in PRETRAINED_DIR.glob("*.json") if m != named):
        try:
            fingerprint = json.loads(meta.read_text()).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            continue
        if fingerprint == space.fingerprint and meta.with_suffix(".pt").is_file():
            return meta.with_suffix(".pt")
    return None


def load_embeddings(
    embeddings: str | Path | None, space: SearchSpace | str, *, cache_dir: str | Path | None = None,
    progress: bool = False,
) -> EmbeddingStore:
    """The store for ``space``: ``embeddings`` if given, else the shipped pretrained file."""
    if embeddings is None:
        path = pretrained_path(space)
        if path is None:
            name = space if isinstance(space, str) else space.name
            shipped = ", ".join(sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt"))) or "none"
            raise EmbeddingError(
                f"no pretrained embeddings ship for space {name!r} (shipped: {shipped}); make some with "
                f"`qas pretrain --space {name} -o emb.pt` and pass `--embeddings emb.pt`"
            )
        embeddings = path
    return EmbeddingStore.load(embeddings, space=space, cache_dir=cache_dir, progress=progress)
