"""Compact files: their pool re-sampled and its latent table re-encoded, deterministically,
into a cache directory (``$XDG_CACHE_HOME/qas/embeddings/<checksum>/``, default
``~/.cache/qas``). The rebuilt pool's key digest must match the one the file stores.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from search_spaces.spec import SearchSpace

from encoders.base import CircuitAutoencoder
from encoders.errors import CheckpointError
from encoders.featurizer import Featurizer, pool_digest
from encoders.store.tokens import pool_from_tokens, pool_tokens


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/qas/embeddings`` (``~/.cache/qas/embeddings`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qas" / "embeddings"


def rebuild_pool(
    path: Path,
    checksum: str,
    space: SearchSpace,
    model: CircuitAutoencoder,
    spec: dict[str, Any],
    cache_dir: str | Path | None,
    progress: bool,
) -> tuple[list[CircuitDAG], np.ndarray]:
    """The pool and latent table of the compact file ``path`` (``checksum``: its checksum), from
    the cache or rebuilt into it."""
    if spec.get("source") != "sampled" or not isinstance(spec.get("seed"), int) or not isinstance(spec.get("size"), int):
        raise CheckpointError(f"{path} is corrupted: a compact file needs a sampled pool spec, got {spec!r}")
    featurizer = Featurizer(space)
    cdir = Path(cache_dir) if cache_dir is not None else cache_root()
    cdir = cdir / checksum[:24]
    tok_file, lat_file = cdir / "pool_tokens.npz", cdir / "latents.npy"
    if tok_file.is_file() and lat_file.is_file():
        try:
            with np.load(tok_file) as z:
                pool = pool_from_tokens(featurizer, z["tokens"], z["lengths"])
            latents = np.load(lat_file)
            if pool_digest(d.key for d in pool) == spec.get("digest") and latents.shape == (len(pool), model.latent):
                return pool, latents
        except (OSError, ValueError, KeyError, IndexError, QasError, zipfile.BadZipFile):
            pass  # a broken cache entry is rebuilt below
    from search_spaces import sample_pool

    t0 = time.perf_counter()
    if progress:
        from qas.core.console import err_console, progress_bar

        with progress_bar(transient=True) as bar:
            task = bar.add_task(f"rebuilding the {space.name} pool", total=spec["size"])
            pool = list(sample_pool(space, spec["size"], seed=spec["seed"], on_progress=lambda k: bar.update(task, completed=k)))
    else:
        pool = list(sample_pool(space, spec["size"], seed=spec["seed"]))
    if pool_digest(d.key for d in pool) != spec.get("digest"):
        raise CheckpointError(
            f"{path}: re-sampling its pool ({spec['size']} circuits of {space.name!r}, seed {spec['seed']}) gave "
            "different circuits than it was trained on (did the sampler change?); re-run `qas pretrain`"
        )
    from encoders.metrics import embed_table

    latents = embed_table(model, featurizer.featurize_many(pool))
    if progress:
        err_console.print(f"rebuilt {len(pool)} pool latents for {path.name} in {time.perf_counter() - t0:.1f} s")
    try:
        cdir.mkdir(parents=True, exist_ok=True)
        tokens = pool_tokens(featurizer, pool)
        if tokens is not None:
            tmp = cdir / f"pool_tokens.{os.getpid()}.tmp.npz"  # per process: workers may rebuild side by side
            np.savez(tmp, tokens=tokens[0], lengths=tokens[1])
            tmp.replace(tok_file)
            tmp = cdir / f"latents.{os.getpid()}.tmp.npy"
            np.save(tmp, latents)
            tmp.replace(lat_file)
    except OSError:
        pass  # no writable cache: rebuilt again next time
    return pool, latents
