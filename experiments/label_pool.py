"""Label a pool of circuits with task scores: the tabular benchmark (our NAS-Bench-101).

A command over :func:`qas.search.label_pool` (its docstring: the training protocol, the side
SQLite that makes it resumable, shards). Rerun the same command to resume; several processes may
share the work with ``--shard i --num-shards k`` (same ``--out``); ``--export-only`` rewrites
the npz from the side SQLite.

    nice -n 10 python experiments/label_pool.py --space paper-4q \
        --tasks state-prep,maxcut,vqe-h2 -n 20000 --out experiments/results/tabular_paper4q.npz
"""

from __future__ import annotations

import argparse
import sys

from qas.search import LABEL_TRAIN, label_pool


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--space", default="paper-4q")
    p.add_argument("--tasks", default="state-prep,maxcut,vqe-h2")
    p.add_argument("-n", type=int, default=20000)
    p.add_argument("--out", required=True)
    p.add_argument("--pool-seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=LABEL_TRAIN["steps"])
    p.add_argument("--lr", type=float, default=LABEL_TRAIN["lr"])
    p.add_argument("--shard", type=int, default=0)
    p.add_argument("--num-shards", type=int, default=1)
    p.add_argument("--flush", type=float, default=120.0, help="seconds between npz rewrites (shard 0 only)")
    p.add_argument("--export-only", action="store_true")
    p.add_argument("--limit-seconds", type=float, default=None, help="stop (resumably) after this long")
    args = p.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    command = f"python experiments/label_pool.py --space {args.space} --tasks {','.join(tasks)} --n {args.n} --out {args.out}"
    m = label_pool(args.space, tasks, args.n, args.out, pool_seed=args.pool_seed, train={"steps": args.steps, "lr": args.lr},
                   shard=args.shard, num_shards=args.num_shards, flush=args.flush, limit_seconds=args.limit_seconds,
                   export_only=args.export_only, command=command, log=lambda line: print(line, flush=True))
    print(f"{'exported' if args.export_only else 'wrote'} {m} {'circuits' if args.export_only else 'complete rows'} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
