"""The library API the CLI calls: one function per command, usable from Python too."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from rich.console import Console
from rich.table import Table

from qas.core.errors import QasError
from qas.records import EvaluationRecord


def evaluate_circuit(
    *,
    task: str,
    circuit: str | Path,
    variant: str | None = None,
    space: str | None = None,
    data_dir: str | Path | None = None,
    train_limit: int | None = None,
    train: dict[str, Any] | None = None,
    splits: Iterable[str] = ("val", "test"),
    cache: str | Path | None = None,
    baseline: bool = True,
    console: Console | None = None,
    task_options: dict[str, Any] | None = None,
) -> EvaluationRecord:
    """Train and score one circuit; print a table of its qsim metrics when given a console.
    ``task_options`` go to the task (e.g. ``logit_scale``), as ``[search.task_options]`` does."""
    from qas.cache import ResultCache
    from search_spaces.circuit_files import read_circuit
    from qas.evaluation import evaluate
    from qas.tasks import build_task
    from qas.trainer import TrainConfig
    from search_spaces import load_space

    the_task = build_task(task, variant=variant, data_dir=data_dir, train_limit=train_limit, **(task_options or {}))
    space_name = space or the_task.default_space
    the_space = load_space(space_name) if space_name else None
    dag = read_circuit(circuit, the_space)
    config = TrainConfig.from_dict(train or {})
    store = ResultCache(cache) if cache else None
    record = evaluate(dag, the_task, config, splits=tuple(splits), cache=store)
    if console is not None:
        console.print(metrics_table(record, title=f"{task} {the_task.variant or ''}".strip()))
        for label, b in (the_task.classical_baselines() if baseline else {}).items():
            console.print(f"baseline: {label} on the same {the_task.num_features} features: "
                          f"val {b['val_score']:.1%}, test {b['test_score']:.1%}")
    return record


def metrics_table(record: EvaluationRecord, *, title: str = "") -> Table:
    dag = record.dag
    table = Table(title=f"{title}: {len(dag)} gates, depth {dag.depth}, {dag.num_params} parameters", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in sorted(record.metrics.items()):
        text = f"{value:.4%}" if name.endswith(("accuracy", "score")) and "energy" not in name and 0 <= value <= 1 else f"{value:.6g}"
        table.add_row(name, text)
    table.add_row("train CPU seconds (torch)", f"{record.train_seconds:.2f}")
    table.add_row("score CPU seconds (qsim)", f"{record.score_seconds:.2f}")
    table.add_row("cached", "yes" if record.cached else "no")
    return table


def _best_file(run: str | Path) -> Path:
    from qas.core.errors import QasError

    path = Path(run)
    if path.is_dir():
        path = path / "best.json"
    if not path.is_file():
        raise QasError(f"{run} is not a finished run: no best.json (run `qas search` there first)")
    return path


def load_best(run: str | Path) -> tuple[Any, Any]:
    """The best circuit of a run and its trained parameters."""
    import json

    import numpy as np

    from qas.core.circuit import CircuitDAG
    from qas.core.errors import CircuitFormatError

    path = _best_file(run)
    try:
        data = json.loads(path.read_text())
        return CircuitDAG.from_dict(data["circuit"]), np.asarray(data["params"], dtype=np.float64)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CircuitFormatError(f"{path}: not a qas best.json: {exc}") from None


def predict_run(run: str | Path, data: str | Path) -> tuple[int, list[Any]]:
    """A run's predictions for the rows of ``data`` (its feature columns; a target column, if
    present, is ignored): ``(rows, predictions)``."""
    import csv
    import json

    from qas.evaluation import predict
    from qas.search.config import read_run_config
    from qas.search.executors import make_task, task_args
    from qas.tasks import DataError, read_data

    best = json.loads(_best_file(run).read_text())
    io = best.get("io")
    if not io:
        raise QasError(f"{run} is a run of task {best.get('task')!r}, which does not predict from rows of data")
    path = Path(data)
    target = io["target"]
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
        if target not in header:  # unlabelled rows: read them with a placeholder target
            target = None
    if target is None:
        table = _unlabelled(path, io["features"])
    else:
        table = read_data(path, target=target, features=io["features"])
    cfg = read_run_config(Path(run) / "config.toml")
    task = make_task(task_args(cfg, final=True))
    dag, params = load_best(run)
    try:
        out = predict(dag, task, params, table.x, best["metrics"])
    except DataError as exc:
        raise DataError(f"{data}: {exc}") from None
    return len(table), [p.item() if hasattr(p, "item") else p for p in out]


def _unlabelled(path: Path, features: list[str]) -> Any:
    """A CSV of feature columns only, read through the same checks as labelled data."""
    import tempfile

    from qas.tasks import read_data

    text = path.read_text(encoding="utf-8-sig").splitlines()
    if not text:
        from qas.tasks import DataError

        raise DataError(f"{path} is empty; it needs a header row and rows of data")
    with tempfile.TemporaryDirectory() as tmp:
        labelled = Path(tmp) / path.name
        labelled.write_text("\n".join([text[0] + ",__qas_row__"] + [f"{line},{i}" for i, line in enumerate(text[1:]) if line.strip()]))
        table = read_data(labelled, target="__qas_row__", features=features)
    return table


def export_run(run: str | Path, fmt: str) -> str:
    import cirq

    from qas.core.cirq_io import to_cirq
    from qas.core.errors import QasError
    from qas.search.outputs import best_qasm

    dag, params = load_best(run)
    if fmt == "cirq":  # for a --device run: native gates on its qubits, as best_cirq.json
        from qas.search.outputs import best_circuit

        return cirq.to_json(best_circuit(dag, params, _device_of(run, dag.num_qubits)))
    if fmt == "qasm":
        return best_qasm(dag, params)
    if fmt in ("qasm3", "qasm3-pennylane"):
        from qas.core.qasm import to_qasm3

        return to_qasm3(dag, params, dialect="pennylane" if fmt == "qasm3-pennylane" else "standard")
    if fmt == "json":
        return _best_file(run).read_text()
    raise QasError(f"unknown export format {fmt!r}; choose cirq, qasm, qasm3, qasm3-pennylane or json")


def _device_of(run: str | Path, num_qubits: int) -> Any:
    """A run's device setting (``None`` unless it searched with ``--device``)."""
    from qas.search.config import read_run_config
    from qas.search.device_target import device_setting

    path = Path(run) / "config.toml"
    cfg = read_run_config(path) if path.exists() else None
    return device_setting(cfg, num_qubits) if cfg is not None and cfg.device else None


