"""Sun et al. 2024's comparison, on the tabular benchmark: search agents by table lookup.

Each run drives one agent of ``qas.search.AGENTS`` through ``qas.search.optimize``, the loop of
``qas search`` (here with an in-memory Optuna study per run; revisits are answered from history at
no cost), but a query's score comes from the labelled table (``qas.search.TableObjective``)
instead of training. The budget counts unique queried circuits. The statistics are
``qas.search.compare_runs``'.

Methods
  random, evolution, reinforce, bo (Optuna GP), bo-tpe: the library agents, unchanged.
  evolution: mutated children are rarely in the labelled pool (the space is far larger), so
    each child is *projected* onto the nearest unvisited labelled circuit under encoder-free
    structural features (gate kind x qubit x layer counts, ``common.StructuralFeatures``).
    A child that is itself labelled is used as is. The population holds the projected circuit.
  any of them with ":prefilter=params;keep=0.25" (or expressibility): the agent searches only
    the best-rated part of the pool (``qas.search.Prefilter``); the whole table answers.
  mlp-1000, mlp-online: the GSQAS-style predictor baselines (``qas.search.predictor_queries``):
    an MLP regressor on the latents, trained on 1,000 random labelled circuits given *for free*
    (not counted as queries), or inside the budget (100 random queries, then the top predicted
    unvisited circuits, refitting every 50 queries).

Outputs (``--out-dir``, default ``experiments/results``; ``--tag`` prefixes the files):
  runs/<tag>runs.jsonl      one line per (table, task, method, seed): the queried rows, wall and
                            CPU seconds (resumable)
  <tag>summary.csv          per task and method: median queries to threshold (never = Q+1),
                            success rate, hits per 100 queries, final best, Mann-Whitney p vs random
  <tag>curves.csv           mean best-so-far with 95% CI (t) at a grid of query counts
  <tag>curve_<task>.png     the curves

    python experiments/compare_agents.py --quick           # 5 seeds, short budget, <= 5 min
    python experiments/compare_agents.py --seeds 50 --queries 1000
    python experiments/compare_agents.py --markdown experiments/results/full4q_summary.csv   # the README's table
"""

from __future__ import annotations

import os

# one BLAS thread, set before numpy loads: the latent look-ups are small mat-vecs, and threaded
# BLAS on a loaded 2-core machine is ~40x slower (measured: 43 ms vs ~1 ms per nearest_unvisited)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from common import DEFAULT_TABLES, RESULTS, StructuralFeatures, latents_for, read_rows, torch_threads, write_rows  # noqa: E402

from qas.search import (PREDICTORS, LabelledTable, LookupTask, best_so_far, ci95, compare_runs, load_table,  # noqa: E402
                        lookup_tasks, predictor_queries)

METHODS = ["random", "evolution", "reinforce", "bo", "bo-tpe", "bo-pool", "mlp-1000", "mlp-online"]


# --- the library's agents, driven by qas.search.optimize on table lookups -------------------
def run_agent(method: str, table: LabelledTable, task: LookupTask, latents: np.ndarray, seed: int, queries: int,
              struct: "Struct | None" = None) -> list[int]:
    import optuna

    from encoders import PoolIndex
    from qas.search import AGENTS, Prefilter, SearchContext, TableObjective, optimize

    torch_threads()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    index = PoolIndex(table.pool, latents)
    name, _, opts = method.partition(":")  # an agent with options: "reinforce:policy=pool"
    options = {k: _value(v) for k, v in (kv.split("=", 1) for kv in opts.split(";") if kv)}
    searched = index
    if "prefilter" in options:  # "random:prefilter=params;keep=0.25": the agent sees the best-rated part
        rule = Prefilter(options.pop("prefilter"), float(options.pop("keep", 0.25)))
        searched, _ = rule.restrict(index)
    agent = AGENTS.get(name)(SearchContext(space=table.space, seed=seed, index=searched), **options)
    project = None
    if method == "evolution":  # mutated children outside the table: their nearest unvisited labelled circuit
        proj = PoolIndex(table.pool, struct.table)
        proj.visited = index.visited  # one visited mask for both
        project = lambda dag: proj.nearest_unvisited(struct.featurize([dag])[0])  # noqa: E731
    objective = TableObjective(task, table, index, project)  # the whole table answers
    optimize(agent, objective, queries)
    return objective.rows


def _value(text: str) -> Any:
    """An agent option's value as TOML reads it (0.1, 4, true), else the text."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _ordered(methods: dict) -> list[str]:
    """The methods present, those of METHODS first in its order, then any others (agent variants)."""
    return [m for m in METHODS if m in methods] + sorted(m for m in methods if m not in METHODS)


class Struct:
    """The structural features of a table's pool, and the featurizer for new circuits."""

    def __init__(self, table: LabelledTable) -> None:
        self.featurize = StructuralFeatures(table.pool, table.space)
        self.table = self.featurize(table.pool)


def run_one(method: str, table: LabelledTable, task: LookupTask, latents: np.ndarray, seed: int, queries: int,
            struct: Struct | None = None) -> list[int]:
    if method in PREDICTORS:
        return predictor_queries(method, task, latents, seed, queries)
    return run_agent(method, table, task, latents, seed, queries, struct)


