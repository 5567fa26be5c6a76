"""The candidate trainer: fits a circuit's trainable parameters on the torch backend.

Adam with a cosine schedule; data tasks run epochs of mini-batches with early stopping on
the validation score (measured on the torch backend, which a test pins to qsim to 1e-5);
tasks without data run full-batch steps and stop when the loss stops improving. The same
circuit, task, config and seed give the same parameters.

Multi-fidelity search hooks in through ``report``: after every epoch (data tasks: the torch
validation score) or every 20-step window (tasks without data: minus the best loss so far) the
trainer calls ``report(step, value)``, steps counted from 1; a true answer stops the training
there (a pruned candidate, :attr:`TrainResult.pruned`). The last step is never offered: there
is nothing left to save.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Iterator

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.errors import CircuitError, QasError
from qas.core.feature_weights import initial_weights
from qas.tasks.base import Task


@dataclass(frozen=True)
class TrainConfig:
    """How a candidate is trained. Every field is part of the result-cache key."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 0.05
    steps: int = 200          # optimisation steps for tasks without data
    patience: int = 2         # epochs (data) or 20-step windows (no data) without improvement
    init_scale: float = math.pi  # parameters start uniform in [-init_scale, init_scale]
    seed: int = 0
    threads: int = field(default=1, compare=False)  # torch threads; does not change results

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise QasError(f"train config {f.name} must be >= 0, got {v}")
        if self.batch_size < 1 or self.epochs < 1:
            raise QasError("train config needs epochs >= 1 and batch_size >= 1")

    @property
    def fingerprint(self) -> str:
        d = asdict(self)
        d.pop("threads")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise QasError(f"unknown train option(s) {sorted(unknown)}; valid: {sorted(known)}")
        return cls(**d)


@dataclass(frozen=True)
class TrainResult:
    params: np.ndarray
    val_score: float          # torch-backend validation score of the returned parameters
    steps: int
    seconds: float            # CPU-seconds the training took (cpu_clock), not wall time
    history: tuple[float, ...] = field(default=())  # validation score per epoch, or loss per window
    pruned: bool = False      # ``report`` stopped it before its last epoch (window)
    curve: tuple[float, ...] = field(default=())  # what was reported: score per epoch, or -loss per window


Report = Callable[[int, float], bool]


def cpu_clock() -> float:
    """The clock a candidate's cost is measured on: this process's CPU time. An evaluation runs
    alone in its process (``LocalExecutor`` in the driver, one Dask worker process each, one
    thread), so the difference is its own CPU, helper threads included (qsim's: 12% of a tfim-8
    scoring, ``experiments/results/cpu_clock_probe.csv``), and a loaded or paused machine does not inflate it as wall time would."""
    return time.process_time()


def check_compatible(dag: CircuitDAG, task: Task) -> None:
    """Clear errors for a circuit that cannot run on a task."""
    if dag.num_qubits != task.num_qubits:
        raise CircuitError(
            f"the circuit has {dag.num_qubits} qubits but task {task.title} "
            f"needs {task.num_qubits}"
        )
    if dag.num_features > task.num_features:
        raise CircuitError(f"the circuit reads {dag.num_features} features; the task provides {task.num_features}")


def train(dag: CircuitDAG, task: Task, config: TrainConfig = TrainConfig(), *, report: Report | None = None) -> TrainResult:
    """Train ``dag``'s parameters on ``task``; deterministic for a fixed ``config.seed`` (and,
    with ``report``, for the same answers)."""
    from qas.backends.heap import keep_freed_memory

    check_compatible(dag, task)
    keep_freed_memory()  # a step's states are not faulted in afresh each step (qas.backends.heap)
    with torch_threads(config.threads):
        return _train(dag, task, config, report)


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch intra-op threads. States of <= 12 qubits are tiny: one thread is
    3x faster than two here, and far faster when other processes load the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train(dag: CircuitDAG, task: Task, config: TrainConfig, report: Report | None) -> TrainResult:
    import torch

    from qas.backends.torch_sv import TorchCircuit

    t0 = cpu_clock()
    gen = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    params = ((torch.rand(dag.num_params, generator=gen, dtype=torch.float64) * 2 - 1) * config.init_scale).float()
    scale, shift = initial_weights(dag)  # weighted feature gates start as plain ones: w = 1, b = 0
    params[torch.as_tensor(scale, dtype=torch.long)] = 1.0
    params[torch.as_tensor(shift, dtype=torch.long)] = 0.0
    params.requires_grad_(True)
    circuit = TorchCircuit(dag)
    if dag.num_params == 0:
        score = _torch_score(circuit, task, params)
        return TrainResult(params.detach().numpy().astype(np.float64), score, 0, cpu_clock() - t0)
    opt = torch.optim.Adam([params], lr=config.lr)

    def step(batch: Any) -> float:
        opt.zero_grad()
        feats = None if batch.features is None else torch.as_tensor(batch.features)
        out = circuit.outputs(params, feats, task.readout)
        loss = task.loss(out, batch)
        loss.backward()
        opt.step()
        return loss.item()

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if task.has_data:
            n_train = len(task.split("train").targets)
            total = config.epochs * math.ceil(n_train / config.batch_size)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total, 1))
            best, best_params, history, bad, steps, pruned = -math.inf, params.detach().clone(), [], 0, 0, False
            for epoch in range(1, config.epochs + 1):
                for batch in task.batches("train", config.batch_size, rng):
                    step(batch)
                    sched.step()
                    steps += 1
                score = _torch_score(circuit, task, params)
                history.append(score)
                if score > best:
                    best, best_params, bad = score, params.detach().clone(), 0
                else:
                    bad += 1
                    if bad > config.patience:
                        break
                if report is not None and epoch < config.epochs and report(epoch, score):
                    pruned = True
                    break
            return TrainResult(best_params.numpy().astype(np.float64), best, steps, cpu_clock() - t0,
                               tuple(history), pruned, tuple(history))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(config.steps, 1))
        batch = next(iter(task.batches("train", 1)))
        best_loss, best_params, history, bad, window = math.inf, params.detach().clone(), [], 0, 20
        steps, pruned = 0, False
        for steps in range(1, config.steps + 1):
            loss = step(batch)
            sched.step()
            if loss < best_loss - 1e-9:
                best_loss, best_params = loss, params.detach().clone()
            if steps % window == 0:
                history.append(best_loss)
                if len(history) > 1 and history[-2] - history[-1] < 1e-6:
                    bad += 1
                    if bad > config.patience:
                        break
                else:
                    bad = 0
                if report is not None and steps + window <= config.steps and report(len(history), -best_loss):
                    pruned = True
                    break
        score = _torch_score(circuit, task, best_params)
        return TrainResult(best_params.numpy().astype(np.float64), score, steps, cpu_clock() - t0,
                           tuple(history), pruned, tuple(-v for v in history))


def _torch_score(circuit: Any, task: Task, params: Any) -> float:
    import torch

    def outputs(split: str) -> tuple[np.ndarray, Any]:
        batch = task.split(split)
        with torch.no_grad():
            feats = None if batch.features is None else torch.as_tensor(batch.features)
            return circuit.outputs(params.detach(), feats, task.readout).numpy(), batch

    if task.fits_readout:
        return task.metrics(*outputs("val"), task.fit_readout(*outputs("train")))["score"]
    return task.metrics(*outputs("val"))["score"]
