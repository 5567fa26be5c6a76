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

``--curves N`` calibrates multi-fidelity search (``qas search --pruner``) instead: N circuits
sampled from the task's default space train once for ``--epochs`` epochs with the search's
training (learning rate and schedule over all epochs, no early stopping), keeping the validation
score after every epoch; each is also trained with the search's own 3 epochs. Tasks without
data report minus the loss every 20 steps of the search's own training. For every step k it
reports the Spearman correlation of the value after k with the score after all of them, and
how many of the true top quarter survive a rung that keeps the top third at k. Rows (one per
circuit) go to ``results/proxy_curves_<task>.csv``, the summary to ``proxy_curves_<task>.md``:

    python experiments/proxy_fidelity.py --curves 40 --variant fashion-2 --epochs 9   # ~16 min on 2 cores
    python experiments/proxy_fidelity.py --curves 60 --task tfim-8 --space paper-8q   # ~3 min (the committed run)

``--schedules`` asks which search-time training ranks best for its cost: the circuits of
``proxy_curves_<task>.csv`` (drawn again from the same seed) train once under each ``--proxies``
override of ``SEARCH_TRAIN`` (``""``: ``SEARCH_TRAIN`` itself; not the task's own training,
which may be what an earlier run of this chose, so the table reproduces), and each is compared with
the stored long training's score (``score_full``): Spearman, the true top quarter kept by a
top-third cut, and the mean seconds per circuit (all proxies interleaved circuit by circuit, so
load hits them alike). Rows go to ``results/proxy_schedules_<task>.csv``, the summary to
``proxy_schedules_<task>.md``:

    python experiments/proxy_fidelity.py --schedules --variant fashion-2 \
        --proxies "" "batch_size=128,lr=0.1" "batch_size=128,lr=0.1,epochs=6"   # ~15 min on 1 core
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from common import RESULTS, read_rows, sampled_circuits, upsert_rows, write_rows
from scipy.stats import kendalltau

from qas import CircuitDAG, ResultCache, TrainConfig, evaluate
from qas.search import SEARCH_TRAIN, open_run
from qas.tasks import build_task

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


def curve(name: str, variant: str | None, circuit: str, train: dict[str, Any],
          cache: str = str(CACHE)) -> tuple[list[float], float, float]:
    """One training of ``circuit`` on the search-time task: its curve (validation score per
    epoch, or minus the loss per 20-step window), its qsim search score and its training seconds
    (the first cost if cached)."""
    task = build_task(name, variant=variant)
    rec = evaluate(CircuitDAG.from_json(circuit), task, TrainConfig.from_dict(train), cache=ResultCache(cache))
    return list(rec.curve), rec.score, rec.train_seconds


