"""The tabular benchmark as search experiments see it: labelled pool, lookup tasks, latents.

``load_table(npz)`` rebuilds the labelled circuits (re-sampled from the pool seed, checked
against the stored hashes) and returns a :class:`Table`. ``lookup_tasks(table)`` turns its
score columns into :class:`LookupTask` s (objective + success criterion). ``latents_for``
is the one place embeddings come from (swap it when ``encoders`` changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = RESULTS / "cache"

THRESHOLDS = {
    4: {"state-prep": 0.95, "maxcut": 0.95, "vqe-h2": 0.95, "tfim": 0.95},
    8: {"state-prep": 0.75, "maxcut": 0.925, "tfim": 0.9},
}


@dataclass
class Table:
    space: object
    pool: list            # labelled circuits, row order
    hashes: list[str]     # 32-hex prefix of each circuit's key
    scores: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    meta: dict
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.pool)


@dataclass
class LookupTask:
    name: str             # e.g. "vqe-h2-chem"
    column: str           # score column searched (the objective)
    objective: np.ndarray  # score per row (what agents maximise)
    success: np.ndarray    # bool per row: above threshold
    criterion: str         # human-readable success rule


def load_table(path: str | Path, limit: int | None = None) -> Table:
    from search_spaces import load_space, sample_pool

    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    space = load_space(meta["space"])
    idx = z["pool_index"]
    # limit N: the circuits of pool index < N (a fixed, reproducible slice of a growing table)
    keep = np.arange(len(idx)) if limit is None else np.flatnonzero(idx < limit)
    if limit is not None and len(keep) < limit:
        import warnings

        warnings.warn(f"{path}: only {len(keep)} of the first {limit} pool circuits are labelled yet")
    need = int(idx[keep].max()) + 1
    full = []
    for dag in sample_pool(space, need, seed=meta["pool_seed"]):
        full.append(dag)
    pool = [full[int(i)] for i in idx[keep]]
    hashes = [bytes(h).hex() for h in z["hash"][keep]]
    bad = [i for i, (d, h) in enumerate(zip(pool, hashes)) if not d.key.startswith(h)]
    if bad:
        raise RuntimeError(f"{path}: {len(bad)} re-sampled circuits do not match the stored hashes")
    scores = {k.split("/", 1)[1]: z[k][keep] for k in z.files if k.startswith("score/")}
    metrics = {k.split("/", 1)[1]: z[k][keep] for k in z.files if k.startswith("metric/")}
    return Table(space, pool, hashes, scores, metrics, meta, Path(path))


def lookup_tasks(table: Table) -> list[LookupTask]:
    nq = table.space.num_qubits
    out = []
    for col, s in table.scores.items():
        thr = THRESHOLDS[nq][col]
        out.append(LookupTask(col, col, s.astype(np.float64), s >= thr, f"score >= {thr}"))
        if col == "vqe-h2" and "vqe-h2/chemical_accuracy" in table.metrics:
            ok = table.metrics["vqe-h2/chemical_accuracy"] >= 0.5
            out.append(LookupTask("vqe-h2-chem", col, s.astype(np.float64), ok, "|E - E0| <= 1.6 mHa"))
    return out


def latents_for(pool: list, space: object, source: str = "frozen") -> tuple[np.ndarray, str]:
    """Latent means of ``pool`` and where they came from (swap this when ``encoders`` changes).

    ``source="frozen"`` (default, what the committed results used): the frozen latents of a
    local VGAE, ``results/latents_<space>.npz``, written by ``experiments/pretrain_local.py``
    (looked up by circuit hash). ``source="shipped"``: the shipped checkpoint
    ``encoders/pretrained/<space>.pt`` (falls back to frozen if it is missing or fails to load).
    """
    if source == "struct-pca":
        # diagnostic: encoder-free structural counts, standardised, PCA to the VGAE's latent size
        x = StructuralFeatures(pool, space)(pool)
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        k = 16 if space.num_qubits <= 4 else 32
        u, sv, _ = np.linalg.svd(x, full_matrices=False)
        return (u[:, :k] * sv[:k] / np.sqrt(len(x))).astype(np.float32), f"structural PCA-{k} (no encoder)"
    try:
        if source != "shipped":
            raise LookupError("frozen latents requested")
        from encoders.store import EmbeddingStore, pretrained_path

        path = pretrained_path(space)
        if path is not None:
            store = EmbeddingStore.load(path, space=space)
            return store.embed(pool, check=False).astype(np.float32), f"shipped: {path}"
    except LookupError:
        pass
    except Exception as exc:  # noqa: BLE001 - fall back to the frozen table, say so
        print(f"warning: shipped embeddings for {space.name} unusable ({exc}); using frozen latents")
    frozen = RESULTS / f"latents_{space.name}.npz"
    if not frozen.exists():
        raise FileNotFoundError(
            f"no embeddings for {space.name}: no encoders/pretrained/{space.name}.pt and no {frozen}; "
            f"run `python experiments/pretrain_local.py --space {space.name}`")
    z = np.load(frozen)
    pos = {bytes(h).hex(): i for i, h in enumerate(z["hash"])}
    rows = [pos.get(d.key[:32]) for d in pool]
    missing = sum(r is None for r in rows)
    if missing:
        raise KeyError(f"{frozen}: {missing} of {len(pool)} circuits have no latent; re-run pretrain_local.py with a larger -n")
    return z["latents"][np.asarray(rows)].astype(np.float32), f"frozen local VGAE: {frozen.name}"


class StructuralFeatures:
    """Encoder-free features (vocabulary from ``pool``): counts of (gate kind, qubit, operand
    slot) and (gate kind, qubit, layer). Used only to project evolution's mutated children
    back onto the labelled pool."""

    def __init__(self, pool: list, space: object) -> None:
        self.kinds = {k: i for i, k in enumerate(sorted({g.kind for d in pool for g in d.gates}))}
        self.nq = space.num_qubits
        self.max_layer = max(max(d.layers, default=0) for d in pool) + 1
        self.width = len(self.kinds) * self.nq * (1 + self.max_layer)

    def __call__(self, dags: list) -> np.ndarray:
        out = np.zeros((len(dags), self.width), dtype=np.float32)
        for r, d in enumerate(dags):
            for g, l in zip(d.gates, d.layers):
                k = self.kinds.get(g.kind)
                if k is None:
                    continue
                for slot, q in enumerate(g.qubits):
                    base = (k * self.nq + q) * (1 + self.max_layer)
                    out[r, base] += 1.0 + 0.5 * slot
                    out[r, base + 1 + min(l, self.max_layer - 1)] += 1.0
        return out


def structural_features(dags: list, pool: list, space: object) -> np.ndarray:
    return StructuralFeatures(pool, space)(dags)
