"""Independent check of a finished run: load ``best_cirq.json`` in plain Cirq, resolve each test
input's features, simulate with ``cirq.Simulator`` and recompute the reported test metric.

This touches neither our torch backend nor our qsim fast path: only Cirq and the saved files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def verify_run(run: str | Path, *, limit: int | None = None) -> dict[str, Any]:
    import cirq

    from qas.tasks import build_task
    from qas.backends.simulators import readout_of_states
    from qas.search.config import read_run_config

    run = Path(run)
    cfg = read_run_config(run / "config.toml")
    best = json.loads((run / "best.json").read_text())
    circuit = cirq.read_json(json_text=(run / "best_cirq.json").read_text())
    num_qubits = best["circuit"]["num_qubits"]
    task = build_task(cfg.task, data_dir=cfg.data_dir, **best["task_config"])
    split = "test" if task.has_data else "val"
    batch = task.split(split)
    feats = batch.features if batch.features is not None else [None]
    if limit is not None and batch.features is not None:
        feats, targets = batch.features[:limit], batch.targets[:limit]
        from qas.tasks.base import Batch

        batch = Batch(feats, targets)
    sim = cirq.Simulator(dtype=np.complex128)
    qubits = cirq.LineQubit.range(num_qubits)
    outs = []
    for f in feats:
        res = {} if f is None else {f"x_{i}": float(v) for i, v in enumerate(f)}
        state = sim.simulate(circuit, cirq.ParamResolver(res), qubit_order=qubits).final_state_vector
        outs.append(state)
    out = readout_of_states(np.stack(outs), task.readout, num_qubits)
    metrics = task.metrics(out, batch)
    reported = best["metrics"].get(f"{split}_score")
    return {"split": split, "inputs": len(feats), "cirq_score": metrics["score"], "reported_score": reported,
            "difference": None if reported is None else metrics["score"] - reported}