def calibrate(args: argparse.Namespace) -> None:
    import numpy as np
    from scipy.stats import spearmanr

    from search_spaces import load_space

    task = build_task(args.task, variant=args.variant)
    name = args.variant or args.task
    space = load_space(args.space or task.default_space)
    dags = sampled_circuits(space, args.curves, args.seed)
    base = {**SEARCH_TRAIN, **task.search_train, "seed": 0}
    if task.has_data:  # epochs as rungs: a longer training, compared with the search's own 3 epochs
        long, unit, length = {**base, "epochs": args.epochs, "patience": args.epochs}, "epoch", f"{args.epochs} epochs"
    else:  # 20-step windows as rungs: the search's own steps without its early stop
        long, unit, length = {**base, "patience": base["steps"]}, "window", f"{base['steps']} steps"
    jobs = [(d.to_json(), long) for d in dags] + [(d.to_json(), base) for d in dags]
    with ProcessPoolExecutor(args.jobs) as pool:
        out = list(pool.map(curve, [args.task] * len(jobs), [args.variant] * len(jobs), [j[0] for j in jobs],
                            [j[1] for j in jobs]))
    longs, shorts = out[: len(dags)], out[len(dags):]
    rows = []
    for d, (c, full, secs), (_, short, short_secs) in zip(dags, longs, shorts):
        rows.append({"task": name, "circuit": d.key[:12], "steps": len(c),
                     **{f"{unit}_{k + 1}": round(v, 4) for k, v in enumerate(c)},
                     "score_full": round(full, 4), "score_search": round(short, 4),
                     "seconds_full": round(secs, 2), "seconds_search": round(short_secs, 2)})
    stem = RESULTS / f"proxy_curves_{name}"
    write_rows(stem.with_suffix(".csv"), rows)
    steps = min(r["steps"] for r in rows)
    full = np.array([r["score_full"] for r in rows])
    top = set(np.argsort(-full)[: max(1, len(rows) // 4)])
    lines = [f"# Multi-fidelity calibration: {name}, {len(rows)} circuits of {space.name}",
             "", f"Each circuit trained for {length} with the search's training ({base['lr']} lr, cosine over all "
             f"of it, no early stopping), reporting after every {unit}; 'full' is its qsim score after all of it (what a "
             f"trial that is never pruned scores). Written by `python experiments/proxy_fidelity.py --curves "
             f"{args.curves} --task {args.task}" + (f" --variant {args.variant} --epochs {args.epochs}" if task.has_data else "")
             + "`.", "", "| reported after | Spearman with full | true top quarter kept by a top-third rung |", "|---|---|---|"]
    for k in range(1, steps):
        early = np.array([max(r[f"{unit}_{j}"] for j in range(1, k + 1)) for r in rows])
        kept = set(np.argsort(-early)[: max(1, round(len(rows) / 3))])
        lines.append(f"| {unit} {k} | {spearmanr(early, full).statistic:.2f} | {len(top & kept)}/{len(top)} |")
    short = np.array([r["score_search"] for r in rows])
    kept = set(np.argsort(-short)[: max(1, round(len(rows) / 3))])
    lines.append(f"| the search's own training (today's search score) | {spearmanr(short, full).statistic:.2f} | "
                 f"{len(top & kept)}/{len(top)} |")
    lines += ["", f"Mean training cost: {np.mean([r['seconds_full'] for r in rows]):.2f} s for the full curve, "
              f"{np.mean([r['seconds_search'] for r in rows]):.2f} s for the search's own training."]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def schedules(args: argparse.Namespace) -> None:
    """Each ``--proxies`` search training against the stored long training of the calibration circuits."""
    import numpy as np
    from scipy.stats import spearmanr

    from search_spaces import load_space

    task = build_task(args.task, variant=args.variant)
    name = args.variant or args.task
    stored = read_rows(RESULTS / f"proxy_curves_{name}.csv")
    if not stored:
        raise SystemExit(f"proxy_fidelity.py: no results/proxy_curves_{name}.csv; run --curves first")
    full = {r["circuit"]: float(r["score_full"]) for r in stored}
    space_name = args.space or task.default_space
    dags = sampled_circuits(load_space(space_name), len(stored), args.seed)
    if [d.key[:12] for d in dags] != [r["circuit"] for r in stored]:
        raise SystemExit(f"proxy_fidelity.py: the circuits drawn with --seed {args.seed} are not those of "
                         f"proxy_curves_{name}.csv; give the seed it was written with")
    base = {**SEARCH_TRAIN, "seed": 0}
    jobs = [(d, p) for d in dags for p in args.proxies]  # interleaved: load hits every proxy alike
    cache = str(RESULTS / "cache" / "proxy_schedules.sqlite")
    with ProcessPoolExecutor(args.jobs) as pool:
        out = list(pool.map(curve, [args.task] * len(jobs), [args.variant] * len(jobs), [d.to_json() for d, _ in jobs],
                            [{**base, **parse_proxy(p)} for _, p in jobs], [cache] * len(jobs)))
    rows = [{"task": name, "circuit": d.key[:12], "proxy": p or "SEARCH_TRAIN", "score": round(score, 4),
             "score_full": full[d.key[:12]], "seconds": round(secs, 2), "epochs_run": len(c)}
            for (d, p), (c, score, secs) in zip(jobs, out)]
    stem = RESULTS / f"proxy_schedules_{name}"
    upsert_rows(stem.with_suffix(".csv"), rows, ("task", "circuit", "proxy"))
    truth = np.array([full[d.key[:12]] for d in dags])
    top = set(np.argsort(-truth)[: max(1, len(dags) // 4)])
    own = np.mean([r["seconds"] for r in rows if r["proxy"] == "SEARCH_TRAIN"]) if "" in args.proxies else float("nan")
    lines = [f"# Search-time trainings against the long one: {name}, {len(dags)} circuits of {space_name}", "",
             f"'full': each circuit's score after the {max(int(r['steps']) for r in stored)}-epoch "
             f"training of `proxy_curves_{name}.csv`. Each row trains the same circuits once with SEARCH_TRAIN "
             f"({', '.join(f'{k} {v}' for k, v in base.items() if k != 'seed')}) changed as the proxy says. "
             "Written by `python experiments/proxy_fidelity.py --schedules --variant " + str(args.variant) + " --proxies "
             + " ".join(f'"{p}"' for p in args.proxies) + "`.", "",
             "| search training | Spearman with full (95% bootstrap interval) | true top quarter kept by a top-third cut | seconds per circuit | cost / SEARCH_TRAIN's |",
             "|---|---|---|---|---|"]
    for p in args.proxies:
        mine = {r["circuit"]: r for r in rows if r["proxy"] == (p or "SEARCH_TRAIN")}
        vals = np.array([mine[d.key[:12]]["score"] for d in dags])
        kept = set(np.argsort(-vals, kind="stable")[: max(1, round(len(dags) / 3))])
        secs = np.mean([r["seconds"] for r in mine.values()])
        rng = np.random.default_rng(0)  # 95% interval over circuits, 1000 bootstrap resamples
        boot = [spearmanr(vals[i], truth[i]).statistic for i in (rng.integers(0, len(dags), len(dags)) for _ in range(1000))]
        lo, hi = np.nanpercentile(boot, [2.5, 97.5])
        label = p or f"SEARCH_TRAIN (batch {base['batch_size']}, {base['epochs']} epochs, lr {base['lr']})"
        lines.append(f"| {label} | "
                     f"{spearmanr(vals, truth).statistic:.2f} ({lo:.2f} to {hi:.2f}) | "
                     f"{len(top & kept)}/{len(top)} | {secs:.2f} | {secs / own:.2f} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", nargs="?", help="a run directory with finalists.json")
    ap.add_argument("--curves", type=int, default=0, help="calibrate pruning: train this many sampled circuits")
    ap.add_argument("--task", default="fashionmnist", help="with --curves: the task (fashionmnist, tfim-8, state-prep, ...)")
    ap.add_argument("--variant", default=None, help="with --curves: its variant (fashion-2 for fashionmnist)")
    ap.add_argument("--space", default=None,
                    help="with --curves: sample from this space instead of the task's default (tfim-8's committed "
                         "calibration is in paper-8q, its default space until 2026-12-04)")
    ap.add_argument("--epochs", type=int, default=9)
    ap.add_argument("--schedules", action="store_true", help="rank --proxies against the stored --curves run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proxies", nargs="+", default=["lr=0.05"], help='TrainConfig overrides, e.g. "lr=0.01,epochs=5"')
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "proxy_fidelity.csv"))
    args = ap.parse_args()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    if args.curves or args.schedules:
        if args.task == "fashionmnist" and args.variant is None:
            args.variant = "fashion-2"
        return schedules(args) if args.schedules else calibrate(args)
    if not args.run:
        ap.error("give a run directory, or --curves N")
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
