"""Independent check of a finished run: load ``best_cirq.json`` in plain Cirq, resolve each test
input's features, simulate with ``cirq.Simulator`` and recompute the reported test metric.

This touches neither our torch backend nor our qsim fast path: only Cirq and the saved files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from qas.core.errors import QasError


def verify_run(run: str | Path, *, limit: int | None = None, data: str | Path | None = None) -> dict[str, Any]:
    """Score the run's ``best_cirq.json`` with ``cirq.Simulator`` on its test split (or on the
    labelled rows of ``data``), against the score the run reported.

    For a task on the user's data, raw rows go through the preprocessing stored in
    ``best.json`` (not the task's own), so the stored numbers are what is checked."""
    import cirq

    from qas.backends.simulators import readout_of_states
    from qas.core.cirq_gates import json_resolver
    from qas.search.config import read_run_config
    from qas.search.executors import make_task, task_args
    from qas.tasks import Batch, Preprocessing, read_data

    run = Path(run)
    cfg = read_run_config(run / "config.toml")
    best = json.loads((run / "best.json").read_text())
    circuit = cirq.read_json(json_text=(run / "best_cirq.json").read_text(),
                             resolvers=[*cirq.DEFAULT_RESOLVERS, json_resolver])
    num_qubits = best["circuit"]["num_qubits"]
    task = make_task(task_args(cfg, final=True))
    io = best.get("io", {})
    split = "test" if task.has_data else "val"
    reported = best["metrics"].get(f"{split}_score")
    if data is not None and not io:
        raise QasError(f"task {task.title} does not take rows of data; verify it without --data")
    if io:
        if data is not None:
            table = read_data(data, target=io["target"], features=io["features"])
            raw, targets = table.x, task.targets(table.y)
            split, reported = str(data), None
        else:
            raw, targets = task.raw["test"]
        batch = Batch(Preprocessing.from_dict(io["preprocessing"]).transform(raw), targets)
    else:
        batch = task.split(split)
    if limit is not None and batch.features is not None:
        batch = Batch(batch.features[:limit], batch.targets[:limit])
    feats = batch.features if batch.features is not None else [None]
    sim = cirq.Simulator(dtype=np.complex128)
    qubits = cirq.LineQubit.range(num_qubits)
    outs = []
    for f in feats:
        res = {} if f is None else {f"x_{i}": float(v) for i, v in enumerate(f)}
        outs.append(sim.simulate(circuit, cirq.ParamResolver(res), qubit_order=qubits).final_state_vector)
    out = readout_of_states(np.stack(outs), task.readout, num_qubits)
    fit = {k.split("_", 1)[1]: v for k, v in best["metrics"].items() if k.startswith("val_readout_")}
    metrics = task.metrics(out, batch, fit) if task.fits_readout else task.metrics(out, batch)
    return {"split": split, "inputs": len(feats), "cirq_score": metrics["score"], "reported_score": reported,
            "difference": None if reported is None else metrics["score"] - reported}
