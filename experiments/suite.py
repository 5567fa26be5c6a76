"""The suite that judges the default search: the default ``qas search``, random search and
regularized evolution at equal CPU time, and the hand-designed ansätze, on every kind of task.

For each task and seed, each search method runs ``qas.search(task, agent=A, seed=s,
cpu_minutes=M, final=False)``: it stops once its candidates' CPU adds up to ``M`` minutes
(``--cpu-minutes``: their training and scoring, and since 2026-12-07 the agent's own proposing,
``qas.search.trial_seconds``; the budget of unique circuits is only a cap). Its returned
circuit is then retrained with the task's final training (the final round's configuration,
seed ``s``) and scored on qsim: test split for data tasks, the energy (or fidelity) for the
others. The hand-designed ansätze of the task's space (``u3cu3:2``, ``hea:2``; ``hea:2`` alone
for molecules) get the same final training and cost no search time.

Per task the summary gives, per method: CPU-minutes of search, score mean ± std over seeds,
and Welch's t-test p-value against the default (``scipy.stats.ttest_ind``). It also gives the
CPU-time the default's best search-time score needed to reach random search's final one
(median over seeds, as a fraction of random's CPU), from the search-time curves in
``suite_curves.csv``; ``suite_<task>.png`` plots the best search-time score against CPU.

    python experiments/suite.py --quick            # <= 10 minutes: 3 small tasks, 2 seeds
    python experiments/suite.py --tasks tfim-8,iris --seeds 5 --cpu-minutes 3
    python experiments/suite.py --summary-only

Each (task, seed) runs in its own process, ``--jobs`` side by side (default: one per core); a
search runs on one core in that process, so its "CPU-min (process)" (the process's CPU time for
the search: agent, pool loading and candidates) is next to the candidates' CPU it was bounded by.
Before the seeds fan out, each task's embeddings are made ready once in a process of their own
(``qas.search.warm_embeddings``: pretrained on first use if the space ships none, a compact
file's pool rebuilt into the cache), so no seed pretrains or rebuilds them, and that time is in
no search's CPU-minutes.

Results: ``experiments/results/suite.csv``, ``suite_curves.csv``, ``suite_summary.md`` and
``suite_<task>.png`` (``suite_quick*`` with ``--quick``). Resumable: finished rows are skipped, and
each search's run directory (``experiments/runs/<stem>/``, one folder per results stem) resumes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from common import RESULTS, read_rows, upsert_rows

ROWS, CURVES, SUMMARY = RESULTS / "suite.csv", RESULTS / "suite_curves.csv", RESULTS / "suite_summary.md"


def use_results(stem: str) -> None:
    """Write to ``<stem>.csv``, ``<stem>_curves.csv``, ``<stem>_summary.md`` and ``<stem>_<task>.png``."""
    global ROWS, CURVES, SUMMARY, STEM
    STEM = stem
    ROWS, CURVES, SUMMARY = RESULTS / f"{stem}.csv", RESULTS / f"{stem}_curves.csv", RESULTS / f"{stem}_summary.md"


STEM = "suite"
#: method -> qas.search options; "default" is what ``qas search`` does with no --agent (since
#: this suite chose it: bo-pool on the params-pre-filtered pool, or the whole pool for a
#: regression, warm-started from the baselines that lie in the space, with mutants). "reinforce"
#: and "bo-pool" are the defaults it replaced; they and the other variants run with ``--methods``.
SEARCHES: dict[str, dict[str, Any]] = {
    "default": {}, "random": {"agent": "random"}, "evolution": {"agent": "evolution"},
    "reinforce": {"agent": "reinforce"}, "reinforce+params": {"agent": "reinforce", "prefilter": "params"},
    # the default until 2026-12-05: bo-pool on the pre-filtered pool, no mutants, no warm start
    "bo-pool": {"agent": "bo-pool", "prefilter": "params"},
    "bo-pool+mutants": {"agent": "bo-pool", "prefilter": "params", "agent_options": {"mutants": 64}},
    # the default with the params pre-filter whatever the task: the default on a regression until
    # 2026-12-06 (suite_small_data)
    "default-params": {"prefilter": "params"},
    # the default on the whole pool: what it does on a regression since then
    "default-all": {"prefilter": "none"},
}
BASELINES = "default,random,evolution"
QUICK = {"tasks": "tfim-8,iris,LiH", "seeds": 2, "cpu_minutes": 0.5}
ALL = "fashion-2,fashion-4,fashion-10,tfim-8,state-prep-8q,LiH,BeH2,iris,wine,diabetes"


def _sklearn(name: str) -> Callable[[], Any]:
    def make() -> Any:
        import qas
        from sklearn import datasets

        x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return qas.tasks.DataTask(x, y, label=name)
    return make


def _molecule(name: str) -> Callable[[], Any]:
    def make() -> Any:
        import qas

        return qas.tasks.VQE(molecule=name, hf=True)
    return make


#: suite task name -> (what qas.search gets as ``task``, its task options)
TASKS: dict[str, tuple[Any, dict[str, Any]]] = {
    "fashion-2": ("fashion-2", {}), "fashion-4": ("fashion-4", {}), "fashion-10": ("fashion-10", {}),
    "tfim-8": ("tfim-8", {}), "state-prep-8q": ("state-prep", {"num_qubits": 8}),
    "LiH": (_molecule("LiH"), {}), "BeH2": (_molecule("BeH2"), {}),
    "iris": (_sklearn("iris"), {}), "wine": (_sklearn("wine"), {}), "diabetes": (_sklearn("diabetes"), {}),
}


def final_score(task: Any, dag: Any, seed: int) -> tuple[float, float]:
    """``dag`` retrained with the task's final training (seed ``seed``): its qsim score (test
    split for data tasks, else validation) and the training's CPU-seconds."""
    import qas

    cfg = qas.SearchConfig(seed=seed).resolved_final_train(task)
    t0 = time.process_time()
    rec = qas.evaluate(dag, task, qas.TrainConfig.from_dict({**cfg, "seed": seed}), splits=("val", "test"))
    split = "test" if task.has_data else "val"
    return float(rec.metrics[f"{split}_score"]), time.process_time() - t0


