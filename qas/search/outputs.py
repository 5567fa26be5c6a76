"""What a finished search leaves in its run directory, and the human summary.

- ``best.json``: the winning ``CircuitDAG`` with its trained parameters and qsim metrics;
- ``best_cirq.json``: ``cirq.to_json`` of the circuit with trained angles (features stay
  symbols ``x_i``; resolve them per input);
- ``best.qasm``: OpenQASM 2.0 of the trained ansatz (for data tasks, without the encoding
  layer, which needs an input: see the header comment);
- ``finalists.json``: the final round, machine-readable: every contender (the top searched
  circuits and the hand-designed ansätze of the space) with its circuit, validation and test
  score after the same final training, and which one was chosen;
- ``leaderboard.csv``: the top-k circuits; ``search_curve.png``; ``report.md``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.records import EvaluationRecord


def write_best(run_dir: Path, record: EvaluationRecord, task: Any, device: Any = None) -> None:
    """``device`` (a :class:`~qas.search.device_target.DeviceSetting`): ``best_cirq.json`` is the
    circuit in the device's native gates on its chosen qubits, checked by the device's own
    ``validate_circuit``, and ``best.json`` records the qubit mapping."""
    import cirq

    from qas.core.cirq_io import to_cirq

    dag = record.dag
    best = {
        "schema": "qas.best",
        "version": 1,
        "circuit": dag.to_dict(),
        "params": list(record.params),
        "task": record.task,
        "task_config": record.task_config,
        "train_config": record.train_config,
        "metrics": record.metrics,
        "symbols": {"trainable": "theta_<k>", "features": "x_<i>"},
        **({"io": task.io()} if task is not None and task.io() else {}),
        **({"device": {"name": device.device.name, "qubits": device.qubit_names.split(",")}} if device is not None else {}),
    }
    _atomic_write(run_dir / "best.json", json.dumps(best, indent=2))
    _atomic_write(run_dir / "best_cirq.json", cirq.to_json(best_circuit(dag, record.param_array, device)))
    _atomic_write(run_dir / "best.qasm", best_qasm(dag, record.param_array))


def best_circuit(dag: CircuitDAG, params: np.ndarray, device: Any = None) -> Any:
    """The ``cirq.Circuit`` of ``best_cirq.json``: trained angles bound, features as symbols ``x_i``;
    with a ``device`` setting, in its native gates on its qubits, validated by the device."""
    from qas.core.cirq_io import to_cirq

    if device is None:
        return to_cirq(dag, params)
    from qas.backends.devices import device_circuit, validate

    circuit = device_circuit(dag, params, device.device, device.qubits)
    validate(device.device, circuit)
    return circuit


def write_finalists(run_dir: Path, finalists: Sequence[dict[str, Any]], train_config: dict[str, Any],
                    score_name: str, cost: dict[str, Any] | None = None) -> None:
    """The final round's contenders, so tools need not re-rank trials or parse ``report.md``.

    ``cost``: the run's evaluations and CPU-hours (search, final round), summed from the
    records' own training and scoring times, so a resumed run or a cache hit keeps the real cost."""
    doc = {"schema": "qas.finalists", "version": 1, "score_name": score_name, "train_config": train_config,
           "cost": dict(cost or {}), "finalists": list(finalists)}
    _atomic_write(run_dir / "finalists.json", json.dumps(doc, indent=2))


def read_finalists(run_dir: str | Path) -> dict[str, Any]:
    """A run's final round (see :func:`write_finalists`): ``finalists`` holds the contenders in the
    order trained; ``score_name`` and ``train_config`` say how they were scored and trained, ``cost``
    what the run spent."""
    from qas.core.errors import QasError

    path = Path(run_dir) / "finalists.json"
    if not path.is_file():
        raise QasError(f"{run_dir} has no finalists.json: the run had no final round (final = false), is "
                       f"unfinished, or predates the file; finish or resume it with "
                       f"`qas search --config {Path(run_dir) / 'config.toml'} --out {run_dir}`")
    try:
        doc = json.loads(path.read_text())
        if doc.get("schema") != "qas.finalists":
            raise ValueError(f"schema {doc.get('schema')!r}")
        doc["finalists"] = list(doc["finalists"])
        return doc
    except (ValueError, KeyError, TypeError) as exc:
        raise QasError(f"{path} is not a qas finalists file: {exc}") from None


