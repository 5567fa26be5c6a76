"""bo-pool's GP on scikit-learn against the hand-written GP it replaced (issue 16), like for like.

Each arm is one checkout of the library, run by ``compare_agents.py`` with the same tables,
seeds and budgets and ``--tag poolbo_gp_compare_<arm>_<label>_`` (the commands are in
``experiments/README.md``). This reads the arms' run files and writes one row per task and arm:
median queries to threshold, success rate, wall and CPU seconds per run, and two-sided tests
that the arm's queries to first hit differ from the first arm's: Mann-Whitney U, and the
Wilcoxon signed-rank test on the seeds paired (the arms share each seed's first 8 uniform
draws), with the count of seeds whose first hit came earlier, at the same query, or later.

    python experiments/poolbo_gp_compare.py --runs-dir /tmp/gpcmp/runs --arms handwritten,sklearn,sklearn-warm
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from common import RESULTS, write_rows
from scipy import stats

from qas.search import load_table, lookup_tasks, queries_to_success


def compare(runs_dir: Path, arms: list[str], tables: list[Path]) -> list[dict]:
    tasks = {}
    for path in tables:
        table = load_table(path)
        tasks.update({(table.space.name, t.name): t for t in lookup_tasks(table)})
    by: dict = {}
    for arm in arms:
        for f in sorted(runs_dir.glob(f"poolbo_gp_compare_{arm}_[0-9]*runs-*.jsonl")):
            for r in map(json.loads, f.read_text().splitlines()):
                by.setdefault((r["table"], r["task"]), {}).setdefault(arm, {})[r["seed"]] = r
    rows = []
    for (tname, task_name), per_arm in sorted(by.items()):
        task, base = tasks[(tname, task_name)], arms[0]
        for arm in [a for a in arms if a in per_arm]:
            seeds = sorted(set(per_arm[arm]) & set(per_arm[base]))
            budget = max(len(per_arm[a][s]["rows"]) for a in (base, arm) for s in seeds)
            f, f0 = (np.array([queries_to_success(per_arm[a][s]["rows"], task.success, budget) for s in seeds])
                     for a in (arm, base))
            med = float(np.median(f))
            same = arm == base or bool(np.all(f == f0))
            rows.append({
                "table": tname, "task": task_name, "criterion": task.criterion, "arm": arm,
                "seeds": len(seeds), "budget": budget,
                "median_queries_to_threshold": med if med <= budget else f">{budget}",
                "success_rate": float((f <= budget).mean()),
                "wall_s_per_run": float(np.mean([per_arm[arm][s]["seconds"] for s in seeds])),
                "cpu_s_per_run": float(np.mean([per_arm[arm][s]["cpu_seconds"] for s in seeds])),
                "mannwhitney_p_vs_first_arm": 1.0 if same else float(stats.mannwhitneyu(f, f0).pvalue),
                "wilcoxon_paired_p_vs_first_arm": 1.0 if same else float(stats.wilcoxon(f, f0).pvalue),
                "seeds_first_hit_earlier": int((f < f0).sum()),
                "seeds_first_hit_same": int((f == f0).sum()),
                "seeds_first_hit_later": int((f > f0).sum()),
            })
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs-dir", type=Path, required=True, help="the runs/ folder of compare_agents.py's --out-dir")
    p.add_argument("--arms", default="handwritten,sklearn,sklearn-warm", help="the first is the reference")
    p.add_argument("--tables", default=f"{RESULTS / 'tabular_paper4q.npz'},{RESULTS / 'tabular_paper8q.npz'}")
    p.add_argument("--out", type=Path, default=RESULTS / "poolbo_gp_compare.csv")
    args = p.parse_args(argv)
    rows = compare(args.runs_dir, args.arms.split(","), [Path(t) for t in args.tables.split(",")])
    write_rows(args.out, rows, float_format=".4g")
    for r in rows:
        print(", ".join(f"{k}={v}" for k, v in r.items() if k != "criterion"))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
