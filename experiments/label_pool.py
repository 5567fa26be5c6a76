"""Label a pool of circuits with task scores: the tabular benchmark (our NAS-Bench-101).

Every circuit of ``sample_pool(load_space(SPACE), N, seed=POOL_SEED)`` is trained and scored
with the project's real evaluator (``qas.evaluation.evaluate``: torch training, qsim scoring)
on each task, and the table ``hash -> scores`` is written to a compact ``.npz``.

Resumable: every evaluation lands in a side SQLite (``qas.cache.ResultCache`` plus a small
``labels`` table) next to the output; a restarted run skips what is done. The npz is
rewritten every ``--flush`` seconds and at the end, holding the circuits labelled on *every*
task so far. Several processes may share the work with ``--shard i --num-shards k`` (same
``--out``); ``--export-only`` just rewrites the npz from the SQLite.

Example::

    nice -n 10 python experiments/label_pool.py --space paper-4q \
        --tasks state-prep,maxcut,vqe-h2 -n 20000 --out experiments/results/tabular_paper4q.npz

Training protocol: ``TrainConfig(steps=50, lr=0.1)``: Adam with a cosine schedule, 50
full-batch steps, parameters initialised uniform in [-pi, pi], seed 0. Sun et al. 2024 used
an Adagrad-like optimiser with <= 50-100 steps; the step budget matches, the optimiser does
not (Adam is at least as strong per step on these small landscapes).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

TASK_SPECS = {
    # name -> (make_task name, options for 4 qubits, options for 8 qubits)
    "state-prep": ("state-prep", {"num_qubits": 4}, {"num_qubits": 8}),
    "maxcut": ("maxcut", {"graph": "cycle-4"}, {"graph": "graph-8"}),
    "vqe-h2": ("vqe-h2", {}, None),
    "tfim": ("tfim", {"num_qubits": 4}, {"num_qubits": 8}),
}

# success thresholds (Sun et al. 2024): 0.95 on 4 qubits; 8 qubits: state-prep 0.75,
# maxcut 0.925, tfim 0.9 (E/E0). vqe-h2 also reports chemical accuracy.
THRESHOLDS = {
    4: {"state-prep": 0.95, "maxcut": 0.95, "vqe-h2": 0.95, "tfim": 0.95},
    8: {"state-prep": 0.75, "maxcut": 0.925, "tfim": 0.9},
}

DEFAULT_TRAIN = {"steps": 50, "lr": 0.1}


def make_tasks(names: list[str], num_qubits: int) -> dict:
    from qas.tasks import make_task

    out = {}
    for name in names:
        reg, o4, o8 = TASK_SPECS[name]
        opts = o4 if num_qubits == 4 else o8
        if opts is None:
            raise SystemExit(f"task {name} has no {num_qubits}-qubit variant")
        out[name] = make_task(reg, **opts)
    return out


def hash_bytes(keys: list[str]) -> np.ndarray:
    """First 16 bytes of each sha256 hex key, as an (n, 16) uint8 array."""
    return np.frombuffer(b"".join(bytes.fromhex(k[:32]) for k in keys), dtype=np.uint8).reshape(-1, 16)


def hash_hex(h: np.ndarray) -> list[str]:
    return [bytes(row).hex() for row in np.asarray(h, dtype=np.uint8)]


class Labels:
    """The side table: (pool index, task) -> score, plus extra metrics as JSON."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=120, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS labels (idx INTEGER, task TEXT, key TEXT, score REAL, extra TEXT, "
            "seconds REAL, PRIMARY KEY (idx, task))"
        )

    def done(self, task: str) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT idx FROM labels WHERE task = ?", (task,))}

    def put(self, idx: int, task: str, key: str, score: float, extra: dict, seconds: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?, ?)",
                        (idx, task, key, score, json.dumps(extra), seconds))

    def table(self, task: str) -> dict[int, tuple[str, float, dict, float]]:
        return {r[0]: (r[1], r[2], json.loads(r[3]), r[4])
                for r in self.db.execute("SELECT idx, key, score, extra, seconds FROM labels WHERE task = ?", (task,))}


