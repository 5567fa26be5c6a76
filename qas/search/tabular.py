"""The tabular benchmark: search agents judged on circuits whose scores are known in advance.

A labelled table (written by :func:`~qas.search.labelling.label_pool`) holds a pool of circuits of a
space, each trained and scored once on several tasks. Searching it costs a lookup per query,
so agents can be compared over many seeds (Sun et al. 2024, NAS-Bench-101 style):

    table = load_table("experiments/results/tabular_paper4q.npz", limit=5000)
    task = lookup_tasks(table)[0]
    objective = TableObjective(task, table, index)
    optimize(agent, objective, budget=200)
    objective.rows  # the table rows queried, in order

``load_table`` rebuilds the circuits (re-sampled from the pool seed, checked against the
stored hashes); ``lookup_tasks`` turns the score columns into :class:`LookupTask` s with the
paper's success thresholds.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from qas.records import EvaluationRecord

#: success thresholds of Sun et al. 2024, by qubit count and task
THRESHOLDS = {
    4: {"state-prep": 0.95, "maxcut": 0.95, "vqe-h2": 0.95, "tfim": 0.95},
    8: {"state-prep": 0.75, "maxcut": 0.925, "tfim": 0.9},
}


@dataclass
class LabelledTable:
    """Labelled circuits of one space: ``scores[task][row]`` and ``metrics[task/metric][row]``."""

    space: Any
    pool: list[CircuitDAG]  # labelled circuits, row order
    hashes: list[str]       # 32-hex prefix of each circuit's key
    scores: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    meta: dict[str, Any]
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.pool)


@dataclass
class LookupTask:
    """One score column of a table as a search task: what agents maximise and what counts as a hit."""

    name: str               # e.g. "vqe-h2-chem"
    column: str             # score column searched (the objective)
    objective: np.ndarray   # score per row
    success: np.ndarray     # bool per row: above threshold
    criterion: str          # human-readable success rule


def load_table(path: str | Path, limit: int | None = None) -> LabelledTable:
    """The table at ``path``; ``limit``: only the circuits of pool index < ``limit`` (a fixed,
    reproducible slice of a growing table)."""
    from search_spaces import load_space, sample_pool

    z = np.load(path, allow_pickle=False)
    meta = json.loads(str(z["meta"]))
    space = load_space(meta["space"])
    idx = z["pool_index"]
    keep = np.arange(len(idx)) if limit is None else np.flatnonzero(idx < limit)
    if limit is not None and len(keep) < limit:
        warnings.warn(f"{path}: only {len(keep)} of the first {limit} pool circuits are labelled yet")
    full = list(sample_pool(space, int(idx[keep].max()) + 1, seed=meta["pool_seed"]))
    pool = [full[int(i)] for i in idx[keep]]
    hashes = [bytes(h).hex() for h in z["hash"][keep]]
    bad = sum(not d.key.startswith(h) for d, h in zip(pool, hashes))
    if bad:
        raise QasError(f"{path}: {bad} re-sampled circuits do not match the stored hashes")
    scores = {k.split("/", 1)[1]: z[k][keep] for k in z.files if k.startswith("score/")}
    metrics = {k.split("/", 1)[1]: z[k][keep] for k in z.files if k.startswith("metric/")}
    return LabelledTable(space, pool, hashes, scores, metrics, meta, Path(path))


def write_table(path: str | Path, pool_index: Sequence[int], keys: Sequence[str], columns: dict[str, Sequence[float]],
                meta: dict[str, Any]) -> Path:
    """Write a table that :func:`load_table` reads: row ``i`` is pool circuit ``pool_index[i]``, whose
    key is ``keys[i]``; ``columns`` holds one value per row under ``score/<task>``, ``seconds/<task>``
    and ``metric/<task>/<name>``; ``meta`` names at least the ``space`` and the ``pool_seed``. The
    file is written beside ``path`` and renamed, so a reader never sees half of it."""
    path = Path(path)
    arrays = {"pool_index": np.asarray(pool_index, dtype=np.int32),
              "hash": np.frombuffer(b"".join(bytes.fromhex(k[:32]) for k in keys), dtype=np.uint8).reshape(-1, 16)}
    arrays.update({name: np.asarray(values, dtype=np.float32) for name, values in columns.items()})
    arrays["meta"] = np.asarray(json.dumps(meta, default=str))
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def lookup_tasks(table: LabelledTable) -> list[LookupTask]:
    """Every score column with its threshold, and H2 to chemical accuracy where labelled."""
    nq = table.space.num_qubits
    out = []
    for col, s in table.scores.items():
        thr = THRESHOLDS[nq][col]
        out.append(LookupTask(col, col, s.astype(np.float64), s >= thr, f"score >= {thr}"))
        if col == "vqe-h2" and "vqe-h2/chemical_accuracy" in table.metrics:
            ok = table.metrics["vqe-h2/chemical_accuracy"] >= 0.5
            out.append(LookupTask("vqe-h2-chem", col, s.astype(np.float64), ok, "|E - E0| <= 1.6 mHa"))
    return out


class TableObjective:
    """Scores by lookup. ``index`` (a :class:`~encoders.pool_index.PoolIndex` over the table's
    pool) finds a circuit's row; a circuit outside the table goes to ``project`` (circuit -> row,
    e.g. its nearest unvisited labelled neighbour), whose circuit then stands in for it. The
    rows queried are kept in :attr:`rows`, in order."""

    batch_size = 1

    def __init__(self, task: LookupTask, table: LabelledTable, index: Any,
                 project: Callable[[CircuitDAG], int] | None = None) -> None:
        self.task, self.table, self.index, self.project = task, table, index, project
        self.rows: list[int] = []

    def __call__(self, dags: Sequence[CircuitDAG], pruning: Any = None) -> list[EvaluationRecord]:
        """One record per circuit; ``pruning`` is ignored: a lookup has no training to stop."""
        out = []
        for dag in dags:
            i = self.index.position(dag)
            if i is None:
                if self.project is None:
                    raise QasError(f"circuit {dag.key[:12]} is not in the table and nothing projects it onto it")
                i = self.project(dag)
                dag = self.table.pool[i]
            score = float(self.task.objective[i])
            self.rows.append(int(i))
            out.append(EvaluationRecord(dag.key, dag.to_json(), self.task.name, {"column": self.task.column}, {}, (),
                                        score, {"score": score, "row": float(i)}))
        return out
