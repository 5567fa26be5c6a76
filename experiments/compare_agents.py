"""Sun et al. 2024's comparison, on the tabular benchmark: search agents by table lookup.

Each run drives one agent of ``qas.search.AGENTS`` through the same ask-and-tell loop as
``qas/search/runner.py`` (an in-memory Optuna study per run, ``Visited``, ``PoolIndex``
marking, revisits answered from history at no cost, ``agent.tell``), but a query's score
comes from the labelled table instead of training. The budget counts unique queried circuits.

Methods
  random, evolution, reinforce, bo (Optuna GP), bo-tpe: the library agents, unchanged.
  evolution: mutated children are rarely in the labelled pool (the space is far larger), so
    each child is *projected* onto the nearest unvisited labelled circuit under encoder-free
    structural features (gate kind x qubit x layer counts, ``tabular.structural_features``).
    A child that is itself labelled is used as is. The population holds the projected circuit.
  mlp-1000: the GSQAS-style predictor baseline: an MLP regressor on the latents, trained on
    1,000 random labelled circuits given *for free* (not counted as queries), then querying
    the rest in order of predicted score.
  mlp-online: the same predictor inside the budget: 100 random queries, then the top
    predicted unvisited circuits, refitting every 50 queries.

Outputs (``--out-dir``, default ``experiments/results``; ``--tag`` prefixes the files):
  runs/<tag>runs.jsonl      one line per (table, task, method, seed): the queried rows, wall and
                            CPU seconds (resumable)
  <tag>summary.csv          per task and method: median queries to threshold (never = Q+1),
                            success rate, hits per 100 queries, final best, Mann-Whitney p vs random
  <tag>curves.csv           mean best-so-far with 95% CI (t) at a grid of query counts
  <tag>curve_<task>.png     the curves

    python experiments/compare_agents.py --quick           # 5 seeds, short budget, <= 5 min
    python experiments/compare_agents.py --seeds 50 --queries 1000
"""

from __future__ import annotations

import os

# one BLAS thread: the latent look-ups are small mat-vecs, and threaded BLAS on a loaded
# 2-core machine is ~40x slower (measured: 43 ms vs ~1 ms per nearest_unvisited)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tabular import RESULTS, LookupTask, StructuralFeatures, Table, latents_for, load_table, lookup_tasks  # noqa: E402
from results_io import write_rows  # noqa: E402

DEFAULT_TABLES = [RESULTS / "tabular_paper4q.npz", RESULTS / "tabular_paper8q.npz"]
METHODS = ["random", "evolution", "reinforce", "bo", "bo-tpe", "bo-pool", "mlp-1000", "mlp-online"]