# --- statistics ------------------------------------------------------------------------------
def _by_task(records: list[dict], tables: dict) -> list[tuple]:
    """Records grouped per (table, task), then per method, with the table and task objects."""
    by: dict = {}
    for r in records:
        by.setdefault((r["table"], r["task"]), {}).setdefault(r["method"], []).append(r)
    out = []
    for (tname, task_name), methods in sorted(by.items()):
        table, tasks = tables[tname]
        out.append(((tname, task_name), methods, table, next(t for t in tasks if t.name == task_name)))
    return out


def summarise(records: list[dict], tables: dict[str, tuple[LabelledTable, list[LookupTask]]], queries: int,
              out_dir: Path, tag: str) -> list[dict]:
    rows_out, curve_rows = [], []
    for (tname, task_name), methods, table, task in _by_task(records, tables):
        runs = {m: [r["rows"] for r in methods[m]] for m in _ordered(methods)}
        for row in compare_runs(runs, task):
            rows_out.append({"table": tname, "task": task_name, "criterion": task.criterion, "pool": len(table),
                             "pool_success_rate": float(task.success.mean()), **row})
            Q, curves = best_so_far(runs[row["method"]], task)
            if len(curves) == 0:
                continue
            for q in sorted({q for q in (1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 700, 1000, Q) if q <= Q}):
                v = curves[:, q - 1]
                h = float(ci95(v))
                curve_rows.append({"table": tname, "task": task_name, "method": row["method"], "queries": q,
                                   "mean_best": float(v.mean()), "ci95_lo": float(v.mean() - h),
                                   "ci95_hi": float(v.mean() + h), "seeds": len(v)})
    for name, rows in (("summary", rows_out), ("curves", curve_rows)):
        if rows:
            write_rows(out_dir / f"{tag}{name}.csv", rows, float_format=".4g")
    plot(records, tables, out_dir, tag)
    return rows_out


