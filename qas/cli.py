"""The ``qas`` command line: a thin layer that parses arguments and calls the library.

Every user error is a :class:`qas.core.errors.QasError`; :func:`main` prints its message and
exits with status 2, the same status click uses for bad options.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from qas.core.console import err_console, out_console, progress_bar
from qas.core.errors import QasError

app = typer.Typer(
    name="qas",
    help="Quantum architecture search: find a good circuit for a task, fast.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
DATA_HELP = "Your own data: a CSV with a header row, or an .npz (x_train and y_train, optionally x_test and y_test; or X and y)."
TARGET_HELP = "The CSV column to predict (labels: classification; numbers: regression)."
TEST_HELP = "A test file with the same columns (default: a stratified 20% of --data is held out)."
FEATURES_HELP = "Feature columns to use, comma-separated (default: every column but the target)."

# options that `search` and `evaluate` share (typer reads an option's declaration from its default)
DATA = typer.Option(None, "--data", help=DATA_HELP)
TARGET = typer.Option(None, "--target", help=TARGET_HELP)
TEST = typer.Option(None, "--test", help=TEST_HELP)
FEATURES = typer.Option(None, "--features", help=FEATURES_HELP)
HAMILTONIAN = typer.Option(None, "--hamiltonian", help="Your Hamiltonian: Pauli terms ('-1.05 IIZZ' per line, or "
                           "OpenFermion's '0.5 [X0 Z1] +'), or cirq JSON.")
MOLECULE = typer.Option(None, "--molecule", help="H2, LiH, BeH2, H2O, N2, or a geometry 'Li 0 0 0; H 0 0 1.6' (Å).")
BASIS = typer.Option(None, "--basis", help="Basis set (default sto-3g).")
ACTIVE_SPACE = typer.Option(None, "--active-space", help="ELECTRONS,ORBITALS (default: the molecule's).")
MAPPING = typer.Option(None, "--mapping", help="jordan_wigner (default), parity or bravyi_kitaev.")
CHARGE = typer.Option(None, "--charge")
MULTIPLICITY = typer.Option(None, "--multiplicity")
HF = typer.Option(False, "--hf", help="Start every circuit in the Hartree-Fock state.")


space_app = typer.Typer(help="Inspect search spaces and sample circuit pools.", no_args_is_help=True)
app.add_typer(space_app, name="space")


@space_app.command("list")
def space_list() -> None:
    """List the built-in search spaces."""
    from rich.table import Table

    from search_spaces import SPACES

    table = Table("name", "qubits", "gates", "depth", "encoding", "alphabet", title="built-in search spaces")
    for name in SPACES:
        s = SPACES.get(name)()
        enc = f"{s.encoding.num_features} features" if s.encoding else "-"
        gates = str(s.min_gates) if s.min_gates == s.max_gates else f"{s.min_gates}-{s.max_gates}"
        table.add_row(name, str(s.num_qubits), gates, str(s.max_depth or "-"), enc, " ".join(s.gates))
    out_console.print(table)


@space_app.command("sample")
def space_sample(
    space: str = typer.Option(..., "--space", "-s", help="Built-in space name or a TOML spec file."),
    n: int = typer.Option(10, "-n", min=1, help="Number of distinct circuits."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same circuits."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write a JSONL pool here instead of printing."),
    fmt: str = typer.Option("json", "--format", help="Printed form when no --out: json or text."),
) -> None:
    """Sample distinct (canonically deduplicated) circuits from a space."""
    import time

    from search_spaces import load_space, sample_pool, write_pool

    spec = load_space(space)
    if fmt not in ("json", "text"):
        raise QasError(f"unknown --format {fmt!r}; choose json or text")
    if out is None:
        for dag in sample_pool(spec, n, seed=seed):
            print(dag.to_json() if fmt == "json" else str(dag))
        return
    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task(f"sampling {spec.name}", total=n)
        count = write_pool(out, sample_pool(spec, n, seed=seed, on_progress=lambda k: bar.update(task, completed=k)))
    err_console.print(f"wrote {count} distinct circuits of {spec.name} to {out} in {time.perf_counter() - t0:.1f} s")


def _parse_splits(text: str) -> tuple[str, ...]:
    splits = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in splits if s not in ("train", "val", "test")]
    if bad:
        raise QasError(f"unknown split(s) {bad}; choose from train, val, test")
    return splits


@app.command("evaluate")
def evaluate_cmd(
    task: Optional[str] = typer.Option(None, "--task", "-t", help="Task name, e.g. fashion-2, vqe-h2, maxcut "
                                       "(default with --data: classification or regression by the target)."),
    circuit: str = typer.Option(..., "--circuit", "-c", help="Circuit JSON, OpenQASM 2/3 (.qasm), run dir, or an ansatz like u3cu3:4."),
    variant: Optional[str] = typer.Option(None, "--variant", help="Task variant (e.g. fashion-4)."),
    space: Optional[str] = typer.Option(None, "--space", help="Space whose encoding an ansatz spec uses."),
    epochs: int = typer.Option(5, "--epochs", min=1),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    lr: float = typer.Option(0.05, "--lr"),
    steps: int = typer.Option(300, "--steps", min=1, help="Steps for tasks without data."),
    seed: int = typer.Option(0, "--seed"),
    train_limit: Optional[int] = typer.Option(None, "--train-limit", help="Use at most this many training images."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with the dataset's IDX files."),
    splits: str = typer.Option("val,test", "--splits", help="Splits to score on qsim."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="SQLite result cache file."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Print the logistic-regression baseline."),
    task_option: Optional[list[str]] = typer.Option(
        None, "--task-option", help="A task option as KEY=VALUE, e.g. logit_scale=5 (repeatable)."),
    data: Optional[Path] = DATA, target: Optional[str] = TARGET, test: Optional[Path] = TEST,
    features: Optional[str] = FEATURES,
    hamiltonian: Optional[Path] = HAMILTONIAN, molecule: Optional[str] = MOLECULE, basis: Optional[str] = BASIS,
    active_space: Optional[str] = ACTIVE_SPACE, mapping: Optional[str] = MAPPING, charge: Optional[int] = CHARGE,
    multiplicity: Optional[int] = MULTIPLICITY, hf: bool = HF,
) -> None:
    """Train one circuit on a task and print its qsim scores."""
    from qas.api import evaluate_circuit

    data_options = _data_options(data, target, test, features)
    vqe_options = _vqe_options(hamiltonian, molecule, basis, active_space, mapping, charge, multiplicity, hf)
    if task is None and not data_options and not vqe_options:
        raise QasError("name a task with --task (e.g. fashion-2, vqe-h2) or give your own data with --data FILE --target "
                       "COLUMN, or a Hamiltonian or molecule (--hamiltonian FILE, --molecule LiH)")
    data_options = {**data_options, **vqe_options}
    evaluate_circuit(
        task=task or ("vqe" if vqe_options else "data"), circuit=circuit, variant=variant, space=space, data_dir=data_dir, train_limit=train_limit,
        train={"epochs": epochs, "batch_size": batch_size, "lr": lr, "steps": steps, "seed": seed},
        splits=_parse_splits(splits), cache=cache, baseline=baseline, console=out_console,
        task_options={**data_options, **_parse_task_options(task_option or [])},
    )


def _data_options(data: Optional[Path], target: Optional[str], test: Optional[Path],
                  features: Optional[str]) -> dict[str, object]:
    """``--data FILE --target COL [--test FILE] [--features a,b]`` as the data task's options."""
    if data is None:
        for flag, value in (("--target", target), ("--test", test), ("--features", features)):
            if value is not None:
                raise QasError(f"{flag} goes with --data FILE (your own data)")
        return {}
    options: dict[str, object] = {"data": str(data.resolve()), "target": target}
    if test is not None:
        options["test"] = str(test.resolve())
    if features is not None:
        options["features"] = features
    return {k: v for k, v in options.items() if v is not None}


