"""The embedding store: a trained model with its space, its pool and the pool's latent means.

It reads and writes embedding files (:mod:`encoders.store.file_format`); a compact file's
pool and latents are rebuilt through :mod:`encoders.store.compact_cache`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch

from qas.core.circuit import CircuitDAG
from search_spaces.spec import SearchSpace

from encoders.base import CircuitAutoencoder
from encoders.errors import CheckpointError, EmbeddingError
from encoders.featurizer import Featurizer, pool_digest
from encoders.store.compact_cache import rebuild_pool
from encoders.store.file_format import (
    decode_pool,
    encode_pool,
    model_header,
    model_of,
    read_checkpoint,
    space_of,
    write_checkpoint,
)

if TYPE_CHECKING:
    from encoders.pool_index import PoolIndex


class EmbeddingStore:
    """A trained model with its space, pool and the pool's latent means (one row each).

    ``pool`` and ``latents`` are what the latent-space agents read, through
    :class:`~encoders.pool_index.PoolIndex` (:meth:`index`), which decodes a latent point to
    the nearest unvisited pool circuit; :meth:`embed` encodes any circuit of the space, in the
    pool or not.
    """

    def __init__(
        self,
        *,
        model: CircuitAutoencoder,
        space: SearchSpace,
        pool: Sequence[CircuitDAG],
        latents: np.ndarray | None = None,
        pool_spec: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        path: Path | None = None,
    ) -> None:
        self.model = model.eval()
        self.space = space
        self.featurizer = Featurizer(space)
        self.pool = list(pool)
        if latents is None:
            latents = self._encode_pool()
        latents = np.ascontiguousarray(latents, dtype=np.float32)
        if latents.shape != (len(self.pool), model.latent):
            raise EmbeddingError(
                f"latent table of shape {latents.shape} does not fit a pool of {len(self.pool)} "
                f"circuits and a {model.latent}-dimensional latent space"
            )
        self.latents = latents
        self.pool_spec = dict(pool_spec or {"source": "inline"})
        self.pool_spec.setdefault("size", len(self.pool))
        self.meta = dict(meta or {})
        self.path = path
        self._positions: dict[str, int] | None = None

    # -- basics ------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.latents.shape[1]

    def __len__(self) -> int:
        return len(self.pool)

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"EmbeddingStore(space={self.space.name!r}, pool={len(self.pool)}, dim={self.dim}{where})"

    @property
    def keys(self) -> list[str]:
        """The pool's canonical circuit keys, in pool order."""
        return [d.key for d in self.pool]

    def circuit(self, i: int) -> CircuitDAG:
        return self.pool[int(i)]

    def position(self, dag: CircuitDAG) -> int | None:
        """Index of ``dag`` in the pool, or ``None``."""
        if self._positions is None:
            self._positions = {d.key: i for i, d in enumerate(self.pool)}
        return self._positions.get(dag.key)

    def index(self, space: SearchSpace | None = None) -> "PoolIndex":
        """The pool and its latents as latent agents read them (``space``: the searched space
        when this store holds its cells)."""
        from encoders.pool_index import PoolIndex

        return PoolIndex(self.pool, self.latents, space, encode=self.embed)

    # -- encode --------------------------------------------------------------------------------
    @torch.no_grad()
    def embed(self, circuits: CircuitDAG | Sequence[CircuitDAG], *, check: bool = True) -> np.ndarray:
        """Latent mean(s) of circuits of this space, in the pool or not: ``[latent]`` for one
        circuit, ``[n, latent]`` for a sequence. A circuit outside the space is an error."""
        single = isinstance(circuits, CircuitDAG)
        dags = [circuits] if single else list(circuits)
        if check:
            for dag in dags:
                problems = self.space.problems(dag)
                if problems:
                    raise EmbeddingError(
                        f"circuit is not in space {self.space.name!r}, which these embeddings were trained on: "
                        + "; ".join(problems)
                    )
        out = np.zeros((len(dags), self.dim), dtype=np.float32)
        for i in range(0, len(dags), 4096):
            table = self.featurizer.featurize_many(dags[i : i + 4096])
            out[i : i + 4096] = self.model.embed(table.batch(torch.arange(len(table)))).numpy()
        return out[0] if single else out

    def _encode_pool(self) -> np.ndarray:
        from encoders.metrics import embed_table

        return embed_table(self.model, self.featurizer.featurize_many(self.pool))

    # -- save ----------------------------------------------------------------------------------
    def save(self, path: str | Path, *, compact: bool = False) -> Path:
        """Write the store to ``path`` (atomically). ``compact`` keeps only what cannot be
        rebuilt: weights, space and the pool's seed/size/digest (sampled pools only)."""
        path = Path(path)
        header: dict[str, Any] = {
            "model": model_header(self.model),
            "space": self.space.to_dict(),
            "space_fingerprint": self.space.fingerprint,
            "pool": dict(self.pool_spec, size=len(self.pool), digest=pool_digest(self.keys)),
            "meta": self.meta,
        }
        tensors: dict[str, torch.Tensor] = {
            f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()
        }
        rebuildable = header["pool"].get("source") == "sampled"
        if compact and not rebuildable:
            raise EmbeddingError("only a sampled pool (seed and size known) can be saved compact")
        header["latents"] = "rebuild" if compact else "stored"
        if not compact:
            tensors["latents"] = torch.from_numpy(self.latents.copy())
            tensors["pool.keys"] = torch.from_numpy(
                np.frombuffer(b"".join(bytes.fromhex(k) for k in self.keys), dtype=np.uint8).reshape(-1, 32).copy()
            )
            header["pool"]["encoding"], pool_tensors = encode_pool(self.featurizer, self.pool)
            tensors.update(pool_tensors)
        write_checkpoint(path, header, tensors)
        self.path = path
        return path

    # -- load ----------------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        space: SearchSpace | str | None = None,
        cache_dir: str | Path | None = None,
        progress: bool = False,
    ) -> "EmbeddingStore":
        """Read an embedding file; with ``space`` (a space or its name), refuse a file made
        for another space. A compact file is completed from (or into) the cache."""
        path = Path(path)
        header, tensors, checksum = read_checkpoint(path)
        stored_space = space_of(path, header)
        if space is not None:
            if isinstance(space, str):
                from search_spaces import load_space

                space = load_space(space)
            if space.fingerprint != header["space_fingerprint"]:
                raise CheckpointError(
                    f"{path} holds embeddings for space {stored_space.name!r} (fingerprint "
                    f"{header['space_fingerprint']}), not for space {space.name!r} (fingerprint "
                    f"{space.fingerprint}); pretrain embeddings for it with `qas pretrain --space {space.name}`"
                )
        model = model_of(path, header, tensors, stored_space)
        pool_spec = dict(header["pool"])
        if header.get("latents") == "stored":
            pool = decode_pool(path, pool_spec, tensors, Featurizer(stored_space))
            if "latents" not in tensors:
                raise CheckpointError(f"{path} is corrupted: it has no latent table")
            latents = tensors["latents"].numpy()
            keys = tensors.get("pool.keys")
            if keys is not None:
                want = [bytes(r).hex() for r in keys.numpy()]
                if want != [d.key for d in pool]:
                    raise CheckpointError(f"{path} is corrupted: its pool does not match its stored circuit keys")
        elif header.get("latents") == "rebuild":
            pool, latents = rebuild_pool(path, checksum, stored_space, model, pool_spec, cache_dir, progress)
        else:
            raise CheckpointError(f"{path} is corrupted: unknown latent table mode {header.get('latents')!r}")
        if pool_digest(d.key for d in pool) != pool_spec.get("digest"):
            raise CheckpointError(f"{path} is corrupted: its pool does not match the stored pool digest")
        if latents.shape != (len(pool), model.latent):
            raise CheckpointError(f"{path} is corrupted: latent table of shape {tuple(latents.shape)} for {len(pool)} circuits")
        return cls(
            model=model, space=space if space is not None else stored_space, pool=pool, latents=latents, pool_spec=pool_spec,
            meta=header.get("meta", {}), path=path,
        )
