"""``search()``: one call from a task (or a config) to a finished run directory with a report.

    result = qas.search(task="fashion-2", budget=50)                         # a built-in task
    result = qas.search(task=qas.tasks.Classification(X, y), budget=50)       # the user's data
    result.circuit, result.params, result.scores, result.to_cirq(), result.run_dir
    result.predict(X_new)                                                     # data tasks
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rich.console import Console
from rich.progress import TextColumn
from rich.table import Table

from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord
from qas.search.config import SearchConfig
from qas.search.outputs import fmt, plot_curve, write_best, write_finalists, write_leaderboard, write_report
from qas.search.pruning import describe, is_active, pruned, savings
from qas.search.runner import SearchState, completed_trials, prepare, run_loop
from search_spaces.ansatze import BASELINES


@dataclass(frozen=True)
class SearchResult:
    """What a search returns: the chosen circuit with its trained parameters and qsim scores,
    the baselines it was measured against, and where the run lives."""

    run_dir: Path
    best_key: str
    best_score: float                 # its search-time score (the trial's)
    final: EvaluationRecord | None    # its final-round record (None with final = false)
    baselines: dict[str, dict[str, float]]
    evaluated: int
    cache_hits: int
    origin: str = ""  # "trial N" (searched) or "hand-designed SPEC" (it won the final selection)
    record: EvaluationRecord | None = field(default=None, repr=False)  # the chosen circuit's record
    task: Any = field(default=None, repr=False, compare=False)          # the task it was scored on

    @property
    def circuit(self) -> CircuitDAG:
        return self._record.dag

    @property
    def params(self) -> np.ndarray:
        return self._record.param_array

    @property
    def scores(self) -> dict[str, float]:
        """Its qsim metrics: ``val_score``, ``test_score`` (with final training), ...."""
        return dict(self._record.metrics)

    def to_cirq(self, features: Any = None) -> Any:
        """The ``cirq.Circuit`` with the trained parameters (features as symbols ``x_i`` unless given)."""
        from qas.core.cirq_io import to_cirq

        return to_cirq(self.circuit, self.params, features)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of the circuit for new rows of raw features (a data task's own scaling and
        PCA applied, simulated on qsim)."""
        from qas.evaluation import predict

        return predict(self.circuit, self.task, self.params, X, self._record.metrics)

    @property
    def _record(self) -> EvaluationRecord:
        assert self.record is not None, "this result holds no record"
        return self.record


#: the old name of :class:`SearchResult`
SearchSummary = SearchResult


def default_run_dir(config: SearchConfig) -> Path:
    """``runs/<variant or task>-<agent>-seed<seed>``: where a run goes when no folder is named."""
    device = f"-{config.device}" if config.device else ""
    return Path("runs") / f"{config.variant or config.task}{device}-{config.agent or 'auto'}-seed{config.seed}"


def search(config: SearchConfig | None = None, run_dir: str | Path | None = None, *, task: Any = None,
           resume: bool = True, console: Console | None = None, progress: bool = True, executor: Any = None,
           **options: Any) -> SearchResult:
    """Run (or resume) a search and write its outputs to ``run_dir``; returns the result.

    ``task`` is a task name or a :class:`~qas.tasks.Task` object (a user's data: it is saved in
    the run directory, so the run resumes and its workers rebuild it from there); ``options``
    are :class:`SearchConfig` fields (``budget``, ``agent``, ``space``, ``seed``, ...) over ``config``.
    Evaluations run on ``executor`` when given (e.g. a :class:`~qas.search.executors.DaskExecutor`
    kept across runs; the caller closes it), else as the config says (``workers``,
    ``dask_scheduler``), else in this process.
    """
    from qas.tasks import Task

    config = (config or SearchConfig()).with_overrides(**({} if isinstance(task, Task) else {"task": task}), **options)
    if isinstance(task, Task):
        config = config.with_overrides(task=task.name)  # named for the default folder; saved below
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(config)
    if isinstance(task, Task):
        name, task_options = task.saved(run_dir)
        config = config.with_overrides(task=name, task_options={**config.task_options, **task_options})
    t0 = time.perf_counter()
    state = prepare(config, run_dir, resume=resume)
    own = executor is None and bool((config.workers or 0) > 1 or config.dask_scheduler)
    if own:
        from qas.search.executors import DaskExecutor

        executor = DaskExecutor(scheduler=config.dask_scheduler, workers=config.workers)
    try:
        _loop(state, executor, console, progress)
        return finalize(state, wall_seconds=time.perf_counter() - t0, console=console, executor=executor)
    finally:
        if own:
            executor.close()


