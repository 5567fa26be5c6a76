"""Labelling a pool: how the tables of the tabular benchmark (:mod:`qas.search.tabular`) are made.

    label_pool("paper-4q", ["state-prep", "maxcut", "vqe-h2"], 20000, "tabular_paper4q.npz")

Every circuit of ``sample_pool(load_space(space), n, seed=pool_seed)`` is trained and scored with
the project's evaluator (:func:`qas.evaluate`: torch training, qsim scoring) on each task; the
circuits labelled on every task so far are written with :func:`~qas.search.tabular.write_table`
every ``flush`` seconds and at the end. Each label lands at once in a side SQLite next to the table
(``cache/<name>.sqlite``, with the result cache ``cache/<name>.results.sqlite``), so a call that is
stopped resumes where it was, and several processes share the work (``shard`` of ``num_shards``).

Training: :data:`LABEL_TRAIN`, Adam with a cosine schedule, 50 full-batch steps, parameters
uniform in [-pi, pi], seed 0. Sun et al. 2024 used an Adagrad-like optimiser with <= 50-100
steps: the step budget matches, the optimiser does not.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from qas.core.errors import QasError
from qas.search.tabular import THRESHOLDS, write_table

#: table column -> (registered task, its options on 4 qubits, on 8 qubits; ``None``: no such variant)
TABLE_TASKS: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
    "state-prep": ("state-prep", {"num_qubits": 4}, {"num_qubits": 8}),
    "maxcut": ("maxcut", {"graph": "cycle-4"}, {"graph": "graph-8"}),
    "vqe-h2": ("vqe-h2", {}, None),
    "tfim": ("tfim", {"num_qubits": 4}, {"num_qubits": 8}),
}
#: the labels' training (TrainConfig fields; seed 0)
LABEL_TRAIN = {"steps": 50, "lr": 0.1}


def table_tasks(names: Sequence[str], num_qubits: int) -> dict[str, Any]:
    """The task behind each table column, for a space of ``num_qubits`` qubits."""
    from qas.tasks import make_task

    out = {}
    for name in names:
        registered, four, eight = TABLE_TASKS[name]
        options = four if num_qubits == 4 else eight
        if options is None:
            raise QasError(f"task {name} has no {num_qubits}-qubit variant")
        out[name] = make_task(registered, **options)
    return out


class _Labels:
    """The side table: (pool index, task) -> circuit key, score, extra metrics (JSON), seconds."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=120, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS labels (idx INTEGER, task TEXT, key TEXT, score REAL, extra TEXT, "
                        "seconds REAL, PRIMARY KEY (idx, task))")

    def done(self, task: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT idx FROM labels WHERE task = ?", (task,))}

    def put(self, idx: int, task: str, key: str, score: float, extra: dict, seconds: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?, ?)",
                        (idx, task, key, score, json.dumps(extra), seconds))

    def table(self, task: str) -> dict[int, tuple[str, float, dict, float]]:
        return {r[0]: (r[1], r[2], json.loads(r[3]), r[4])
                for r in self.db.execute("SELECT idx, key, score, extra, seconds FROM labels WHERE task = ?", (task,))}