def export(out: Path, labels: Labels, args: argparse.Namespace, tasks: dict, space, n: int) -> int:
    """Write the npz of every circuit labelled on all tasks; returns how many."""
    tables = {t: labels.table(t) for t in tasks}
    common = sorted(set.intersection(*(set(tb) for tb in tables.values()))) if tables else []
    common = [i for i in common if i < n]
    if not common:
        return 0
    first = tables[next(iter(tasks))]
    keys = [first[i][0] for i in common]
    arrays: dict[str, np.ndarray] = {
        "pool_index": np.asarray(common, dtype=np.int32),
        "hash": hash_bytes(keys),
    }
    for t, tb in tables.items():
        arrays[f"score/{t}"] = np.asarray([tb[i][1] for i in common], dtype=np.float32)
        arrays[f"seconds/{t}"] = np.asarray([tb[i][3] for i in common], dtype=np.float32)
        extra_names = sorted({k for i in common[:50] for k in tb[i][2]})
        for k in extra_names:
            arrays[f"metric/{t}/{k}"] = np.asarray([tb[i][2].get(k, np.nan) for i in common], dtype=np.float32)
    meta = {
        "space": space.name,
        "space_fingerprint": getattr(space, "fingerprint", None) if not callable(getattr(space, "fingerprint", None)) else space.fingerprint(),
        "num_qubits": space.num_qubits,
        "pool_seed": args.pool_seed,
        "pool_size_requested": n,
        "tasks": {t: {"config": task.config(), "fingerprint": task.fingerprint,
                      "threshold": THRESHOLDS[space.num_qubits].get(t)} for t, task in tasks.items()},
        "train_config": train_config(args).__dict__ | {"fingerprint": train_config(args).fingerprint},
        "optimiser": "Adam + cosine schedule (qas.trainer), full-batch steps; Sun et al. used Adagrad-like",
        "command": "python experiments/label_pool.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in [("space", args.space), ("tasks", ",".join(tasks)),
                                                         ("n", n), ("out", args.out)]),
        "circuits": "regenerate with search_spaces.sample_pool(load_space(space), pool_size_requested, seed=pool_seed); "
                    "row i is pool[pool_index[i]]; hash = first 16 bytes of CircuitDAG.key",
    }
    arrays["meta"] = np.asarray(json.dumps(meta, default=str))
    tmp = out.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    return len(common)


def train_config(args: argparse.Namespace):
    from qas.trainer import TrainConfig

    return TrainConfig(steps=args.steps, lr=args.lr, seed=0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--space", default="paper-4q")
    p.add_argument("--tasks", default="state-prep,maxcut,vqe-h2")
    p.add_argument("-n", type=int, default=20000)
    p.add_argument("--out", required=True)
    p.add_argument("--pool-seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_TRAIN["steps"])
    p.add_argument("--lr", type=float, default=DEFAULT_TRAIN["lr"])
    p.add_argument("--shard", type=int, default=0)
    p.add_argument("--num-shards", type=int, default=1)
    p.add_argument("--flush", type=float, default=120.0, help="seconds between npz rewrites (shard 0 only)")
    p.add_argument("--export-only", action="store_true")
    p.add_argument("--limit-seconds", type=float, default=None, help="stop (resumably) after this long")
    args = p.parse_args(argv)

    from qas.cache import ResultCache
    from qas.evaluation import evaluate
    from search_spaces import load_space, sample_pool

    space = load_space(args.space)
    names = [t for t in args.tasks.split(",") if t]
    tasks = make_tasks(names, space.num_qubits)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    side = out.parent / "cache" / (out.stem + ".sqlite")
    side.parent.mkdir(parents=True, exist_ok=True)
    gi = side.parent / ".gitignore"
    if not gi.exists():
        gi.write_text("*\n")
    labels = Labels(side)
    if args.export_only:
        print(f"exported {export(out, labels, args, tasks, space, args.n)} circuits to {out}")
        return 0
    cache = ResultCache(side.with_suffix(".results.sqlite"))
    cfg = train_config(args)
    pool = list(sample_pool(space, args.n, seed=args.pool_seed))
    done = {t: labels.done(t) for t in names}
    todo = [i for i in range(args.n) if i % args.num_shards == args.shard and any(i not in done[t] for t in names)]
    print(f"{len(todo)} circuits to label in shard {args.shard}/{args.num_shards}", flush=True)
    t_start = t_flush = time.time()
    count = 0
    for i in todo:
        dag = pool[i]
        for t in names:
            if i in done[t]:
                continue
            t0 = time.perf_counter()
            rec = evaluate(dag, tasks[t], cfg, cache=cache)
            extra = {k[4:]: v for k, v in rec.metrics.items()
                     if k.startswith("val_") and k not in ("val_score",) and isinstance(v, (int, float))}
            labels.put(i, t, dag.key, float(rec.score), extra, time.perf_counter() - t0)
        count += 1
        now = time.time()
        if count % 200 == 0:
            rate = count / (now - t_start)
            print(f"[{time.strftime('%H:%M:%S')}] shard {args.shard}: {count}/{len(todo)} circuits, "
                  f"{rate:.2f} circuits/s (all tasks), eta {(len(todo) - count) / rate / 60:.1f} min", flush=True)
        if args.shard == 0 and now - t_flush > args.flush:
            m = export(out, labels, args, tasks, space, args.n)
            print(f"flushed {m} complete rows to {out}", flush=True)
            t_flush = now
        if args.limit_seconds and now - t_start > args.limit_seconds:
            print("time limit reached; rerun the same command to resume", flush=True)
            break
    m = export(out, labels, args, tasks, space, args.n)
    print(f"wrote {m} complete rows to {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
