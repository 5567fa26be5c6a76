"""What multi-fidelity search (``qas search --pruner``) saves, and what it costs in circuits.

For each task and seed, the same search runs twice, in one process on one core, with no final
round: without a pruner and with ``--pruner`` (by default successive halving with its first
rung after 40 steps, where ``proxy_fidelity.py --curves`` found minus the loss ranking circuits
as the full training does, keeping the top quarter). With the
random agent both runs propose the same circuits, so the comparison is exact: how many
training CPU-seconds the pruner saved, and whether the best circuit of the unpruned run is still
the best fully trained one with pruning (its score is the same: the same training, not cut). A
latent agent (``bo-pool``) learns from the pruned scores, so its two runs may differ; for it the
table gives the best score found and the CPU-seconds spent.

    python experiments/pruning_gain.py                      # ~8 min on 2 cores
    python experiments/pruning_gain.py --tasks tfim-8 --seeds 0 --budget 30
Writes ``results/pruning_gain.csv`` and ``pruning_gain.md``.
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from common import RESULTS, read_rows, upsert_rows

from qas.search import open_run, search


def run(task: str, agent: str, seed: int, budget: int, pruner: str) -> dict:
    """One search without a final round, on one core."""
    with tempfile.TemporaryDirectory() as tmp:
        result = search(task=task, agent=agent, seed=seed, budget=budget, final=False, workers=1, pruner=pruner,
                        run_dir=Path(tmp) / "run", progress=False)
        trials = open_run(result.run_dir).trials()
        cfg = open_run(result.run_dir).config
        full = [t for t in trials if not t.user_attrs.get("pruned")]
        return {"task": task, "agent": agent, "seed": seed, "budget": budget, "pruner": cfg.pruner,
                "train_cpu_s": round(sum(t.user_attrs["train_seconds"] for t in trials), 2),
                "score_cpu_s": round(sum(t.user_attrs["score_seconds"] for t in trials), 2),
                "pruned": len(trials) - len(full), "best": round(max(t.value for t in trials), 5),
                "best_full": round(max(t.value for t in full), 5),
                "best_key": max(full, key=lambda t: t.value).user_attrs["key"][:12]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", default="tfim-8,state-prep")
    ap.add_argument("--agents", default="random,bo-pool")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--pruner", default="successive-halving:min_resource=2,reduction_factor=4")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--summary-only", action="store_true", help="rewrite the summary from the CSV, run nothing")
    args = ap.parse_args()
    jobs = [(t, a, int(s), args.budget, p) for t in args.tasks.split(",") for a in args.agents.split(",")
            for s in args.seeds.split(",") for p in ("none", args.pruner)]
    rows = []
    if not args.summary_only:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run, *zip(*jobs)))
    # the table holds every (task, agent, seed, budget, pruner) run so far; the summary covers them all
    upsert_rows(RESULTS / "pruning_gain.csv", rows, key=("task", "agent", "seed", "budget", "pruner"))
    rows = [{**r, **{k: float(r[k]) for k in ("train_cpu_s", "score_cpu_s", "pruned", "best", "best_full")}}
            for r in read_rows(RESULTS / "pruning_gain.csv")]
    pairs = list(dict.fromkeys((r["task"], r["agent"]) for r in rows))
    lines = ["# Multi-fidelity search: a pruner against none", "",
             "Written by `python experiments/pruning_gain.py` (rows accumulate across invocations, e.g. "
             "`--agents random,bo-pool`, then `--agents evolution`); one core per search, no final round. 'best' is "
             "the best search score among fully trained circuits; with the random agent both runs train the same "
             "circuits.", "",
             "| task | agent | pruner | pruned / budget | training CPU-s (sum over seeds) | ratio | training + scoring ratio | best per seed | same best circuit |",
             "|---|---|---|---|---|---|---|---|---|"]
    for task, agent in pairs:
        off = [r for r in rows if (r["task"], r["agent"], r["pruner"]) == (task, agent, "none")]
        on = [r for r in rows if (r["task"], r["agent"]) == (task, agent) and r["pruner"] != "none"]
        if not off or not on:
            continue
        t_off, t_on = sum(r["train_cpu_s"] for r in off), sum(r["train_cpu_s"] for r in on)
        all_off = t_off + sum(r["score_cpu_s"] for r in off)
        all_on = t_on + sum(r["score_cpu_s"] for r in on)
        lines.append(f"| {task} | {agent} | none | 0 | {t_off:.1f} | 1.00 | 1.00 | "
                     + ", ".join(f"{r['best_full']:.4f}" for r in off) + " | |")
        same = sum(a["best_key"] == b["best_key"] for a, b in zip(off, on))
        lines.append(f"| {task} | {agent} | {on[0]['pruner']} | {np.mean([r['pruned'] for r in on]):.0f} / {on[0]['budget']} | "
                     f"{t_on:.1f} | {t_on / t_off:.2f} | {all_on / all_off:.2f} | " + ", ".join(f"{r['best_full']:.4f}" for r in on)
                     + f" | {same} of {len(on)} |")
    (RESULTS / "pruning_gain.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