def _loop(state: SearchState, executor: Any, console: Console | None, progress: bool) -> None:
    from qas.core.console import progress_bar

    done_before = len(state.visited)
    if console is not None and state.device is not None:
        d = state.device
        console.print(f"device {d.device.name}: qubits {d.qubit_names} ({'picked by calibrated errors' if d.picked else 'given'}; "
                      f"score {d.patch.score:.4f}), native gates {', '.join(d.device.gates)}; scoring under its noise model")
    if console is not None and done_before:
        console.print(f"resuming {state.run_dir}: {done_before} circuits already evaluated")
    best = [max(state.visited.scores.values(), default=float("nan"))]
    score_name = state.task.score_name
    if progress:
        bar = progress_bar(TextColumn("best {task.fields[best]}"), TextColumn("{task.fields[rate]}"))
        with bar:
            tid = bar.add_task(f"{state.config.agent} on {state.config.task}", total=state.config.budget,
                               completed=done_before, best=fmt(best[0], score_name), rate="")
            started = time.perf_counter()

            def on_trial(study: Any, trial: Any, record: EvaluationRecord) -> None:
                count = len(state.visited)
                best[0] = max(best[0], record.score) if best[0] == best[0] else record.score
                rate = (count - done_before) / max(time.perf_counter() - started, 1e-9) * 60
                bar.update(tid, completed=count, best=fmt(best[0], score_name), rate=f"{rate:.1f}/min")

            run_loop(state, callbacks=[on_trial], executor=executor)
    else:
        run_loop(state, executor=executor)


@dataclass
class FinalRound:
    """The final stage: the top searched circuits and the hand-designed ansätze, retrained alike."""

    task: Any
    record: EvaluationRecord          # the chosen circuit, retrained and scored on qsim
    trial: Any | None                 # its search trial, or None when a seed or hand-designed ansatz won
    finalists: list[dict[str, Any]]   # one row per contender; the chosen one has "chosen": True
    baselines: dict[str, dict[str, float]]
    cpu_seconds: float = 0.0          # training + scoring of every retraining, one core each
    retrained: int = 0                # circuits retrained (contenders and hand-designed baselines)

    @property
    def label(self) -> str | None:
        """``"hand-designed SPEC"`` or ``"seed SPEC"`` when a known design won, else ``None``."""
        return None if self.trial is not None else next(f["trial"] for f in self.finalists if f["chosen"])