def _param_lookup(dag: CircuitDAG, params: np.ndarray) -> Any:
    """``take(gates)``: the parameters of ``gates`` in order, as slices of ``params``.

    Identical gates are told apart by occurrence: they share wires, so every topological
    order of the circuit (canonical order of any sub-circuit included) keeps them in the same order.
    """
    by_gate: dict[Any, list[np.ndarray]] = {}
    for g, sl in zip(dag.gates, dag.param_slices()):
        if sl is not None:
            by_gate.setdefault(g, []).append(params[sl])
    used: dict[Any, int] = {}

    def take(gates: Sequence[Any]) -> np.ndarray:
        out = []
        for g in gates:
            if g.num_trainable:  # trainable gates, and weighted feature gates (w, b)
                k = used.get(g, 0)
                out.append(by_gate[g][k])
                used[g] = k + 1
        return np.concatenate(out) if out else np.zeros(0)

    return take


def ansatz_with_params(dag: CircuitDAG, params: np.ndarray) -> tuple[CircuitDAG, np.ndarray]:
    """The circuit without its feature gates, and the parameters re-ordered to match it."""
    sub = CircuitDAG(dag.num_qubits, [g for g in dag.gates if g.role != "feature"])
    return sub, _param_lookup(dag, params)(sub.gates)


def best_qasm(dag: CircuitDAG, params: np.ndarray) -> str:
    """OpenQASM 2.0 of the trained circuit. QASM 2.0 cannot hold free parameters, so each
    feature gate becomes a comment at its place, between the trained segments (with data
    re-uploading the encoding recurs mid-circuit, so the order matters)."""
    from qas.core.cirq_io import to_qasm

    if not dag.num_features:
        return to_qasm(dag, params)
    take = _param_lookup(dag, params)
    lines = ["// Trained circuit found by qas. OpenQASM 2.0 cannot hold free parameters, so each",
             f"// data-encoding gate (features x_i, {dag.num_features} of them) is a comment at its place.",
             "// best_cirq.json holds the whole circuit with symbols x_i.",
             "OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{dag.num_qubits}];"]
    run: list[Any] = []

    def flush() -> None:
        if run:
            sub = CircuitDAG(dag.num_qubits, run)
            text = to_qasm(sub, take(sub.gates)).splitlines()
            body = next(i for i, line in enumerate(text) if line.startswith("qreg")) + 1
            lines.extend(t for t in text[body:] if t.strip())
            run.clear()

    for g in dag.gates:
        if g.role == "feature":
            flush()
            angle = f"x_{g.feature}"
            if g.weighted:
                w, b = take([g])
                angle = f"{float(w)!r}*x_{g.feature}+{float(b)!r}"
            lines.append(f"// data encoding: {g.kind.lower()}({angle}) q[{g.qubits[0]}];")
        else:
            run.append(g)
    flush()
    return "\n".join(lines) + "\n"


def write_leaderboard(run_dir: Path, trials: Sequence[Any], top_k: int) -> list[Any]:
    ranked = sorted(trials, key=lambda t: (-t.value, t.number))[:top_k]
    metric_names = sorted({k for t in ranked for k in t.user_attrs.get("metrics", {})})
    with (run_dir / "leaderboard.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rank", "trial", "score", "key", "gates", "depth", "params", *metric_names, "circuit"])
        for rank, t in enumerate(ranked, 1):
            dag = CircuitDAG.from_json(t.user_attrs["circuit"])
            m = t.user_attrs.get("metrics", {})
            w.writerow([rank, t.number, f"{t.value:.6f}", dag.key[:16], len(dag), dag.depth, dag.num_params,
                        *(f"{m.get(k, float('nan')):.6g}" for k in metric_names), str(dag)])
    return ranked


