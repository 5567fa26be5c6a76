"""The embedding store: one file with a trained circuit VGAE, its space, its pool and latents.

File format (``torch.save`` of plain containers only; read with ``weights_only=True``)::

    {"format": "qas.embeddings", "version": 1,
     "header": "<JSON>",          # model config, space spec + fingerprint, pool spec, meta
     "tensors": {name: tensor},   # "model.<param>", and optionally "latents",
                                  # "pool.tokens"/"pool.lengths" or "pool.jsonl_zlib", "pool.keys"
     "checksum": "<sha256>"}      # over the header and every tensor's bytes

Nothing but tensors, strings and numbers is ever unpickled, so a crafted file cannot run
code; a file that holds anything else is refused. The checksum catches corruption, the
format version is checked, and the space fingerprint must match the space the caller uses.

Full and compact files
    A *full* file holds the pool (as compact gate tokens, or zlib-compressed JSON lines when
    the circuits carry fixed angles or unusual roles), the pool's canonical keys (sha256) and
    the latent means. A *compact* file (the shipped pretrained ones) holds the weights and
    the pool's sampling seed, size and key digest only: on first use the pool is re-sampled
    and the latent table re-encoded, deterministically, into a cache directory
    (``$XDG_CACHE_HOME/qas/embeddings/<checksum>/``, default ``~/.cache/qas``), and the
    rebuilt pool's key digest must match the stored one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import QasError, check_version
from qas.core.gates import GATES
from search_spaces.spec import SearchSpace, space_from_dict

from encoders.errors import CheckpointError, EmbeddingError
from encoders.featurizer import Featurizer, pool_digest
from encoders.vgae import CircuitVGAE

FORMAT = "qas.embeddings"
FORMAT_VERSION = 1
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/qas/embeddings`` (``~/.cache/qas/embeddings`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qas" / "embeddings"


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
        model: CircuitVGAE,
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

        return PoolIndex(self.pool, self.latents, space)

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
            "model": {"class": "CircuitVGAE", "config": self.model.config},
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
            tokens = pool_tokens(self.featurizer, self.pool)
            if tokens is not None:
                header["pool"]["encoding"] = "tokens"
                tensors["pool.tokens"] = torch.from_numpy(tokens[0])
                tensors["pool.lengths"] = torch.from_numpy(tokens[1])
            else:
                header["pool"]["encoding"] = "jsonl-zlib"
                blob = zlib.compress("\n".join(d.to_json() for d in self.pool).encode(), 6)
                tensors["pool.jsonl_zlib"] = torch.from_numpy(np.frombuffer(blob, dtype=np.uint8).copy())
        text = json.dumps(header, sort_keys=True)
        payload = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "header": text,
            "tensors": tensors,
            "checksum": _checksum(text, tensors),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(payload, tmp)
        tmp.replace(path)
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
        stored_space = _space_of(path, header)
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
        model = _model_of(path, header, tensors, stored_space)
        pool_spec = dict(header["pool"])
        if header.get("latents") == "stored":
            pool = _pool_of(path, pool_spec, tensors, Featurizer(stored_space))
            if "latents" not in tensors:
                raise CheckpointError(f"{path} is corrupted: it has no latent table")
            latents = tensors["latents"].numpy()
            keys = tensors.get("pool.keys")
            if keys is not None:
                want = [bytes(r).hex() for r in keys.numpy()]
                if want != [d.key for d in pool]:
                    raise CheckpointError(f"{path} is corrupted: its pool does not match its stored circuit keys")
        elif header.get("latents") == "rebuild":
            pool, latents = _rebuild(path, checksum, stored_space, model, pool_spec, cache_dir, progress)
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


# -- file reading --------------------------------------------------------------------------------
def read_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor], str]:
    """``(header, tensors, checksum)`` of a verified embedding file, or :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"embedding file {path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. torch's note on an unusual pickle protocol
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" in str(exc).lower() or "weights_only" in str(exc).lower():
            raise CheckpointError(
                f"{path} contains Python objects other than tensors and plain containers; refusing to load it "
                "(a qas embedding file never does, and unpickling such objects can run arbitrary code)"
            ) from None
        raise CheckpointError(f"{path} is not a readable qas embedding file (corrupted?): {exc}") from None
    except Exception as exc:  # torch.load on damaged bytes raises many types (struct.error, RuntimeError, ...)
        raise CheckpointError(
            f"{path} is not a readable qas embedding file (corrupted?): {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a qas embedding file (no {FORMAT!r} format tag)")
    check_version(payload.get("version"), FORMAT_VERSION, f"{path}: embedding format", CheckpointError)
    text, tensors, checksum = payload.get("header"), payload.get("tensors"), payload.get("checksum")
    if not isinstance(text, str) or not isinstance(tensors, dict) or not isinstance(checksum, str):
        raise CheckpointError(f"{path} is corrupted: header, tensors or checksum missing")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()):
        raise CheckpointError(f"{path} is corrupted: its tensor table holds something other than tensors")
    try:
        ok = _checksum(text, tensors) == checksum
    except Exception as exc:  # e.g. a damaged file yielding a tensor that cannot be read back
        raise CheckpointError(f"{path} is corrupted: {type(exc).__name__}: {exc}") from None
    if not ok:
        raise CheckpointError(f"{path} is corrupted: checksum mismatch")
    try:
        header = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path} is corrupted: header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path} is corrupted: header is not a JSON object")
    for key in ("model", "space", "space_fingerprint", "pool"):
        if key not in header:
            raise CheckpointError(f"{path} is corrupted: header has no {key!r}")
    return header, tensors, checksum


