"""Does the search's short training rank circuits the way the final training does? (issue 6 §3)

A search scores each candidate after a short training (``SEARCH_TRAIN``: 3 epochs, lr 0.05, on
``--train-limit`` images). The final round retrains the top few for 30 epochs at lr 0.01 on the
full training split. If the two disagree, the agent climbs toward circuits the final training
does not favour, and no budget fixes that.

This script takes the contenders of a finished run's final round (``finalists.json``: the top
searched circuits and the hand-designed ansätze, each with its validation score after the final
training), scores each under one or more candidate search trainings (``--proxies``, each a set
of ``TrainConfig`` overrides of ``SEARCH_TRAIN``) with the run's own search settings, and reports
for each proxy the Kendall tau between its ranking and the final training's. Rows go to
``results/proxy_fidelity.csv``, keyed by (variant, circuit, proxy); evaluations are cached in
``results/cache/proxy_fidelity.sqlite``, so reruns cost nothing.

    python experiments/proxy_fidelity.py experiments/results/runs/fashion_peers_w5/fashion-10 \\
        --proxies "lr=0.05" "lr=0.01" "lr=0.02"          # 4 circuits x 3 proxies: ~10 min on 2 cores
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from common import RESULTS, upsert_rows
from scipy.stats import kendalltau

from qas import CircuitDAG, ResultCache, TrainConfig, evaluate
from qas.search import SEARCH_TRAIN, open_run

CACHE = RESULTS / "cache" / "proxy_fidelity.sqlite"


def parse_proxy(text: str) -> dict[str, Any]:
    """``"lr=0.01,epochs=5"`` -> ``{"lr": 0.01, "epochs": 5}``."""
    out: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        out[key.strip()] = int(value) if value.strip().isdigit() else float(value)
    return out


def score(run_dir: str, circuit: dict[str, Any], proxy: dict[str, Any]) -> tuple[float, float, bool]:
    """One search-time evaluation of ``circuit`` under ``proxy``, as the run's search would do it."""
    run = open_run(run_dir)
    cfg = TrainConfig.from_dict({**SEARCH_TRAIN, **proxy, "seed": run.config.seed})
    # the run's search-time task, built (and its data loaded) once per process
    rec = evaluate(CircuitDAG.from_dict(circuit), run.task(), cfg, cache=ResultCache(CACHE))
    return rec.score, rec.train_seconds + rec.score_seconds, rec.cached  # a cache hit keeps its first cost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", help="a run directory with finalists.json")
    ap.add_argument("--proxies", nargs="+", default=["lr=0.05"], help='TrainConfig overrides, e.g. "lr=0.01,epochs=5"')
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "proxy_fidelity.csv"))
    args = ap.parse_args()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    run = open_run(args.run)
    doc = run.finalists()
    rows = doc["finalists"]
    variant = run.path.name
    jobs = [(r, p) for p in args.proxies for r in rows]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(score, [args.run] * len(jobs), [r["circuit"] for r, _ in jobs],
                                [parse_proxy(p) for _, p in jobs]))
    table = []
    for (r, p), (proxy_val, seconds, cached) in zip(jobs, results):
        table.append({"variant": variant, "circuit": r["key"][:12], "contender": r["trial"], "proxy": p,
                      "proxy_val": round(proxy_val, 4), "final_val": round(r["val_score"], 4),
                      "final_epochs": doc["train_config"]["epochs"], "seconds": round(seconds, 1), "cached": cached})
    upsert_rows(args.out, table, key=("variant", "circuit", "proxy"))
    print(f"{'proxy':<24}{'Kendall tau vs final':>22}   proxy val per contender (final val)")
    for p in args.proxies:
        mine = [t for t in table if t["proxy"] == p]
        tau = kendalltau([t["proxy_val"] for t in mine], [t["final_val"] for t in mine]).statistic
        detail = ", ".join(f"{t['contender']}: {t['proxy_val']:.3f} ({t['final_val']:.3f})" for t in mine)
        print(f"{p:<24}{tau:>22.2f}   {detail}")


if __name__ == "__main__":
    main()