def _vqe_options(hamiltonian: Optional[Path], molecule: Optional[str], basis: Optional[str],
                 active_space: Optional[str], mapping: Optional[str], charge: Optional[int],
                 multiplicity: Optional[int], hf: bool) -> dict[str, object]:
    """``--hamiltonian FILE`` or ``--molecule SPEC [--basis ...]`` as the vqe task's options."""
    chem = {"basis": basis, "active_space": active_space, "mapping": mapping, "charge": charge,
            "multiplicity": multiplicity, "hf": hf or None}
    if molecule is None:
        given = [k for k, v in chem.items() if v is not None]
        if given:
            raise QasError(f"--{given[0].replace('_', '-')} goes with --molecule")
        return {} if hamiltonian is None else {"hamiltonian": str(hamiltonian.resolve())}
    if hamiltonian is not None:
        raise QasError("give --hamiltonian FILE or --molecule, not both")
    return {"molecule": molecule, **{k: v for k, v in chem.items() if v is not None}}


def _parse_task_options(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; a value reads as TOML would (5, 0.2, true, "text"), else as a string."""
    import tomllib

    options: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise QasError(f"--task-option {item!r}: expected KEY=VALUE, e.g. logit_scale=5")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        options[key.strip()] = value
    return options


@app.command("search")
def search_cmd(
    task: Optional[str] = typer.Option(None, "--task", "-t", help="fashionmnist, mnist, state-prep, maxcut, vqe-h2, tfim-8, ..."),
    variant: Optional[str] = typer.Option(None, "--variant", help="e.g. fashion-2, fashion-4, fashion-10."),
    agent: Optional[str] = typer.Option(None, "--agent", "-a", help="reinforce, bo, bo-tpe, bo-pool, random, evolution "
                                        "(default: bo-pool on the params-pre-filtered pool, warm-started from u3cu3:2 and hea:2 where they "
                                        "lie in the space; evolution for a budget under 50 on a space with no embeddings)."),
    budget: Optional[int] = typer.Option(None, "--budget", "-b", min=1, help="Unique circuits to evaluate."),
    cpu_minutes: Optional[float] = typer.Option(None, "--cpu-minutes", help="Also stop once the candidates' CPU "
                                                "(training and scoring on all workers, and the agent's proposing) adds up to this many minutes."),
    space: Optional[str] = typer.Option(None, "--space", help="Search space name or TOML file."),
    embeddings: Optional[str] = typer.Option(None, "--embeddings", help="Embedding checkpoint (default: shipped one)."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    config: Optional[Path] = typer.Option(None, "--config", help="A search config TOML (flags override it)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default runs/<task>-<agent>-seed<S>)."),
    resume: bool = typer.Option(True, "--resume/--fresh", help="Continue the run in --out (default) or refuse to."),
    train_limit: Optional[int] = typer.Option(None, "--train-limit", help="Training images per candidate while searching."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Folder with the dataset's IDX files."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna storage URL (default: SQLite in the run)."),
    study: Optional[str] = typer.Option(None, "--study", help="Optuna study name (to share one across workers)."),
    final: Optional[bool] = typer.Option(None, "--final/--no-final", help="Retrain the winner and baselines at the end."),
    noise: Optional[str] = typer.Option(None, "--noise", help="Score with noise on qsim trajectories, e.g. depolarizing:p=0.01, "
                                        "or your noise model: a .json file of cirq.to_json(noise_model)."),
    device: Optional[str] = typer.Option(None, "--device", help="Search for a Google processor (willow-pink, weber, "
                                         "rainbow): its native gates and couplers, scored under its calibrated noise."),
    qubits: Optional[str] = typer.Option(None, "--qubits", help="The device qubits, ROW_COL,... (e.g. 4_5,4_6,5_5,5_6), "
                                         "or AUTO (default): the connected patch with the best calibrated errors."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Train candidates on N local Dask worker "
                                          "processes (default: one per core; 1: in this process)."),
    dask_scheduler: Optional[str] = typer.Option(None, "--dask-scheduler", help="Or on a Dask cluster: tcp://host:port."),
    pruner: Optional[str] = typer.Option(None, "--pruner", help="Stop weak candidates' training early (Optuna's pruners): "
                                         "successive-halving[:min_resource=1,reduction_factor=3], median, or none."),
    prefilter: Optional[str] = typer.Option(None, "--prefilter", help="Search only the best-rated part of the pool, "
                                            "rated before training: params[:keep=0.25] or expressibility[:keep=0.25]."),
    data: Optional[Path] = DATA, target: Optional[str] = TARGET, test: Optional[Path] = TEST,
    features: Optional[str] = FEATURES,
    task_option: Optional[list[str]] = typer.Option(
        None, "--task-option", help="A task option as KEY=VALUE, e.g. qubits=6 or reuploads=2 (repeatable)."),
    hamiltonian: Optional[Path] = HAMILTONIAN, molecule: Optional[str] = MOLECULE, basis: Optional[str] = BASIS,
    active_space: Optional[str] = ACTIVE_SPACE, mapping: Optional[str] = MAPPING, charge: Optional[int] = CHARGE,
    multiplicity: Optional[int] = MULTIPLICITY, hf: bool = HF,
    seed_circuits: Optional[str] = typer.Option(
        None, "--seed-circuits", help="Warm start from your circuits, comma-separated: OpenQASM 2/3 files, circuit or "
        "Cirq JSON, run dirs, or ansatz specs (u3cu3:2). The default search (in place of the hand-designed "
        "baselines it starts from), evolution or bo-pool starts from them."),
) -> None:
    """Search for the best circuit for a task and write a report."""
    from qas.search import SearchConfig, default_run_dir, load_config, search

    base = SearchConfig(**load_config(config)) if config else SearchConfig()
    data_options = _data_options(data, target, test, features)
    vqe_options = _vqe_options(hamiltonian, molecule, basis, active_space, mapping, charge, multiplicity, hf)
    if data_options and task is None:
        task = "data"
    if vqe_options and task is None:
        task = "vqe"
    data_options = {**data_options, **vqe_options}
    if noise and noise.lower().endswith(".json"):  # the user's model: read now, recorded by absolute path
        from qas.backends.noise import NoiseFile

        noise = NoiseFile.load(str(Path(noise).resolve())).path
    cfg = base.with_overrides(
        task=task, variant=variant, agent=agent, budget=budget, cpu_minutes=cpu_minutes, space=space, embeddings=embeddings, seed=seed,
        train_limit=train_limit, data_dir=None if data_dir is None else str(data_dir), storage=storage, study=study,
        final=final, noise=noise, workers=workers, dask_scheduler=dask_scheduler, device=device, qubits=qubits,
        pruner=pruner, prefilter=prefilter,
    )
    if seed_circuits:
        cfg = _with_seed_circuits(cfg, seed_circuits)
    if cfg.workers is None and cfg.dask_scheduler is None:
        from qas.search.executors import default_workers

        cfg = cfg.with_overrides(workers=default_workers())
    extra = {**data_options, **_parse_task_options(task_option or [])}
    if extra:
        cfg = cfg.with_overrides(task_options={**cfg.task_options, **extra})
    from qas.search.base import AGENTS
    from qas.tasks import TASKS

    TASKS.canonical(cfg.task)  # fail early on unknown names
    if cfg.agent is not None:
        AGENTS.canonical(cfg.agent)
    if cfg.device is not None:
        from qas.backends.devices import DEVICES

        DEVICES.canonical(cfg.device)
    if out is None:
        opts = cfg.task_options
        label = (Path(str(opts["data"])).stem if "data" in opts else Path(str(opts["hamiltonian"])).stem
                 if "hamiltonian" in opts else str(opts["molecule"]).split()[0] if "molecule" in opts else None)
        out = default_run_dir(cfg) if label is None else Path("runs") / f"{label}-{cfg.agent or 'auto'}-seed{cfg.seed}"
    search(cfg, out, resume=resume, console=out_console)


def _with_seed_circuits(cfg: "SearchConfig", text: str) -> "SearchConfig":
    """``--seed-circuits a.qasm,u3cu3:2`` as the search's ``seed_circuits`` (files made absolute
    and read now, so a bad one stops the run before anything is written)."""
    from search_spaces.circuit_files import read_circuit

    from qas.search.base import AGENTS

    if cfg.agent is not None and AGENTS.canonical(cfg.agent) not in ("evolution", "bo-pool"):
        raise QasError(f"--seed-circuits warm-starts the default search, evolution or bo-pool, not {cfg.agent}: "
                       "leave --agent out or use --agent evolution or bo-pool")
    specs = []
    for item in (t.strip() for t in text.split(",") if t.strip()):
        path = Path(item)
        if path.exists():
            item = str(path.resolve())
            read_circuit(item)
        elif ":" not in item and path.suffix:
            raise QasError(f"--seed-circuits: no file {item}")
        specs.append(item)
    options = {**cfg.agent_options, "seed_circuits": [*cfg.agent_options.get("seed_circuits", []), *specs]}
    return cfg.with_overrides(agent_options=options)


@app.command("export")
def export_cmd(
    run: Path = typer.Argument(..., help="A run directory (or its best.json)."),
    fmt: str = typer.Option("cirq", "--format", "-f", help="cirq, qasm (2.0), qasm3 (features as inputs), qasm3-pennylane "
                                                                "(the same for PennyLane's qml.from_qasm3) or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Export a run's best circuit with its trained parameters."""
    from qas.api import export_run

    text = export_run(run, fmt)
    if output is None:
        print(text)
    else:
        output.write_text(text)
        err_console.print(f"wrote {fmt} to {output}")