def final_round(objective: Any, config: SearchConfig, space: Any, ranked_trials: list[Any],
                console: Console | None = None) -> FinalRound:
    """Retrain the top ``final_candidates`` trials the agent found, its seeds and the baselines
    with the final round's ``objective`` (:meth:`TrainingObjective.of_run` with ``final``);
    choose on validation.

    A search score is one short training scored on a small validation split, so its winner is
    partly luck (the winner's curse). Retraining a few and choosing on validation again costs
    little and never looks at the test split. The hand-designed ansätze of the space compete
    too (``final_includes_baselines``): the user wants the best circuit we know, labelled.
    """
    from search_spaces.ansatze import build_ansatz

    searched_as = {t.user_attrs["key"]: float(t.value) for t in ranked_trials}

    def row(name: Any, origin: str, search_score: float, rec: EvaluationRecord) -> dict[str, Any]:
        return {"trial": name, "origin": origin,
                "key": rec.circuit_key, "search_score": search_score, "chosen": False,
                **{k: v for k, v in rec.metrics.items() if k in ("val_score", "test_score")},
                "circuit": rec.dag.to_dict()}

    # circuits whose search training a pruner stopped have a lower-fidelity score: they compete
    # only when too few trained fully
    found = found_trials(ranked_trials)
    top = ([t for t in found if not pruned(t)] + [t for t in found if pruned(t)])[: config.final_candidates]
    # a hand-designed ansatz whose two-qubit gates leave the space's coupling map (a device's couplers)
    # cannot run there: it is left out
    built = [(spec, build_ansatz(spec, space)) for spec in BASELINES]
    kept = [(spec, b) for spec, b in built if not space.off_coupling(b.gates)]
    specs, bases = [spec for spec, _ in kept], [b for _, b in kept]
    competing = {b.key for b in bases if config.final_includes_baselines and space.contains(b)}
    # the agent's seeds (known designs it started from) compete under their own name, once
    seeds = [t for t in ranked_trials if seed_spec(t) is not None and t.user_attrs["key"] not in competing]
    if console is not None:
        console.print(f"retraining the top {len(top)} circuits, {len(seeds)} seed circuit(s) and {len(bases)} "
                      "hand-designed ansätze with the full training budget, choosing by validation, scoring on qsim ...")
    # one batch: on N workers the round takes about 1/N of the time
    records = objective([_dag(t) for t in top + seeds] + bases)
    contenders: list[tuple[Any, EvaluationRecord]] = list(zip(top, records))
    finalists = [row(t.number, "searched", float(t.value), rec) for t, rec in contenders]
    for t, rec in zip(seeds, records[len(top):]):
        contenders.append((None, rec))
        finalists.append(row(f"seed {seed_spec(t)}", "seeded", float(t.value), rec))
    baselines: dict[str, dict[str, float]] = {}
    for spec, base, rec in zip(specs, bases, records[len(top) + len(seeds):]):
        baselines[f"hand-designed {spec}"] = {k: v for k, v in rec.metrics.items() if k.endswith("score") and "torch" not in k}
        if base.key in competing:
            contenders.append((None, rec))
            score = searched_as.get(base.key, float("nan"))  # a seed of the search
            finalists.append(row(f"hand-designed {spec}", "hand-designed", score, rec))
    pick = choose([rec for _, rec in contenders])
    finalists[pick]["chosen"] = True
    trial, record = contenders[pick]
    baselines.update(objective.stage.task.classical_baselines())
    cpu = sum(rec.train_seconds + rec.score_seconds for rec in records)  # cache hits keep their first cost
    return FinalRound(objective.stage.task, record, trial, finalists, baselines, cpu, len(records))


def choose(records: list[EvaluationRecord]) -> int:
    """The final round's pick: the best validation score; on a tie the circuit with fewer
    trainable angles (the smaller model), then the earlier contender (searched before seeded
    before hand-designed)."""
    return max(range(len(records)), key=lambda i: (records[i].score, -len(records[i].params), -i))


def finalize(state: SearchState, *, wall_seconds: float, console: Console | None = None,
             executor: Any = None) -> SearchResult:
    """Run the final round (unless ``final = false``; on ``executor``'s workers if given) and write
    every output file."""
    from qas.search.objectives import TrainingObjective

    cfg = state.config
    trials = completed_trials(state.study)
    ranked_trials = sorted(trials, key=lambda t: (-t.value, t.number))
    found = found_trials(ranked_trials)
    best_trial = found[0] if found else ranked_trials[0]  # the best circuit the agent found itself
    winner = ranked_trials[0]
    final_record, finalists, baselines, final_task = None, [], {}, state.task
    chosen_label = None if seed_spec(winner) is None else f"seed {seed_spec(winner)}"
    stats = {
        "evaluated": len(trials),
        "wall_seconds": _span(trials, wall_seconds),
        "train_seconds": sum(t.user_attrs.get("train_seconds", 0.0) for t in trials),
        "score_seconds": sum(t.user_attrs.get("score_seconds", 0.0) for t in trials),
        "agent_seconds": sum(t.user_attrs.get("agent_seconds", 0.0) for t in trials),
        "cache_hits": state.cache_hits,
        "agent_note": state.agent_note,
        "prefilter_note": state.prefilter_note,
    }
    if is_active(state.study.pruner):
        stats["pruner"] = describe(state.study.pruner)
        stats["pruned"], stats["pruned_seconds_saved"] = savings(trials, cfg.train, state.task.has_data)
    if cfg.final:
        objective = TrainingObjective.of_run(cfg, final=True, cache=state.cache, noise=state.noise, executor=executor)
        fr = final_round(objective, cfg, state.space, ranked_trials, console)
        final_record, finalists, chosen_label, baselines, final_task = fr.record, fr.finalists, fr.label, fr.baselines, fr.task
        best_trial = fr.trial if fr.trial is not None else best_trial
        write_best(state.run_dir, final_record, fr.task, state.device)
        search_cpu = stats["train_seconds"] + stats["score_seconds"] + stats["agent_seconds"]
        cost = {"evaluations": len(trials), "search_cpu_hours": round(search_cpu / 3600, 4),
                "final_round_cpu_hours": round(fr.cpu_seconds / 3600, 4)}
        write_finalists(state.run_dir, finalists, final_record.train_config, fr.task.score_name, cost)
    chosen = final_record if final_record is not None else _record_from_trial(winner, state)
    if final_record is None:
        write_best(state.run_dir, chosen, state.task, state.device)
    dag = chosen.dag
    ranked = write_leaderboard(state.run_dir, trials, cfg.top_k)
    plot_curve(state.run_dir, trials, title=f"{cfg.agent} on {cfg.task} ({cfg.space})", score_name=state.task.score_name)
    write_report(state.run_dir, config=cfg, final=final_record, best_trial=best_trial, ranked=ranked,
                 baselines=baselines, stats=stats, score_name=state.task.score_name, finalists=finalists,
                 chosen=chosen_label, chosen_dag=dag, space=state.space, task=final_task, device=state.device)
    summary = SearchResult(state.run_dir, dag.key, float(best_trial.value), final_record, baselines,
                           len(trials), state.cache_hits, chosen_label or f"trial {best_trial.number}", chosen, final_task)
    if console is not None:
        console.print(summary_table(summary, state))
    return summary


