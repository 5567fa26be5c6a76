"""The embedding file format: one ``torch.save`` of plain containers only, read with
``weights_only=True``::

    {"format": "qas.embeddings", "version": 1,
     "header": "<JSON>",          # model config, space spec + fingerprint, pool spec, meta
     "tensors": {name: tensor},   # "model.<param>", and optionally "latents",
                                  # "pool.tokens"/"pool.lengths" or "pool.jsonl_zlib", "pool.keys"
     "checksum": "<sha256>"}      # over the header and every tensor's bytes

Nothing but tensors, strings and numbers is ever unpickled, so a crafted file cannot run
code; a file that holds anything else is refused. The checksum catches corruption, the
format version is checked, and the space fingerprint must match the space the caller uses.

Full and compact files
    A *full* file holds the pool (as compact gate tokens, see :mod:`encoders.store.tokens`,
    or zlib-compressed JSON lines when the circuits carry fixed angles or unusual roles), the
    pool's canonical keys (sha256) and the latent means. A *compact* file (the shipped
    pretrained ones) holds the weights and the pool's sampling seed, size and key digest
    only; :mod:`encoders.store.compact_cache` rebuilds the rest on first use.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import warnings
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError, check_version
from search_spaces.spec import SearchSpace, space_from_dict

from encoders.base import CircuitAutoencoder
from encoders.errors import CheckpointError, EmbeddingError
from encoders.featurizer import Featurizer
from encoders.store.tokens import pool_from_tokens, pool_tokens
from encoders.registry import ENCODERS

FORMAT = "qas.embeddings"
FORMAT_VERSION = 1


def write_checkpoint(path: Path, header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> Path:
    """Write ``header`` and ``tensors`` as an embedding file at ``path`` (atomically)."""
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
    return path


def encode_pool(featurizer: Featurizer, pool: Sequence[CircuitDAG]) -> tuple[str, dict[str, torch.Tensor]]:
    """``(encoding, tensors)`` of a pool as a full file stores it: gate tokens when every gate
    can be rebuilt from its token, else zlib-compressed JSON lines."""
    tokens = pool_tokens(featurizer, pool)
    if tokens is not None:
        return "tokens", {"pool.tokens": torch.from_numpy(tokens[0]), "pool.lengths": torch.from_numpy(tokens[1])}
    blob = zlib.compress("\n".join(d.to_json() for d in pool).encode(), 6)
    return "jsonl-zlib", {"pool.jsonl_zlib": torch.from_numpy(np.frombuffer(blob, dtype=np.uint8).copy())}


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


def space_of(path: Path, header: dict[str, Any]) -> SearchSpace:
    try:
        space = space_from_dict(header["space"], name=header["space"].get("name", "custom"))
    except QasError as exc:
        raise CheckpointError(f"{path}: its space spec cannot be read: {exc}") from None
    if space.fingerprint != header["space_fingerprint"]:
        raise CheckpointError(f"{path} is corrupted: its space spec does not match its space fingerprint")
    return space


def model_header(model: CircuitAutoencoder) -> dict[str, Any]:
    """The header's ``"model"`` entry, from which :func:`model_of` rebuilds ``model``: its
    registered name and its config."""
    cls = type(model)
    if not cls.name or cls.name not in ENCODERS or ENCODERS.get(cls.name) is not cls:
        raise EmbeddingError(
            f"{cls.__name__} is not a registered encoder, so a file could not rebuild it; register it in "
            f"encoders.registry.ENCODERS (registered: {', '.join(ENCODERS.names())})"
        )
    return {"class": cls.name, "config": model.config}


def model_of(
    path: Path, header: dict[str, Any], tensors: dict[str, torch.Tensor], space: SearchSpace
) -> CircuitAutoencoder:
    """The model of a file: its registered encoder, rebuilt from its config, with its weights."""
    spec = header["model"]
    if not isinstance(spec, dict) or spec.get("class") not in ENCODERS or not isinstance(spec.get("config"), dict):
        raise CheckpointError(f"{path}: unknown model {spec!r} (registered encoders: {', '.join(ENCODERS.names())})")
    try:
        model = ENCODERS.get(spec["class"]).from_config(spec["config"])
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


def decode_pool(path: Path, spec: dict[str, Any], tensors: dict[str, torch.Tensor], featurizer: Featurizer) -> list[CircuitDAG]:
    try:
        if spec.get("encoding") == "tokens":
            return pool_from_tokens(featurizer, tensors["pool.tokens"].numpy(), tensors["pool.lengths"].numpy())
        if spec.get("encoding") == "jsonl-zlib":
            text = zlib.decompress(tensors["pool.jsonl_zlib"].numpy().tobytes()).decode()
            return [CircuitDAG.from_json(line) for line in text.split("\n") if line]
    except (KeyError, zlib.error, QasError, ValueError, IndexError) as exc:
        raise CheckpointError(f"{path} is corrupted: its pool cannot be decoded: {exc}") from None
    raise CheckpointError(f"{path} is corrupted: unknown pool encoding {spec.get('encoding')!r}")
