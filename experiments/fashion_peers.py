"""FashionMNIST against the peers (issue 6 §3): searched ansatz vs hand-designed vs logistic regression.

For each variant: run ``qas search`` with its defaults (default agent and space, budget ``B``; the
run retrains its top 3 and keeps the best on validation), then retrain the best of those searched
finalists (the run may itself choose a hand-designed ansatz; that one has its own row) from
scratch with the final training config over 3 seeds. The same 3-seed protocol trains hand-designed
ansätze: ``u3cu3:2`` stacked like the searched space (same re-uploading), and the one-pass
``u3cu3:4``/``hea:4`` after a single encoding (the QuantumNAS-style circuits of DESIGN.md §7).
Every accuracy is qsim's, on the official test split. Writes
``experiments/results/fashion_peers.csv``; published peer numbers are quoted in
experiments/README.md, not rerun.

    python experiments/fashion_peers.py --variants fashion-2,fashion-4 --budget 100
    python experiments/fashion_peers.py --variants fashion-10 --budget 50

Rerunning some variants or models (``--models``) keeps the other rows of the CSV (re-read at every
write, so two processes may run different variants or models side by side). fashion-10 trains on
57k images with 10 qubits, so its run caps the search's training images and the final epochs:

    python experiments/fashion_peers.py --variants fashion-10 --budget 50 --train-limit 10000 --final-epochs 10

Every retrain of a variant goes through its run's result cache, so a circuit the run's final round
already trained (the searched winner and the hand-designed ``u3cu3:2`` with seed 0, under the same
final config) is not trained twice, and a later final round finds the rows' retrains. To retrain
with a longer final training without searching or re-running the final round, ``--reuse-run``
takes the searched winner as the run's own final round chose it. The search cost (CPU-hours of
the search and the final round) is the one the run recorded in its ``finalists.json``:

    python experiments/fashion_peers.py --variants fashion-10 --reuse-run --final-epochs 30 \
        --runs experiments/results/runs/fashion_peers_w5 --models searched

A 30-epoch retraining of a 10-qubit circuit takes 35-45 min, so ``--seeds`` splits the seeds over
processes: each fills the run's cache (rows of one seed, std 0), and a last run with every seed
reads them back and writes the 3-seed row.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from pathlib import Path

from common import RESULTS, over_seeds, read_rows, upsert_rows

from qas import CircuitDAG, build_task
from qas.search import FINAL_TRAIN, SearchConfig, open_run, search
from qas.tasks import logistic_regression_accuracy
from search_spaces import build_ansatz, load_space

SEEDS = (0, 1, 2)


def candidates(space, searched, searched_name: str) -> dict[str, object]:
    one_pass = space.cell_space
    out = {searched_name: searched}
    if space.reuploads > 1:
        out[f"u3cu3:2 x{space.reuploads} ({space.name})"] = build_ansatz("u3cu3:2", space)
    if space.encoding is not None and space.encoding.weighted:  # the same without trainable input scaling
        plain = replace(space, encoding=replace(space.encoding, weighted=False))
        out[f"u3cu3:2 x{space.reuploads}, unweighted encoding"] = build_ansatz("u3cu3:2", plain)
    out["u3cu3:4 (one pass)"] = build_ansatz("u3cu3:4", one_pass)
    out["hea:4 (one pass)"] = build_ansatz("hea:4", one_pass)
    return out


def searched_winner(finalists: dict) -> CircuitDAG:
    """The searched finalist the run's final round scores best on validation.

    The run itself may choose a hand-designed ansatz of its space (``best.json`` then holds it),
    but this row is about what the search found: the best ``searched`` row of the run's
    ``finalists.json`` (first in training order on a tie, as the final round breaks ties)."""
    searched = [r for r in finalists["finalists"] if r["origin"] == "searched"]
    best = max(enumerate(searched), key=lambda ir: (ir[1]["val_score"], -ir[0]))[1]
    return CircuitDAG.from_dict(best["circuit"])


def search_cost(finalists: dict, path, variant: str, model: str) -> float:
    """CPU-hours of the run's search and final round, as its ``finalists.json`` records them (summed
    from its records' training and scoring times). Runs from before that record fall back to the
    figure the CSV recorded when they ran."""
    cost = finalists.get("cost")
    if cost:
        return round(cost["search_cpu_hours"] + cost["final_round_cpu_hours"], 3)
    for r in read_rows(path):
        if (r["variant"], r["model"]) == (variant, model):
            return float(r["search_cpu_h"])
    raise SystemExit(f"--reuse-run: {path} records no search cost for {variant} {model}")


def selected(name: str, models: list[str] | None) -> bool:
    return models is None or any(name.startswith(m) for m in models)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="fashion-2,fashion-4")
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="search seed")
    ap.add_argument("--runs", default="experiments/results/runs/fashion_peers")
    ap.add_argument("--out", default=str(RESULTS / "fashion_peers.csv"))
    ap.add_argument("--models", default=None,
                    help="comma-separated model name prefixes to (re)run, e.g. 'searched,u3cu3:2' (default: all)")
    ap.add_argument("--train-limit", type=int, default=None, help="training images per candidate while searching")
    ap.add_argument("--final-epochs", type=int, default=None,
                    help=f"epochs of the final training, in the search and the 3-seed retrains (default {FINAL_TRAIN['epochs']})")
    ap.add_argument("--seeds", default=",".join(map(str, SEEDS)),
                    help="retrain seeds; one process per seed fills the run's cache in parallel, and a later run "
                         "with every seed then reads them back")
    ap.add_argument("--tag", default="", help="appended to the searched row's name, to keep rows of several runs apart")
    ap.add_argument("--reuse-run", action="store_true",
                    help="do not search or resume: retrain the searched winner the existing run's final round chose")
    args = ap.parse_args()
    models = args.models.split(",") if args.models else None
    seeds = [int(x) for x in args.seeds.split(",")]
    out = args.out

    def emit(row: dict) -> None:
        """(variant, model, final epochs) rows are replaced one by one, so reruns of some variants or models keep
        the others, and two processes on different models can share the CSV."""
        print(row, flush=True)
        upsert_rows(out, [row], key=("variant", "model", "final_epochs"))

    for variant in args.variants.split(","):
        task = build_task("fashionmnist", variant=variant)
        space = load_space(task.default_space)
        # the variant's own final training (what ``qas search`` retrains with), epochs as asked
        final = SearchConfig().resolved_final_train(task)
        if args.final_epochs:
            final.update(epochs=args.final_epochs, patience=args.final_epochs)
        run_dir = Path(args.runs) / variant
        searched, search_cpu_h = None, 0.0
        searched_name = f"searched ({space.name})" + (f", {args.tag}" if args.tag else "")
        if selected(searched_name, models) and not args.reuse_run:
            search(SearchConfig(task="fashionmnist", variant=variant, budget=args.budget, seed=args.seed,
                                train_limit=args.train_limit, final_train=final), run_dir, progress=False)
        run = open_run(run_dir) if (run_dir / "config.toml").exists() else None
        if selected(searched_name, models):  # with --reuse-run, the run as it stands
            finalists = open_run(run_dir).finalists()
            search_cpu_h = search_cost(finalists, out, variant, searched_name)
            searched = searched_winner(finalists)
        # the run's final round trained its winner and the hand-designed u3cu3:2 with seed 0
        for name, dag in candidates(space, searched, searched_name).items():
            if dag is None or not selected(name, models):
                continue
            is_searched = name.startswith("searched")
            stats, records = over_seeds(dag, task, final, seeds, splits=("val", "test"), cache=run and run.cache)
            emit({"variant": variant, "model": name, "test_mean": stats["test_mean"], "test_std": stats["test_std"],
                  "seeds": stats["seeds"], "gates": len(dag), "params": dag.num_params,
                  "evaluations": run.config.budget if is_searched else 0,
                  "search_cpu_h": search_cpu_h if is_searched else 0,
                  # as measured when trained (a cached record keeps its own times)
                  "retrain_s_per_seed": round(statistics.mean(r.train_seconds + r.score_seconds for r in records), 1),
                  "final_epochs": final["epochs"]})
        if selected("logistic regression", models):
            lr = logistic_regression_accuracy(task.data)
            emit({"variant": variant, "model": "logistic regression", "test_mean": round(lr["test_acc"], 4),
                  "test_std": 0.0, "seeds": 1, "gates": 0, "params": (task.num_features + 1) * len(task.classes),
                  "evaluations": 0, "search_cpu_h": 0, "retrain_s_per_seed": round(lr["seconds"], 1),
                  "final_epochs": 0})


if __name__ == "__main__":
    main()