def show_run(run: str | Path, console: Console) -> None:
    import csv
    import json

    from qas.search.config import read_run_config

    run = Path(run)
    cfg = read_run_config(run / "config.toml") if (run / "config.toml").exists() else None
    data = json.loads(_best_file(run).read_text())
    dag, params = load_best(run)
    if cfg is not None:
        console.print(f"[bold]{run}[/]: task {cfg.task} {cfg.variant or ''}, agent {cfg.agent}, space {cfg.space}, "
                      f"budget {cfg.budget}, seed {cfg.seed}")
    from qas.core.cost import circuit_cost

    table = Table(title=f"best circuit {dag.key[:16]}: {len(dag)} gates, depth {dag.depth}, {dag.num_params} parameters; "
                        f"compiled to CZ + one-qubit gates: {circuit_cost(dag)}", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in sorted(data.get("metrics", {}).items()):
        table.add_row(k, f"{v:.6g}")
    console.print(table)
    for note in dict.fromkeys(g.spec.note for g in dag.gates if g.spec.note):
        console.print(f"note: {note}")
    board = run / "leaderboard.csv"
    if board.exists():
        rows = list(csv.DictReader(board.open()))[:5]
        top = Table(title="top of the leaderboard", title_justify="left")
        for col in ("rank", "trial", "score", "gates", "depth", "params"):
            top.add_column(col, justify="right")
        for r in rows:
            top.add_row(*(r[c] for c in ("rank", "trial", "score", "gates", "depth", "params")))
        console.print(top)
    if (run / "finalists.json").exists():
        console.print(finalists_table(run))


def finalists_table(run: str | Path) -> Table:
    """The run's final round: every contender retrained alike, the one chosen on validation marked."""
    from qas.search.outputs import fmt, read_finalists

    table = Table(title="final round (retrained alike; chosen on validation)", title_justify="left")
    for col in ("contender", "circuit", "search", "val", "test", "chosen"):
        table.add_column(col, justify="left" if col in ("contender", "circuit") else "right", no_wrap=True)
    doc = read_finalists(run)
    score = doc.get("score_name", "")
    for r in doc["finalists"]:
        name = f"trial {r['trial']}" if r["origin"] == "searched" else str(r["trial"])
        table.add_row(name, r["key"][:12], *(fmt(r.get(k, float("nan")), score) for k in ("search_score", "val_score", "test_score")),
                      "yes" if r["chosen"] else "")
    return table