def plot(records: list[dict], tables: dict, out_dir: Path, tag: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for (tname, task_name), methods, table, task in _by_task(records, tables):
        fig, ax = plt.subplots(figsize=(6, 4))
        for m in _ordered(methods):
            Q, c = best_so_far([r["rows"] for r in methods[m]], task)
            if len(c) == 0:
                continue
            x = np.arange(1, Q + 1)
            mu = c.mean(0)
            if len(c) > 1:
                h = ci95(c)
                ax.fill_between(x, mu - h, mu + h, alpha=0.2)
            ax.plot(x, mu, label=f"{m} (n={len(c)})")
        ax.set_xscale("log")
        ax.set_xlabel("queries (unique circuits)")
        ax.set_ylabel(f"best {task.column} score so far")
        ax.set_title(f"{tname} {task_name} ({task.criterion}; pool rate {task.success.mean():.2%})", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out_dir / f"{tag}curve_{tname.replace('[', '_').replace(']', '')}_{task_name}.png", dpi=90)
        plt.close(fig)


def markdown(path: str) -> None:
    """A summary CSV as the markdown table of experiments/README.md."""
    print(f"\n`{Path(path).name}`\n")
    print("| task (pool, success rate) | method | seeds | budget | median queries to threshold "
          "| / exact random median (95% CI) | sampled random, same budget | ratio | Mann-Whitney p (< sampled random) "
          "| success rate | hits/100 (first 100) | final best (mean) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in read_rows(path):
        p = r["mannwhitney_p_less_than_random"]
        exact = (f"{float(r['ratio_to_exact_random']):.2f} of {r['random_median_exact']} "
                 f"({float(r['ratio_ci95_low']):.2f}-{float(r['ratio_ci95_high']):.2f})") if r.get("random_median_exact", "nan") != "nan" else ""
        print(f"| {r['task']} ({r['pool']}, {float(r['pool_success_rate']):.2%}) | {r['method']} | {r['seeds']} | {r['queries']} "
              f"| {r['median_queries_to_threshold']} | {exact} | {float(r['random_median_same_budget']):g} "
              f"| {float(r['ratio_to_random_median']):.2f} | {p if p != 'nan' else ''} "
              f"| {float(r['success_rate']):.2f} | {float(r['hits_per_100_first100']):.1f} | {float(r['final_best_mean']):.4f} |")


def limit_for(limit: str | None, path: Path) -> int | None:
    if not limit:
        return None
    if "=" not in limit:
        return int(limit)
    space = json.loads(str(np.load(path)["meta"]))["space"]
    per = dict(x.split("=") for x in limit.split(","))
    return int(per[space]) if space in per else None


# --- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="5 seeds, 200 queries (GP BO 20, TPE 100) on the slices paper-4q=5000, paper-8q=2000: runs in minutes")
    p.add_argument("--seeds", type=int, default=50)
    p.add_argument("--seed-offset", type=int, default=0)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--gp-queries", type=int, default=None, help="cap GP BO's budget (it is slow); default = queries")
    p.add_argument("--budget-for", default="", help="per-method query caps, e.g. bo=100,bo-tpe=300")
    p.add_argument("--seeds-for", default="", help="per-method seed counts, e.g. bo=10")
    p.add_argument("--part", default="main", help="name of this process's run file (several may run at once)")
    p.add_argument("--embeddings", choices=("frozen", "shipped", "struct-pca"), default="frozen",
                   help="latents: the frozen local VGAE (results/latents_<space>.npz) or encoders/pretrained")
    p.add_argument("--summary-only", action="store_true", help="summarise the run files, run nothing")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--tables", default=None, help="comma-separated npz tables (default: those present of 4q/8q)")
    p.add_argument("--tasks", default=None, help="comma-separated task names to keep")
    p.add_argument("--limit", default=None,
                   help="use only the circuits of pool index < N: one N, or per space: paper-4q=5000,paper-8q=2000")
    p.add_argument("--out-dir", default=str(RESULTS))
    p.add_argument("--tag", default=None)
    p.add_argument("--time-limit", type=float, default=None, help="stop starting new runs after this many seconds")
    p.add_argument("--markdown", nargs="+", metavar="SUMMARY_CSV", help="print summaries as the README's tables, run nothing")
    args = p.parse_args(argv)
    for path in args.markdown or ():
        markdown(path)
    if args.markdown:
        return 0
    if args.quick:
        args.seeds, args.queries = 5, 200
        args.budget_for = args.budget_for or "bo=20,bo-tpe=100"
        args.limit = args.limit or "paper-4q=5000,paper-8q=2000"
    tag = args.tag if args.tag is not None else ("quick_" if args.quick else "")
    out_dir = Path(args.out_dir)
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    paths = [Path(t) for t in args.tables.split(",")] if args.tables else [t for t in DEFAULT_TABLES if t.exists()]
    methods = args.methods.split(",")
    t0 = time.time()
    tables: dict[str, tuple[LabelledTable, list[LookupTask]]] = {}
    run_log = out_dir / "runs" / f"{tag}runs-{args.part}.jsonl"
    records = [json.loads(l) for f in sorted((out_dir / "runs").glob(f"{tag}runs-*.jsonl"))
               for l in f.read_text().splitlines() if l.strip()]
    budget_for = {k: int(v) for k, v in (x.rsplit("=", 1) for x in args.budget_for.split(",") if x)}
    if args.gp_queries:
        budget_for.setdefault("bo", args.gp_queries)
    seeds_for = {k: int(v) for k, v in (x.rsplit("=", 1) for x in args.seeds_for.split(",") if x)}
    done = {(r["table"], r["task"], r["method"], r["seed"], r["queries_requested"]) for r in records}
    with open(run_log, "a") as log:
        for path in paths:
            table = load_table(path, limit_for(args.limit, path))
            tname = table.space.name + (f"[{len(table)}]" if limit_for(args.limit, path) else "")
            tasks = [t for t in lookup_tasks(table) if args.tasks is None or t.name in args.tasks.split(",")]
            for t in [t for t in tasks if not t.success.any()]:
                print(f"{tname}: no labelled circuit meets {t.name} ({t.criterion}): it cannot separate methods; skipped")
            tasks = [t for t in tasks if t.success.any()]
            tables[tname] = (table, tasks)
            latents, source = latents_for(table.pool, table.space, args.embeddings)
            struct = Struct(table) if "evolution" in methods else None
            print(f"{tname}: {len(table)} labelled circuits, latents {latents.shape} from {source} "
                  f"({time.time() - t0:.0f}s)", flush=True)
            for task in tasks:
                for m in methods:
                    if args.summary_only:
                        break
                    for s in range(args.seed_offset, args.seed_offset + seeds_for.get(m, args.seeds)):
                        if (tname, task.name, m, s, args.queries) in done:
                            continue
                        if args.time_limit and time.time() - t0 > args.time_limit:
                            break
                        t1, c1 = time.time(), time.process_time()
                        rows = run_one(m, table, task, latents, s, min(args.queries, budget_for.get(m, args.queries)), struct)
                        rec = {"table": tname, "task": task.name, "method": m, "seed": s, "latents": source,
                               "queries_requested": args.queries, "rows": rows,
                               "seconds": round(time.time() - t1, 3),
                               "cpu_seconds": round(time.process_time() - c1, 3)}
                        log.write(json.dumps(rec) + "\n")
                        log.flush()
                        records.append(rec)
                    else:
                        print(f"  {task.name:12s} {m:10s} done ({time.time() - t0:.0f}s)", flush=True)
    records = [r for r in records if r["table"] in tables and r["queries_requested"] == args.queries
               and r["method"] in methods and any(t.name == r["task"] for t in tables[r["table"]][1])
               and args.seed_offset <= r["seed"] < args.seed_offset + args.seeds]
    summarise(records, tables, args.queries, out_dir, tag)
    markdown(out_dir / f"{tag}summary.csv")
    print(f"\ntotal {time.time() - t0:.0f}s; results in {out_dir}/{tag}summary.csv, {tag}curves.csv, {tag}curve_*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