@app.command("show")
def show_cmd(run: Path = typer.Argument(..., help="A run directory.")) -> None:
    """Summarise a run: config, best circuit, top of the leaderboard, the final round."""
    from qas.api import show_run

    show_run(run, out_console)


@app.command("verify")
def verify_cmd(
    run: Path = typer.Argument(..., help="A finished run directory."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Check only the first N test inputs."),
    data: Optional[Path] = typer.Option(None, "--data", help="Score labelled rows of this file instead (your own data)."),
) -> None:
    """Recompute a run's reported test score from best_cirq.json with plain cirq.Simulator."""
    from qas.verify import verify_run

    r = verify_run(run, limit=limit, data=data)
    line = f"{r['split']} score from best_cirq.json on cirq.Simulator ({r['inputs']} inputs): {r['cirq_score']:.4g}"
    if r["reported_score"] is not None:
        line += f"; reported (qsim): {r['reported_score']:.4g}; difference {r['difference']:+.2e}"
    out_console.print(line)


@app.command("predict")
def predict_cmd(
    run: Path = typer.Argument(..., help="A finished run on your own data."),
    data: Path = typer.Option(..., "--data", help="Rows to predict: a CSV with the run's feature columns, or an .npz."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write a CSV of predictions here."),
) -> None:
    """Predict new rows with a run's circuit (its stored scaling applied, simulated on qsim)."""
    from qas.api import predict_run

    rows, predictions = predict_run(run, data)
    if output is None:
        for p in predictions:
            print(p)
    else:
        import csv

        with output.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "prediction"])
            w.writerows(zip(range(1, rows + 1), predictions))
        err_console.print(f"wrote {rows} predictions to {output}")