def label_pool(space: str, tasks: Sequence[str], n: int, out: str | Path, *, pool_seed: int = 0,
               train: dict[str, Any] | None = None, shard: int = 0, num_shards: int = 1, flush: float = 120.0,
               limit_seconds: float | None = None, export_only: bool = False, command: str = "",
               log: Callable[[str], None] = print) -> int:
    """Label the first ``n`` circuits of ``space``'s pool on ``tasks`` (columns of :data:`TABLE_TASKS`)
    into the table ``out``, this process taking every ``num_shards``-th circuit from ``shard`` (shard 0
    also rewrites the table every ``flush`` seconds); ``export_only``: only rewrite the table from the
    side SQLite. Returns how many circuits the table holds. ``command`` is recorded in its meta."""
    from qas.cache import ResultCache
    from qas.evaluation import evaluate
    from qas.trainer import TrainConfig
    from search_spaces import load_space, sample_pool

    spec = load_space(space)
    by_name = table_tasks(tasks, spec.num_qubits)
    if not by_name:
        raise QasError("no tasks to label")
    cfg = TrainConfig(**{**LABEL_TRAIN, **(train or {}), "seed": 0})
    out = Path(out)
    side = out.parent / "cache" / (out.stem + ".sqlite")
    side.parent.mkdir(parents=True, exist_ok=True)
    if not (side.parent / ".gitignore").exists():
        (side.parent / ".gitignore").write_text("*\n")
    labels = _Labels(side)

    def export() -> int:
        """Write the table of every circuit labelled on all tasks; returns how many."""
        tables = {t: labels.table(t) for t in by_name}
        common = [i for i in sorted(set.intersection(*(set(tb) for tb in tables.values()))) if i < n]
        if not common:
            return 0
        columns: dict[str, list[float]] = {}
        for t, tb in tables.items():
            columns[f"score/{t}"] = [tb[i][1] for i in common]
            columns[f"seconds/{t}"] = [tb[i][3] for i in common]
            for k in sorted({k for i in common[:50] for k in tb[i][2]}):
                columns[f"metric/{t}/{k}"] = [tb[i][2].get(k, float("nan")) for i in common]
        meta = {
            "space": spec.name, "space_fingerprint": spec.fingerprint, "num_qubits": spec.num_qubits,
            "pool_seed": pool_seed, "pool_size_requested": n,
            "tasks": {t: {"config": task.config(), "fingerprint": task.fingerprint,
                          "threshold": THRESHOLDS[spec.num_qubits].get(t)} for t, task in by_name.items()},
            "train_config": cfg.__dict__ | {"fingerprint": cfg.fingerprint},
            "optimiser": "Adam + cosine schedule (qas.trainer), full-batch steps; Sun et al. used Adagrad-like",
            "command": command,
            "circuits": "regenerate with search_spaces.sample_pool(load_space(space), pool_size_requested, seed=pool_seed); "
                        "row i is pool[pool_index[i]]; hash = first 16 bytes of CircuitDAG.key",
        }
        write_table(out, common, [tables[next(iter(by_name))][i][0] for i in common], columns, meta)
        return len(common)

    if export_only:
        return export()
    cache = ResultCache(side.with_suffix(".results.sqlite"))
    pool = list(sample_pool(spec, n, seed=pool_seed))
    done = {t: labels.done(t) for t in by_name}
    todo = [i for i in range(n) if i % num_shards == shard and any(i not in done[t] for t in by_name)]
    log(f"{len(todo)} circuits to label in shard {shard}/{num_shards}")
    t_start = t_flush = time.time()
    for count, i in enumerate(todo, 1):
        for t, task in by_name.items():
            if i in done[t]:
                continue
            t0 = time.perf_counter()
            rec = evaluate(pool[i], task, cfg, cache=cache)
            extra = {k[4:]: v for k, v in rec.metrics.items()
                     if k.startswith("val_") and k != "val_score" and isinstance(v, (int, float))}
            labels.put(i, t, pool[i].key, float(rec.score), extra, time.perf_counter() - t0)
        now = time.time()
        if count % 200 == 0:
            rate = count / (now - t_start)
            log(f"[{time.strftime('%H:%M:%S')}] shard {shard}: {count}/{len(todo)} circuits, "
                f"{rate:.2f} circuits/s (all tasks), eta {(len(todo) - count) / rate / 60:.1f} min")
        if shard == 0 and now - t_flush > flush:
            log(f"flushed {export()} complete rows to {out}")
            t_flush = now
        if limit_seconds and now - t_start > limit_seconds:
            log("time limit reached; rerun the same command to resume")
            break
    return export()
