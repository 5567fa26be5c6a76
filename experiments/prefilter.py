"""Training-free pre-filters (issue 18 §2): do cheap predictors pick the circuits training would?

Each predictor scores a circuit before any training; a pre-filter would train only the 25% of
proposals it rates best. The predictors (``qas.backends.predictors``) and two free baselines:

- ``expressibility`` and ``entangling_capability`` (Sim et al. 2019), ``gradient_variance``
  (barren plateaus, McClean et al. 2018), each with "higher is better" fixed in advance;
- ``params`` (trainable angles) and ``two_qubit`` (two-qubit gates): counts, no simulation.

They are measured on:

- the labelled tables (``results/tabular_paper4q.npz``, ``tabular_paper8q.npz``): ``--rows`` rows
  drawn at random (seed 0) from each, against every score column;
- FashionMNIST candidates: the circuits of ``results/proxy_curves_fashion-2.csv`` (fashion-2, sampled
  from its space, each trained for 9 epochs with the search's training), against that score.

For each predictor and column: the Spearman correlation with the trained score, the fraction of
the true top 10% that a filter keeping the best-rated 25% keeps (a filter that knows nothing
keeps 25%), and the cost per circuit. For the needle tasks of the tables (success rate under
5%: the hits of ``compare_agents.py``), every hit is scored too, and the table says what share
of the hits a filter keeping the best-rated 25% of the pool (the 75th percentile of the random
rows) keeps: the factor by which it would enrich the pool in hits. Rows go to ``results/prefilter.csv``, the table to
``results/prefilter.md``. Élivágar's Clifford noise resilience is a noise predictor: it is
measured against noisy scores by ``cnr_predictor.py``.

    python experiments/prefilter.py                 # ~5 min on 2 cores
    python experiments/prefilter.py --rows 60       # a quick look
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from common import RESULTS, read_rows, sampled_circuits, write_rows
from scipy.stats import spearmanr

from qas.backends import entangling_capability, expressibility, gradient_variance
from qas.search import load_table, lookup_tasks
from qas.tasks import build_task
from search_spaces import load_space

PREDICTORS = ("expressibility", "entangling_capability", "gradient_variance", "params", "two_qubit")


def predict(dag_json: str) -> dict[str, float]:
    """Every predictor of one circuit, with the seconds the simulated ones took together."""
    from qas import CircuitDAG

    dag = CircuitDAG.from_json(dag_json)
    t0 = time.perf_counter()
    out = {"expressibility": expressibility(dag), "entangling_capability": entangling_capability(dag),
           "gradient_variance": gradient_variance(dag)}
    out["seconds"] = time.perf_counter() - t0
    out["params"] = float(dag.num_params)
    out["two_qubit"] = float(sum(len(g.qubits) == 2 for g in dag.gates))
    return out


def judge(values: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(Spearman, fraction of the true top 10% among the 25% with the highest ``values``)."""
    n = len(truth)
    top = set(np.argsort(-truth, kind="stable")[: max(1, round(n / 10))])
    kept = set(np.argsort(-values, kind="stable")[: max(1, round(n / 4))])
    return float(spearmanr(values, truth).statistic), len(top & kept) / len(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=300, help="rows drawn from each labelled table")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    sets = []  # (name, circuits, {column: trained scores})
    needles = []  # (name, task, hit circuits, the random rows' circuits)
    for name in ("paper4q", "paper8q"):
        table = load_table(RESULTS / f"tabular_{name}.npz")
        rows = np.sort(np.random.default_rng(0).choice(len(table), size=min(args.rows, len(table)), replace=False))
        sets.append((name, [table.pool[i] for i in rows], {c: np.asarray(v)[rows] for c, v in table.scores.items()}))
        for t in lookup_tasks(table):
            if 0 < t.success.sum() and t.success.mean() < 0.05:
                needles.append((name, f"{t.name} ({t.criterion})", [table.pool[i] for i in np.flatnonzero(t.success)],
                                len(table)))
    curves = read_rows(RESULTS / "proxy_curves_fashion-2.csv")
    if curves:
        space = load_space(build_task("fashionmnist", variant=curves[0]["task"]).default_space)
        dags = sampled_circuits(space, len(curves), 0)
        assert [d.key[:12] for d in dags] == [r["circuit"] for r in curves], "proxy_curves.csv is from another sample"
        sets.append((curves[0]["task"], dags, {"score (9 epochs)": np.array([float(r["score_full"]) for r in curves])}))

    out = []
    random_sets: dict[str, list] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for name, dags, columns in sets:
            preds = list(pool.map(predict, [d.to_json() for d in dags], chunksize=4))
            random_sets[name] = preds
            cost = float(np.mean([p["seconds"] for p in preds]))
            for column, truth in columns.items():
                for p in PREDICTORS:
                    rho, kept = judge(np.array([q[p] for q in preds]), truth)
                    out.append({"set": name, "column": column, "circuits": len(dags), "predictor": p,
                                "spearman": round(rho, 3), "top10_kept_by_25pct": round(kept, 3),
                                "seconds_per_circuit": round(cost, 3) if p in PREDICTORS[:3] else 0.0})
                print(f"{name:<10}{column:<22}" + "  ".join(f"{r['predictor']} {r['spearman']:+.2f}/{r['top10_kept_by_25pct']:.2f}"
                                                            for r in out[-len(PREDICTORS):]), flush=True)
        hits = []
        for name, task, dags, pool_size in needles:
            preds = list(pool.map(predict, [d.to_json() for d in dags], chunksize=4))
            random_preds = next(p for n, p in random_sets.items() if n == name)
            for p in PREDICTORS:
                cut = np.percentile([q[p] for q in random_preds], 75)
                kept = float(np.mean([q[p] >= cut for q in preds]))  # ties at the cut count as kept
                hits.append({"set": name, "task": task, "hits": len(dags), "pool": pool_size, "predictor": p,
                             "hits_kept_by_25pct": round(kept, 3), "enrichment": round(kept / 0.25, 2)})
            print(f"{name:<10}{task:<40}" + "  ".join(f"{h['predictor']} {h['hits_kept_by_25pct']:.2f}"
                                                      for h in hits[-len(PREDICTORS):]), flush=True)
    write_rows(RESULTS / "prefilter.csv", out)
    write_rows(RESULTS / "prefilter_hits.csv", hits)
    lines = ["# Training-free pre-filters: Spearman with the trained score / share of the true top 10% kept by a "
             "filter that keeps the best-rated 25%", "",
             f"Written by `python experiments/prefilter.py --rows {args.rows}`. A filter that knows nothing keeps 0.25 of "
             "the top 10%; the three simulated predictors together cost the seconds shown per circuit (one core).", "",
             "| set | column | circuits | " + " | ".join(PREDICTORS) + " | s / circuit |", "|" + "---|" * (len(PREDICTORS) + 4)]
    for name, _, columns in sets:
        for column in columns:
            rs = [r for r in out if r["set"] == name and r["column"] == column]
            lines.append(f"| {name} | {column} | {rs[0]['circuits']} | "
                         + " | ".join(f"{r['spearman']:+.2f} / {r['top10_kept_by_25pct']:.2f}" for r in rs)
                         + f" | {rs[0]['seconds_per_circuit']:.2f} |")
    lines += ["", "## The needles: share of the hits a filter keeping the best-rated 25% of the pool keeps", "",
              "The cut is the 75th percentile of each predictor over the random rows above; 0.25 is a filter that "
              "knows nothing, 1.0 keeps every hit (4x the pool's hit rate).", "",
              "| set | task | hits / pool | " + " | ".join(PREDICTORS) + " |", "|" + "---|" * (len(PREDICTORS) + 3)]
    for name, task, dags, pool_size in needles:
        hs = [h for h in hits if h["set"] == name and h["task"] == task]
        lines.append(f"| {name} | {task} | {len(dags)} / {pool_size} | " + " | ".join(f"{h['hits_kept_by_25pct']:.2f}" for h in hs) + " |")
    (RESULTS / "prefilter.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