@app.command("pretrain")
def pretrain_cmd(
    space: str = typer.Option(..., "--space", "-s", help="Built-in space name or a TOML spec file."),
    pool: Optional[Path] = typer.Option(None, "--pool", help="A JSONL pool (default: sample -n circuits)."),
    n: int = typer.Option(100_000, "-n", min=10, help="Pool size when sampling."),
    pool_seed: int = typer.Option(0, "--pool-seed", help="Seed of the sampled pool."),
    seed: int = typer.Option(0, "--seed", help="Seed of the model's initialisation and batches."),
    out: Path = typer.Option(..., "--out", "-o", help="Embedding file to write (.pt)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="torch threads (1 is best under load)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Stop before an epoch would pass this many seconds."),
    compact: bool = typer.Option(False, "--compact", help="Store weights + pool seed; rebuild the table on load."),
) -> None:
    """Pretrain the graph autoencoder on a pool of circuits (no labels) and store the embeddings."""
    from encoders import pretrain

    given = {"epochs": epochs, "batch_size": batch_size, "threads": threads, "time_limit": time_limit}
    overrides = {k: v for k, v in given.items() if v is not None}
    pretrain(space, pool, n=n, pool_seed=pool_seed, seed=seed, out=out, compact=compact, console=out_console,
             **overrides)


@app.command("embed")
def embed_cmd(
    circuit: str = typer.Option(..., "--circuit", "-c", help="Circuit JSON file or run directory."),
    embeddings: Optional[Path] = typer.Option(None, "--embeddings", help="Embedding file (default: shipped one)."),
    space: Optional[str] = typer.Option(None, "--space", help="Space whose shipped embeddings to use."),
) -> None:
    """Print a circuit's latent vector (JSON list)."""
    import json

    from encoders import embed_circuit

    z = embed_circuit(circuit, embeddings=embeddings, space=space)
    print(json.dumps([float(v) for v in z]))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn our errors into a clear message and exit code 2."""
    try:
        app(args=argv, standalone_mode=True)
    except QasError as exc:
        from rich.markup import escape

        # one line, however long: a script or a log reads it whole; brackets in it are text
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