def _checksum(text: str, tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256(text.encode())
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _space_of(path: Path, header: dict[str, Any]) -> SearchSpace:
    try:
        space = space_from_dict(header["space"], name=header["space"].get("name", "custom"))
    except QasError as exc:
        raise CheckpointError(f"{path}: its space spec cannot be read: {exc}") from None
    if space.fingerprint != header["space_fingerprint"]:
        raise CheckpointError(f"{path} is corrupted: its space spec does not match its space fingerprint")
    return space


def _model_of(path: Path, header: dict[str, Any], tensors: dict[str, torch.Tensor], space: SearchSpace) -> CircuitVGAE:
    spec = header["model"]
    if not isinstance(spec, dict) or spec.get("class") != "CircuitVGAE" or not isinstance(spec.get("config"), dict):
        raise CheckpointError(f"{path}: unknown model {spec!r}")
    try:
        model = CircuitVGAE.from_config(spec["config"])
    except (TypeError, ValueError, QasError) as exc:
        raise CheckpointError(f"{path}: cannot rebuild its model from config: {exc}") from None
    if model.kinds != space.gates or model.num_qubits != space.num_qubits:
        raise CheckpointError(f"{path}: its model's gate alphabet or qubit count differs from its space's")
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: its weights do not fit its model config: {exc}") from None
    return model.eval()


def _pool_of(path: Path, spec: dict[str, Any], tensors: dict[str, torch.Tensor], featurizer: Featurizer) -> list[CircuitDAG]:
    try:
        if spec.get("encoding") == "tokens":
            return pool_from_tokens(featurizer, tensors["pool.tokens"].numpy(), tensors["pool.lengths"].numpy())
        if spec.get("encoding") == "jsonl-zlib":
            text = zlib.decompress(tensors["pool.jsonl_zlib"].numpy().tobytes()).decode()
            return [CircuitDAG.from_json(line) for line in text.split("\n") if line]
    except (KeyError, zlib.error, QasError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{path} is corrupted: its pool cannot be decoded: {exc}") from None
    raise CheckpointError(f"{path} is corrupted: unknown pool encoding {spec.get('encoding')!r}")


# -- compact pools: gate tokens ----------------------------------------------------------------
def pool_tokens(featurizer: Featurizer, pool: Sequence[CircuitDAG]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(tokens [M, G, 3] int8: kind, first qubit, second qubit or -1; lengths [M] int16)``
    for the graph gates of each circuit, or ``None`` if some gate cannot be rebuilt from
    its token alone (a fixed angle, or a role other than the default for its kind)."""
    for dag in pool:
        for g in featurizer.graph_gates(dag):
            if g.angles or g.role != ("trainable" if g.spec.parameterized else "none"):
                return None
    tok, lengths = featurizer.tokens(pool)
    if featurizer.num_qubits > 127 or featurizer.max_gates > 32767:
        return None
    return tok[:, :, :3].astype(np.int8), lengths.astype(np.int16)


def pool_from_tokens(featurizer: Featurizer, tokens: np.ndarray, lengths: np.ndarray) -> list[CircuitDAG]:
    """Inverse of :func:`pool_tokens` (gate objects are shared between circuits)."""
    gates: dict[tuple[int, int, int], Gate] = {}
    space = featurizer.space
    out = []
    rows = tokens.tolist()
    for row, n in zip(rows, lengths.tolist()):
        gs = []
        for t in row[:n]:
            key = (t[0], t[1], t[2])
            g = gates.get(key)
            if g is None:
                kind = featurizer.kinds[t[0]]
                q = (t[1],) if t[2] < 0 else (t[1], t[2])
                g = gates[key] = Gate(kind, q, "trainable" if GATES.get(kind).parameterized else "none")
            gs.append(g)
        out.append(space.build(gs))
    return out


# -- compact files: rebuild into the cache --------------------------------------------------------
def _rebuild(
    path: Path,
    checksum: str,
    space: SearchSpace,
    model: CircuitVGAE,
    spec: dict[str, Any],
    cache_dir: str | Path | None,
    progress: bool,
) -> tuple[list[CircuitDAG], np.ndarray]:
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
            tmp = cdir / "pool_tokens.tmp.npz"
            np.savez(tmp, tokens=tokens[0], lengths=tokens[1])
            tmp.replace(tok_file)
            tmp = cdir / "latents.tmp.npy"
            np.save(tmp, latents)
            tmp.replace(lat_file)
    except OSError:
        pass  # no writable cache: rebuilt again next time
    return pool, latents


# -- pretrained files ----------------------------------------------------------------------------
def pretrained_path(space: SearchSpace | str) -> Path | None:
    """The shipped pretrained file for a space, or ``None``: the file named after the space,
    else one whose figures file records the same space fingerprint (an identical user space,
    or the cell space of a re-uploading one)."""
    name = space if isinstance(space, str) else space.name
    path = PRETRAINED_DIR / f"{name}.pt"
    if path.is_file() or isinstance(space, str):
        return path if path.is_file() else None
    for meta in sorted(PRETRAINED_DIR.glob("*.json")):
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