def plot_curve(run_dir: Path, trials: Sequence[Any], *, title: str, score_name: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = np.array([t.value for t in sorted(trials, key=lambda t: t.number)])
    x = np.arange(1, len(values) + 1)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.scatter(x, values, s=12, alpha=0.6, label="each evaluation")
    ax.plot(x, np.maximum.accumulate(values), color="C3", lw=2, label="best so far")
    ax.set_xlabel("unique circuits evaluated")
    ax.set_ylabel(f"qsim validation {score_name}")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = run_dir / "search_curve.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def fmt(value: float, name: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if any(k in name for k in ("accuracy", "fidelity", "ratio")) and 0 <= value <= 1:
        return f"{value:.2%}"
    return f"{value:.5g}"


def write_report(run_dir: Path, *, config: Any, final: EvaluationRecord | None, best_trial: Any,
                 ranked: Sequence[Any], baselines: dict[str, dict[str, float]], stats: dict[str, Any],
                 score_name: str, finalists: Sequence[dict[str, Any]] = (), chosen: str | None = None,
                 chosen_dag: CircuitDAG | None = None, space: Any = None, task: Any = None,
                 device: Any = None) -> str:
    """``chosen`` names a hand-designed winner of the final selection (``None``: a searched one)."""
    from qas.core.cost import circuit_cost
    from qas.search.drawing import cell_of, cell_text, draw_circuit

    dag = chosen_dag if chosen_dag is not None else CircuitDAG.from_json(best_trial.user_attrs["circuit"])
    if chosen is None:
        origin = (f"Found at trial {best_trial.number} with validation {score_name} "
                  f"{fmt(best_trial.value, score_name)} (search-time training).")
    else:
        beaten = ("no searched finalist beat it on validation after the same final training (see Finalists)"
                  if final is not None else "no circuit the search found scored higher at search time")
        origin = (f"This is the **{chosen}** baseline: {beaten}. The best searched circuit is trial "
                  f"{best_trial.number}, validation {score_name} {fmt(best_trial.value, score_name)} at search time.")
    title = task.title if task is not None else f"{config.task}{' / ' + config.variant if config.variant else ''}"
    lines = [f"# qas search: {title}", ""]
    lines += [
        f"- agent **{config.agent}**, space **{config.space}**, budget {config.budget} unique circuits"
        + (f" or {config.cpu_minutes:g} CPU-minutes of training, scoring and proposing, whichever came first"
           if config.cpu_minutes is not None else "") + f", seed {config.seed}"
        + (f" (the default: {stats['agent_note']})" if stats.get("agent_note") else ""),
        f"- evaluated {stats['evaluated']} circuits in {stats['wall_seconds']:.0f} s "
        f"({stats['train_seconds']:.0f} s training on torch, {stats['score_seconds']:.0f} s scoring on qsim, "
        f"{stats.get('agent_seconds', 0.0):.0f} s proposing; CPU); "
        f"{stats['cache_hits']} cache hits",
        *([f"- multi-fidelity: {stats['pruned']} of {stats['evaluated']} candidates stopped early by the pruner, "
           f"{stats['pruned_seconds_saved']:.0f} CPU-s of training saved (estimated from each one's cost per step); "
           f"pruner: {stats['pruner']}"] if "pruner" in stats else []),
        *([f"- {stats['prefilter_note']}"] if stats.get("prefilter_note") else []),
        "- every number below is computed on qsim (`qsimcirq`)",
        "",
    ]
    if device is not None:
        lines += device.report_lines()
    if task is not None and task.describe():
        lines += ["## The task, and the choices made from it (all in `config.toml`, all overridable)", ""]
        lines += [f"- {line}" for line in task.describe()] + [""]
    draw_circuit(dag, run_dir / "circuit.png", space=space)
    gates, copies, encoding = cell_of(dag, space)
    cell = [g for g in gates if g.role != "feature"]
    shape = (f"{copies} x (encoding, cell of {len(cell)} gates), {len(dag)} gates in all" if copies > 1 else
             f"the encoding, then {len(cell)} gates" if encoding is not None else f"{len(dag)} gates")
    if space is not None and space.initial_state and space.contains(dag):
        shape += f", after preparing |{space.initial_state}>"
    lines += [
        "## Best circuit",
        f"`{dag.key[:16]}`: {shape}. {origin}",
        "",
        f"Cost: {circuit_cost(dag)}.",
        "",
        "![circuit](circuit.png)",
        "",
        "The cell, layer by layer (`best_cirq.json` holds the whole circuit with its trained angles):",
        "",
        "```",
        cell_text(dag, space),
        "```",
        "",
    ]
    if final is not None:
        lines += ["## Final metrics (winner retrained with the full training budget, scored on qsim)", "",
                  "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {fmt(v, k)} |" for k, v in sorted(final.metrics.items())
                  if k.startswith(("val_", "test_", "noisy_val_", "noisy_test_"))]
        lines += [f"| training | {json.dumps(final.train_config)} |", ""]
    if len(finalists) > 1:
        lines += ["## Finalists (the top circuits by search score and the hand-designed ansätze of the space, "
                  "retrained alike; chosen by validation)", "",
                  "| trial | search val | retrained val | retrained test | chosen |", "|---|---|---|---|---|"]
        lines += [f"| {f['trial']} | {fmt(f['search_score'], score_name)} | {fmt(f.get('val_score'), score_name)} | "
                  f"{fmt(f.get('test_score'), score_name)} | {'yes' if f['chosen'] else ''} |" for f in finalists]
        lines.append("")
        lower = [f for f in finalists if f.get("val_score") is not None and not math.isnan(f["search_score"])
                 and f["val_score"] < f["search_score"] - 1e-9]
        if lower:
            lines += [f"Retrained below their search score: {', '.join(str(f['trial']) for f in lower)}. The two "
                      "scores come from different trainings (the search's short one and the final round's, above) and, "
                      "for data tasks, different validation subsets; a lower retrained score means the final "
                      "training did not reach what the short one found for that circuit.", ""]
    if baselines:
        keys = sorted({k for b in baselines.values() for k in b})
        lines += ["## Baselines (same features and splits; hand-designed ansätze with the same final training)", "",
                  "| model | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
        for name, b in baselines.items():
            lines.append(f"| {name} | " + " | ".join(fmt(b.get(k, float("nan")), score_name if k.endswith("score") else k)
                                                     for k in keys) + " |")
        lines.append("")
    lines += ["## Search curve", "", "![search curve](search_curve.png)", "", f"## Top {len(ranked)}", "",
              "| rank | trial | val score | gates | depth | params | circuit |", "|---|---|---|---|---|---|---|"]
    for rank, t in enumerate(ranked, 1):
        d = CircuitDAG.from_json(t.user_attrs["circuit"])
        ansatz = " ".join(str(g) for g in d.gates if g.role != "feature")
        lines.append(f"| {rank} | {t.number} | {fmt(t.value, score_name)} | {len(d)} | {d.depth} | {d.num_params} | `{ansatz}` |")
    lines += ["", "Files: `best.json` (circuit + parameters), `best_cirq.json` (`cirq.read_json`), `best.qasm`, "
              "`circuit.png`/`circuit.svg`, "
              f"{'`finalists.json`, ' if final is not None else ''}"
              "`leaderboard.csv`, `config.toml` (rerun with `qas search --config config.toml`)."]
    text = "\n".join(lines) + "\n"
    _atomic_write(run_dir / "report.md", text)
    return text


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