def run_search(name: str, method: str, seed: int, args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    import qas
    from qas.search import open_run, trial_seconds

    task_arg, options = TASKS[name]
    task_arg = task_arg() if callable(task_arg) else task_arg
    run = Path(args.runs) / f"{name}-{method}-cpu{args.cpu_minutes:g}-seed{seed}"
    search = SEARCHES[method]
    cpu0 = time.process_time()
    result = qas.search(task=task_arg, **search, seed=seed, cpu_minutes=args.cpu_minutes,
                        budget=args.max_budget, final=False, run_dir=run, progress=False, task_options=options,
                        workers=1)
    process_cpu = time.process_time() - cpu0
    ran = open_run(run)
    trials = ran.trials()
    spent, best, curve = 0.0, -np.inf, []
    for t in trials:  # in the order they finished
        spent += trial_seconds(t)
        best = max(best, float(t.value))
        curve.append({"task": name, "method": method, "seed": seed, "trial": t.number, "cpu_seconds": round(spent, 3),
                      "best_search_score": best})
    circuit, search_score = result.circuit, result.best_score
    if ran.config.agent_options.get("seed_circuits"):  # the best circuit the search found, never a seed
        # (qas search's final round would let the seeds compete; the suite asks what the search adds)
        circuit, search_score = ran.circuit("top"), float(ran.found()[0].value)
    score, final_cpu = final_score(result.task, circuit, seed)
    agent = ran.config.agent
    return ({"task": name, "method": method, "seed": seed, "agent": agent, "evaluated": result.evaluated,
             "search_cpu_minutes": round(spent / 60, 3), "process_cpu_minutes": round(process_cpu / 60, 3),
             "search_score": search_score, "final_score": score,
             "final_cpu_seconds": round(final_cpu, 1), "params": circuit.num_params,
             "gates": len(circuit)}, curve)


def hand_specs(name: str) -> tuple[str, ...]:
    """The hand-designed ansätze a task is compared with (a molecule's hea space cannot hold u3cu3)."""
    return ("hea:2",) if name in ("LiH", "BeH2") else ("u3cu3:2", "hea:2")


def run_hand(name: str, seed: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The hand-designed ansätze in the space the default search ran in (read from its run)."""
    import qas
    from qas.search import open_run

    run = open_run(Path(args.runs) / f"{name}-default-cpu{args.cpu_minutes:g}-seed{seed}")
    task, space = run.task(), run.space
    rows = []
    for spec in hand_specs(name):
        try:
            dag = qas.build_ansatz(spec, space)
        except qas.QasError:
            continue
        score, cpu = final_score(task, dag, seed)
        rows.append({"task": name, "method": f"hand {spec}", "seed": seed, "agent": "", "evaluated": 0,
                     "search_cpu_minutes": 0.0, "search_score": "", "final_score": score,
                     "final_cpu_seconds": round(cpu, 1), "params": dag.num_params, "gates": len(dag)})
    return rows


def run_unit(name: str, seed: int, args: argparse.Namespace, done: set[tuple[str, str, str]]) -> None:
    """One task and seed: its searches (in this process, one after another) and the hand ansätze."""
    for method in args.methods.split(","):
        if (name, method, str(seed)) in done:
            continue
        t0 = time.perf_counter()
        row, curve = run_search(name, method, seed, args)
        upsert_rows(CURVES, curve, ("task", "method", "seed", "trial"))
        upsert_rows(ROWS, [row], ("task", "method", "seed"))
        print(f"{name} seed {seed} {method:9s} ({row['agent']}): {row['evaluated']} circuits, "
              f"{row['search_cpu_minutes']:.2f} CPU-min, final {row['final_score']:.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    if not any((name, m, str(seed)) in done for m in ("hand u3cu3:2", "hand hea:2")) and \
            (Path(args.runs) / f"{name}-default-cpu{args.cpu_minutes:g}-seed{seed}").exists():
        rows = run_hand(name, seed, args)
        upsert_rows(ROWS, rows, ("task", "method", "seed"))
        print(f"{name} seed {seed} " + ", ".join(f"{r['method']} {r['final_score']:.4f}" for r in rows), flush=True)


def warm(name: str) -> str:
    """The embeddings the searches of task ``name`` use, made ready once (pretrained on first use
    on every core, a compact file's pool rebuilt into the cache) before its seeds fan out."""
    import qas

    task_arg, options = TASKS[name]
    task = task_arg() if callable(task_arg) else qas.build_task(task_arg, **options)
    return str(qas.search.warm_embeddings(task.default_space))


def run(args: argparse.Namespace) -> None:
    """Every (task, seed) unit, ``--jobs`` at a time in separate processes (each search runs in
    its own process on one core, so CPU-minutes are one core's), after each task's embeddings
    are made ready in a process of their own (:func:`warm`)."""
    from concurrent.futures import ProcessPoolExecutor

    for name in args.tasks.split(","):
        if name not in TASKS:
            raise SystemExit(f"suite.py: unknown task {name!r}; choose from {', '.join(TASKS)}")
    for method in args.methods.split(","):
        if method not in SEARCHES:
            raise SystemExit(f"suite.py: unknown method {method!r}; choose from {', '.join(SEARCHES)}")
    done = {(r["task"], r["method"], r["seed"]) for r in read_rows(ROWS)}
    units = [(name, seed) for name in args.tasks.split(",") for seed in range(args.seeds)]
    names = list(dict.fromkeys(name for name, seed in units
                               if any((name, m, str(seed)) not in done for m in args.methods.split(","))))
    with ProcessPoolExecutor(1) as one:  # forked before this process imports torch (OpenMP is not fork-safe)
        for name in names:
            t0 = time.perf_counter()
            path = one.submit(warm, name).result()
            print(f"{name}: embeddings ready in {time.perf_counter() - t0:.0f} s ({path})", flush=True)
    if args.jobs <= 1:
        for name, seed in units:
            run_unit(name, seed, args, done)
        return
    with ProcessPoolExecutor(args.jobs) as pool:
        for future in [pool.submit(run_unit, name, seed, args, done) for name, seed in units]:
            future.result()


def _welch(a: list[float], b: list[float]) -> float:
    from scipy.stats import ttest_ind

    if len(a) < 2 or len(b) < 2 or (np.std(a) == 0 and np.std(b) == 0):
        return float("nan") if a != b else 1.0
    return float(ttest_ind(a, b, equal_var=False).pvalue)


def time_to_random(curves: list[dict[str, str]], task: str) -> str:
    """Median over seeds of (CPU the default needed to reach random's final best search score) /
    (random's CPU); '> 1' where it never did."""
    ratios = []
    for seed in sorted({r["seed"] for r in curves if r["task"] == task}):
        def of(method: str) -> list[tuple[float, float]]:
            return [(float(r["cpu_seconds"]), float(r["best_search_score"])) for r in curves
                    if r["task"] == task and r["method"] == method and r["seed"] == seed]
        rnd, dft = of("random"), of("default")
        if not rnd or not dft:
            continue
        target, cpu = rnd[-1][1], rnd[-1][0]
        reach = next((c for c, s in dft if s >= target - 1e-12), None)
        ratios.append(reach / cpu if reach is not None and cpu > 0 else float("inf"))
    if not ratios:
        return ""
    med = statistics.median(ratios)
    return "> 1 (not reached)" if med == float("inf") else f"{med:.2f}"


def summarise() -> None:
    rows, curves = read_rows(ROWS), read_rows(CURVES)
    if not rows:
        return
    lines = ["# The suite (`experiments/suite.py`): the default search against random search, evolution and "
             "hand-designed ansätze at equal CPU", "",
             "Scores are qsim after the task's final training: test accuracy (classification), test R^2 "
             "(regression), minus the energy error in mHa (molecules), the energy score (tfim-8) or "
             "fidelity (state-prep). p: Welch's t-test against the default over seeds.", ""]
    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        methods = list(dict.fromkeys(r["method"] for r in mine))
        base = [float(r["final_score"]) for r in mine if r["method"] == "default"]
        lines += [f"## {task}", "", "| method | agent | CPU-min (candidates) | CPU-min (process) | circuits | score mean ± std | p vs default | seeds |",
                  "|---|---|---|---|---|---|---|---|"]
        for m in methods:
            rs = [r for r in mine if r["method"] == m]
            vals = [float(r["final_score"]) for r in rs]
            sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
            p = "" if m == "default" else f"{_welch(base, vals):.3f}"
            lines.append(f"| {m} | {rs[0]['agent']} | {statistics.mean(float(r['search_cpu_minutes']) for r in rs):.2f} | "
                         f"{statistics.mean(float(r.get('process_cpu_minutes') or 0) for r in rs):.2f} | "
                         f"{statistics.mean(int(r['evaluated']) for r in rs):.0f} | {statistics.mean(vals):.4f} ± {sd:.4f} | "
                         f"{p} | {len(vals)} |")
        ratio = time_to_random(curves, task)
        if ratio:
            lines += ["", f"CPU the default needed to reach random search's final search-time score, as a fraction of "
                          f"random's (median over seeds): **{ratio}**"]
        lines.append("")
        plot(task, curves)
    SUMMARY.write_text("\n".join(lines))
    print("\n".join(lines))


def plot(task: str, curves: list[dict[str, str]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mine = [r for r in curves if r["task"] == task]
    if not mine:
        return
    fig, ax = plt.subplots(figsize=(6, 3.8))
    colours = {m: f"C{i}" for i, m in enumerate(SEARCHES)}
    for (method, seed) in dict.fromkeys((r["method"], r["seed"]) for r in mine):
        pts = [(float(r["cpu_seconds"]) / 60, float(r["best_search_score"])) for r in mine
               if r["method"] == method and r["seed"] == seed]
        ax.step(*zip(*pts), where="post", color=colours.get(method, "k"), alpha=0.7,
                label=method if seed == "0" else None)
    ax.set_xlabel("CPU-minutes of training, scoring and proposing")
    ax.set_ylabel("best search-time score")
    ax.set_title(f"{task}: best score found against CPU (one line per seed)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{STEM}_{task}.png", dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"{QUICK['tasks']}, {QUICK['seeds']} seeds, "
                                                          f"{QUICK['cpu_minutes']} CPU-minutes per search")
    ap.add_argument("--tasks", default=ALL)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--methods", default=BASELINES, help=f"searches to run, of {', '.join(SEARCHES)}")
    ap.add_argument("--cpu-minutes", type=float, default=10.0, help="CPU-minutes of each search")
    ap.add_argument("--max-budget", type=int, default=10_000, help="cap on unique circuits per search")
    ap.add_argument("--jobs", type=int, default=None, help="(task, seed) units run side by side (default: one per core)")
    ap.add_argument("--runs", default=None,
                    help="folder of the searches' run directories (default: experiments/runs/<results stem>, so a "
                         "suite under another --name never resumes this one's runs)")
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--name", default=None, help="results file stem (default: suite; suite_quick with --quick)")
    args = ap.parse_args()
    if args.jobs is None:
        import os

        args.jobs = os.cpu_count() or 1
    if args.quick:
        args.tasks, args.seeds, args.cpu_minutes = QUICK["tasks"], QUICK["seeds"], QUICK["cpu_minutes"]
    use_results(args.name or ("suite_quick" if args.quick else "suite"))
    args.runs = args.runs or str(Path(__file__).resolve().parent / "runs" / STEM)
    if not args.summary_only:
        run(args)
    summarise()


if __name__ == "__main__":
    main()