def seed_spec(trial: Any) -> str | None:
    """The known design a seeded trial evaluated (``None`` for a circuit the agent found)."""
    info = trial.user_attrs.get("agent_info") or {}
    if info.get("op") != "seed":
        return None
    return str(info.get("spec") or f"trial {trial.number}")


def found_trials(trials: list[Any]) -> list[Any]:
    """The trials whose circuits the agent found (its seeds left out), best first."""
    return sorted((t for t in trials if seed_spec(t) is None), key=lambda t: (-t.value, t.number))


def _span(trials: list[Any], default: float) -> float:
    """Seconds from the first trial's start to the last one's end: across resumed sessions."""
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    return (max(ends) - min(starts)).total_seconds() if starts and ends else default


def _dag(trial: Any) -> Any:
    from qas.core.circuit import CircuitDAG

    return CircuitDAG.from_json(trial.user_attrs["circuit"])


def _record_from_trial(trial: Any, state: SearchState) -> EvaluationRecord:
    dag = _dag(trial)
    return EvaluationRecord(dag.key, dag.to_json(), state.task.name, state.task.config(), state.config.train,
                            tuple(trial.user_attrs.get("params", ())), float(trial.value), trial.user_attrs.get("metrics", {}))


def summary_table(summary: SearchResult, state: SearchState) -> Table:
    name = state.task.score_name
    table = Table(title=f"qas search: {state.config.task} -> {summary.run_dir}", title_justify="left")
    table.add_column("")
    table.add_column("validation", justify="right")
    table.add_column("test", justify="right")
    searched = summary.origin.startswith("trial") or not summary.origin
    if searched:
        table.add_row(f"best circuit ({summary.best_key[:12]}), search-time training", fmt(summary.best_score, name), "-")
    if summary.final is not None:
        m = summary.final.metrics
        origin = "" if searched else f" = {summary.origin}"
        table.add_row(f"best circuit ({summary.best_key[:12]}{origin}), retrained", fmt(m.get("val_score"), name),
                      fmt(m.get("test_score", float("nan")), name))
        if "noisy_val_score" in m:
            table.add_row(f"  same, with noise {state.noise}", fmt(m.get("noisy_val_score"), name),
                          fmt(m.get("noisy_test_score", float("nan")), name))
    for label, b in summary.baselines.items():
        table.add_row(label, fmt(b.get("val_score", float("nan")), name), fmt(b.get("test_score", float("nan")), name))
        if "noisy_val_score" in b:
            table.add_row("  same, with noise", fmt(b.get("noisy_val_score"), name),
                          fmt(b.get("noisy_test_score", float("nan")), name))
    table.caption = (f"{summary.evaluated} unique circuits evaluated, {summary.cache_hits} cache hits; "
                     f"report: {summary.run_dir / 'report.md'}")
    if state.noise is not None:
        table.caption += (f"\nnoisy rows: qsim trajectories ({state.noise.repetitions} per input) on the first "
                          f"{state.config.noise_inputs} inputs of each split")
    return table