# --- the predictor baseline ----------------------------------------------------------------
class MLPPredictor:
    """A small MLP regressor on latents (torch, full-batch Adam, standardised targets)."""

    def __init__(self, seed: int, hidden: int = 64, epochs: int = 300) -> None:
        self.seed, self.hidden, self.epochs = seed, hidden, epochs

    def fit(self, x: np.ndarray, y: np.ndarray) -> "MLPPredictor":
        import torch

        torch.manual_seed(self.seed)
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        self.ym, self.ys = float(y.mean()), float(y.std() + 1e-9)
        X = torch.as_tensor((x - self.mu) / self.sd, dtype=torch.float32)
        Y = torch.as_tensor((y - self.ym) / self.ys, dtype=torch.float32)
        d = x.shape[1]
        self.net = torch.nn.Sequential(torch.nn.Linear(d, self.hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(self.hidden, self.hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(self.hidden, 1))
        opt = torch.optim.Adam(self.net.parameters(), lr=3e-3, weight_decay=1e-4)
        for _ in range(self.epochs):
            opt.zero_grad()
            loss = ((self.net(X).squeeze(1) - Y) ** 2).mean()
            loss.backward()
            opt.step()
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            X = torch.as_tensor((x - self.mu) / self.sd, dtype=torch.float32)
            return self.net(X).squeeze(1).numpy() * self.ys + self.ym


def run_predictor(method: str, task: LookupTask, latents: np.ndarray, seed: int, queries: int) -> list[int]:
    """Rows queried, in order (the training set of mlp-1000 is free and not listed)."""
    rng = np.random.default_rng([seed, 7])
    n = len(latents)
    y = task.objective
    torch_threads()
    if method == "mlp-1000":
        train = rng.choice(n, size=min(1000, n // 2), replace=False)
        model = MLPPredictor(seed).fit(latents[train], y[train])
        mask = np.ones(n, bool)
        mask[train] = False
        cand = np.flatnonzero(mask)
        order = cand[np.argsort(-model.predict(latents[cand]), kind="stable")]
        return order[:queries].tolist()
    # mlp-online
    n_init, refit = 100, 50
    order = rng.permutation(n)
    chosen = order[: min(n_init, queries)].tolist()
    visited = np.zeros(n, bool)
    visited[chosen] = True
    while len(chosen) < queries:
        idx = np.asarray(chosen)
        model = MLPPredictor(seed + len(chosen), epochs=200).fit(latents[idx], y[idx])
        pred = model.predict(latents)
        pred[visited] = -np.inf
        take = np.argsort(-pred, kind="stable")[: min(refit, queries - len(chosen))]
        chosen.extend(int(i) for i in take)
        visited[take] = True
    return chosen


def torch_threads() -> None:
    import torch

    torch.set_num_threads(1)


# --- the library's agents, driven by qas.search.optimize on table lookups -------------------
def run_agent(method: str, table: Table, task: LookupTask, latents: np.ndarray, seed: int, queries: int,
              struct: "Struct | None" = None, gp_queries: int | None = None) -> list[int]:
    import optuna

    from encoders import PoolIndex
    from qas.search import AGENTS, SearchContext, TableObjective, optimize

    torch_threads()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    index = PoolIndex(table.pool, latents)
    agent = AGENTS.get(method)(SearchContext(space=table.space, seed=seed, index=index))
    project = None
    if method == "evolution":  # mutated children outside the table: their nearest unvisited labelled circuit
        proj = PoolIndex(table.pool, struct.table)
        proj.visited = index.visited  # one visited mask for both
        project = lambda dag: proj.nearest_unvisited(struct.featurize([dag])[0])  # noqa: E731
    objective = TableObjective(task, table, index, project)
    optimize(agent, objective, queries if not (method == "bo" and gp_queries) else min(queries, gp_queries))
    return objective.rows


class Struct:
    """The structural features of a table's pool, and the featurizer for new circuits."""

    def __init__(self, table: Table) -> None:
        self.featurize = StructuralFeatures(table.pool, table.space)
        self.table = self.featurize(table.pool)


def run_one(method: str, table: Table, task: LookupTask, latents: np.ndarray, seed: int, queries: int,
            struct: np.ndarray | None, gp_queries: int | None) -> list[int]:
    if method.startswith("mlp"):
        return run_predictor(method, task, latents, seed, queries)
    return run_agent(method, table, task, latents, seed, queries, struct, gp_queries)


# --- statistics ------------------------------------------------------------------------------
def first_hit(rows: list[int], success: np.ndarray, queries: int) -> int:
    """1-based query count of the first success; ``queries + 1`` when none (censored)."""
    hits = np.flatnonzero(success[np.asarray(rows, dtype=int)]) if rows else []
    return int(hits[0]) + 1 if len(hits) else queries + 1


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


def summarise(records: list[dict], tables: dict[str, tuple[Table, list[LookupTask]]], queries: int,
              out_dir: Path, tag: str) -> list[dict]:
    from scipy import stats

    rows_out, curve_rows = [], []
    for (tname, task_name), methods, table, task in _by_task(records, tables):
        q_random = None
        fh = {}
        for m, recs in methods.items():
            qm = max(len(r["rows"]) for r in recs)  # a method's own budget (GP BO may be capped)
            fh[m] = np.array([first_hit(r["rows"], task.success, qm) for r in recs])
        q_random_full = fh.get("random")
        pool_rate = float(task.success.mean())
        for m in [m for m in METHODS if m in methods]:
            recs = methods[m]
            f = fh[m]
            Q = max(len(r["rows"]) for r in recs)
            hits100 = np.mean([task.success[np.asarray(r["rows"][:100], dtype=int)].sum() for r in recs])
            hits_all = np.mean([task.success[np.asarray(r["rows"], dtype=int)].sum() / max(len(r["rows"]), 1) * 100
                                for r in recs])
            best = np.array([task.objective[np.asarray(r["rows"], dtype=int)].max() for r in recs])
            p = float("nan")
            # random's first hits censored at this method's budget, so a capped method is
            # compared with random under the same budget
            q_random = None if q_random_full is None else np.minimum(q_random_full, Q + 1)
            if q_random is not None and m != "random":
                p = float(stats.mannwhitneyu(f, q_random, alternative="less").pvalue)
            med = float(np.median(f))
            rows_out.append({
                "table": tname, "task": task_name, "criterion": task.criterion, "pool": len(table),
                "pool_success_rate": pool_rate, "method": m, "seeds": len(recs), "queries": Q,
                "median_queries_to_threshold": med if med <= Q else f">{Q}",
                "median_numeric": med,
                "success_rate": float((f <= Q).mean()),
                "hits_per_100_first100": float(hits100), "hits_per_100_overall": float(hits_all),
                "final_best_mean": float(best.mean()),
                "random_median_same_budget": float(np.median(q_random)) if q_random is not None else float("nan"),
                "ratio_to_random_median": med / float(np.median(q_random)) if q_random is not None else float("nan"),
                "mannwhitney_p_less_than_random": p,
            })
            # best-so-far curves
            curves = np.array([np.maximum.accumulate(task.objective[np.asarray(r["rows"], dtype=int)])
                               for r in recs if len(r["rows"]) == Q])
            if len(curves) == 0:
                continue
            grid = sorted({q for q in (1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 700, 1000, Q) if q <= Q})
            for q in grid:
                v = curves[:, q - 1]
                se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
                tcrit = stats.t.ppf(0.975, len(v) - 1) if len(v) > 1 else float("nan")
                curve_rows.append({"table": tname, "task": task_name, "method": m, "queries": q,
                                   "mean_best": float(v.mean()), "ci95_lo": float(v.mean() - tcrit * se),
                                   "ci95_hi": float(v.mean() + tcrit * se), "seeds": len(v)})
    write_csv(out_dir / f"{tag}summary.csv", rows_out)
    write_csv(out_dir / f"{tag}curves.csv", curve_rows)
    plot(records, tables, out_dir, tag)
    return rows_out


def write_csv(path: Path, rows: list[dict]) -> None:
    if rows:
        write_rows(path, rows, float_format=".4g")


def plot(records: list[dict], tables: dict, out_dir: Path, tag: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    for (tname, task_name), methods, table, task in _by_task(records, tables):
        fig, ax = plt.subplots(figsize=(6, 4))
        for m in [m for m in METHODS if m in methods]:
            recs = methods[m]
            Q = max(len(r["rows"]) for r in recs)
            c = np.array([np.maximum.accumulate(task.objective[np.asarray(r["rows"], dtype=int)])
                          for r in recs if len(r["rows"]) == Q])
            if len(c) == 0:
                continue
            x = np.arange(1, Q + 1)
            mu = c.mean(0)
            if len(c) > 1:
                h = stats.t.ppf(0.975, len(c) - 1) * c.std(0, ddof=1) / math.sqrt(len(c))
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


def print_table(rows: list[dict]) -> None:
    tasks = list(dict.fromkeys((r["table"], r["task"]) for r in rows))
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]

    def grid(title: str, cell: Callable[[dict], str]) -> None:
        print(title)
        print(f"{'task':28s}" + "".join(f"{m:>12s}" for m in methods))
        for t in tasks:
            line = f"{t[0] + ':' + t[1]:28s}"
            for m in methods:
                r = next((r for r in rows if (r["table"], r["task"]) == t and r["method"] == m), None)
                line += f"{'' if r is None else cell(r):>12s}"
            print(line)

    grid("median queries to first circuit above threshold (>Q: not reached in most runs)",
         lambda r: str(r["median_queries_to_threshold"]))
    p_key = "mannwhitney_p_less_than_random"
    grid("\nMann-Whitney U p (queries-to-threshold smaller than random's), one-sided",
         lambda r: "" if math.isnan(r[p_key]) else f"{r[p_key]:.3g}")


def limit_for(limit: str | None, path: Path) -> int | None:
    if not limit:
        return None
    if "=" not in limit:
        return int(limit)
    import json as _json

    space = _json.loads(str(np.load(path)["meta"]))["space"]
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
    args = p.parse_args(argv)
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
    tables: dict[str, tuple[Table, list[LookupTask]]] = {}
    run_log = out_dir / "runs" / f"{tag}runs-{args.part}.jsonl"
    records = [json.loads(l) for f in sorted((out_dir / "runs").glob(f"{tag}runs-*.jsonl"))
               for l in f.read_text().splitlines() if l.strip()]
    budget_for = {k: int(v) for k, v in (x.split("=") for x in args.budget_for.split(",") if x)}
    if args.gp_queries:
        budget_for.setdefault("bo", args.gp_queries)
    seeds_for = {k: int(v) for k, v in (x.split("=") for x in args.seeds_for.split(",") if x)}
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
                        rows = run_one(m, table, task, latents, s, min(args.queries, budget_for.get(m, args.queries)),
                                       struct, None)
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
    rows = summarise(records, tables, args.queries, out_dir, tag)
    print_table(rows)
    print(f"\ntotal {time.time() - t0:.0f}s; results in {out_dir}/{tag}summary.csv, {tag}curves.csv, {tag}curve_*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
