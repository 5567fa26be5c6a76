"""What several experiment scripts share; everything else comes from the library's public API.

- Result tables: :func:`write_rows`, :func:`read_rows`, :func:`upsert_rows`. Scripts that fill a
  table piece by piece (one model, variant or seed at a time, possibly from two processes side by
  side) merge their rows with :func:`upsert_rows`, which re-reads the file at every write.
- The tabular benchmark's inputs that are experiment choices, not library features:
  :func:`latents_for` (where a pool's embeddings come from) and :class:`StructuralFeatures`
  (encoder-free features of circuits).
- A classical yardstick: :func:`mlp_accuracy` (an MLP classifier on a task's features).
- :func:`over_seeds`: hand-built circuits trained and scored on qsim once per seed.
- :func:`sampled_circuits`: a reproducible sample of distinct random circuits of a space.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any, Sequence

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_TABLES = [RESULTS / "tabular_paper4q.npz", RESULTS / "tabular_paper8q.npz"]


# --- result tables --------------------------------------------------------------------------
def write_rows(path: str | Path, rows: Sequence[dict[str, Any]], *, float_format: str | None = None) -> Path:
    """Write ``rows`` as CSV (every column, in first-seen order), creating the folder; floats optionally formatted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        w.writeheader()
        for r in rows:
            w.writerow({k: (format(v, float_format) if float_format and isinstance(v, float) else v) for k, v in r.items()})
    return path


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV written by :func:`write_rows` (values as strings); none if it does not exist."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def upsert_rows(path: str | Path, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> Path:
    """Write ``rows`` into the table at ``path``, replacing the rows with the same ``key`` columns."""
    new = {tuple(str(r[k]) for k in key) for r in rows}
    kept = [r for r in read_rows(path) if tuple(r[k] for k in key) not in new]
    return write_rows(path, kept + list(rows))


def hash_bytes(keys: Sequence[str]) -> np.ndarray:
    """First 16 bytes of each circuit key (sha256 hex), as an (n, 16) uint8 array."""
    return np.frombuffer(b"".join(bytes.fromhex(k[:32]) for k in keys), dtype=np.uint8).reshape(-1, 16)


# --- embeddings of the tabular benchmark's pools ----------------------------------------------
def latents_for(pool: list, space: Any, source: str = "frozen") -> tuple[np.ndarray, str]:
    """Latent means of ``pool`` and where they came from.

    ``frozen`` (what the committed results used): the frozen latents of a local VGAE,
    ``results/latents_<space>.npz``, written by ``pretrain_local.py`` (looked up by circuit hash).
    ``shipped``: the checkpoint ``encoders/pretrained/<space>.pt`` (frozen if it is missing or
    fails to load). ``struct-pca``: encoder-free structural counts, standardised, PCA to the
    VGAE's latent size (a diagnostic).
    """
    if source == "struct-pca":
        x = StructuralFeatures(pool, space)(pool)
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        k = 16 if space.num_qubits <= 4 else 32
        u, sv, _ = np.linalg.svd(x, full_matrices=False)
        return (u[:, :k] * sv[:k] / np.sqrt(len(x))).astype(np.float32), f"structural PCA-{k} (no encoder)"
    if source == "shipped":
        from encoders import EmbeddingStore, pretrained_path

        try:
            path = pretrained_path(space)
            if path is not None:
                return EmbeddingStore.load(path, space=space).embed(pool, check=False).astype(np.float32), f"shipped: {path}"
        except Exception as exc:  # noqa: BLE001 - fall back to the frozen table, say so
            print(f"warning: shipped embeddings for {space.name} unusable ({exc}); using frozen latents")
    frozen = RESULTS / f"latents_{space.name}.npz"
    if not frozen.exists():
        raise FileNotFoundError(
            f"no embeddings for {space.name}: no encoders/pretrained/{space.name}.pt and no {frozen}; "
            f"run `python experiments/pretrain_local.py --space {space.name}`")
    z = np.load(frozen)
    pos = {bytes(h).hex(): i for i, h in enumerate(z["hash"])}
    rows = [pos.get(d.key[:32]) for d in pool]
    missing = sum(r is None for r in rows)
    if missing:
        raise KeyError(f"{frozen}: {missing} of {len(pool)} circuits have no latent; re-run pretrain_local.py with a larger -n")
    return z["latents"][np.asarray(rows)].astype(np.float32), f"frozen local VGAE: {frozen.name}"


class StructuralFeatures:
    """Encoder-free features (vocabulary from ``pool``): counts of (gate kind, qubit, operand
    slot) and (gate kind, qubit, layer)."""

    def __init__(self, pool: list, space: Any) -> None:
        self.kinds = {k: i for i, k in enumerate(sorted({g.kind for d in pool for g in d.gates}))}
        self.nq = space.num_qubits
        self.max_layer = max(max(d.layers, default=0) for d in pool) + 1
        self.width = len(self.kinds) * self.nq * (1 + self.max_layer)

    def __call__(self, dags: list) -> np.ndarray:
        out = np.zeros((len(dags), self.width), dtype=np.float32)
        for r, d in enumerate(dags):
            for g, l in zip(d.gates, d.layers):
                k = self.kinds.get(g.kind)
                if k is None:
                    continue
                for slot, q in enumerate(g.qubits):
                    base = (k * self.nq + q) * (1 + self.max_layer)
                    out[r, base] += 1.0 + 0.5 * slot
                    out[r, base + 1 + min(l, self.max_layer - 1)] += 1.0
        return out


# --- classical yardsticks ---------------------------------------------------------------------
def torch_threads() -> None:
    """One torch thread (the runs are small; threads on a loaded 2-core machine only cost)."""
    import torch

    torch.set_num_threads(1)


def mlp_accuracy(data: Any, seed: int, hidden: int = 64, epochs: int = 60) -> tuple[float, float, float]:
    """(train, validation, test) accuracy of a 2-hidden-layer MLP classifier on a task's
    features (Adam, batch 64), at its best validation epoch."""
    import torch

    torch.manual_seed(seed)
    x = torch.tensor(np.asarray(data.x_train), dtype=torch.float32)
    y = torch.tensor(np.asarray(data.y_train)).long()
    m = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                            torch.nn.ReLU(), torch.nn.Linear(hidden, int(y.max()) + 1))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def acc(xs: Any, ys: Any) -> float:
        with torch.no_grad():
            return float((m(torch.tensor(np.asarray(xs), dtype=torch.float32)).argmax(1).numpy() == np.asarray(ys)).mean())

    best = (-1.0, 0.0, 0.0)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x[idx]), y[idx]).backward()
            opt.step()
        val = acc(data.x_val, data.y_val)
        if val > best[0]:
            best = (val, acc(data.x_train, data.y_train), acc(data.x_test, data.y_test))
    return best[1], best[0], best[2]


# --- hand-built circuits over seeds -------------------------------------------------------------
def over_seeds(dag: Any, task: Any, train: dict[str, Any], seeds: Sequence[int], *,
               splits: tuple[str, ...] = ("train", "val", "test"), cache: Any = None) -> tuple[dict[str, Any], list]:
    """Train ``dag`` on ``task`` once per seed (``train``: TrainConfig fields) and score it on qsim:
    the mean accuracy per split and the test accuracy's spread, and the records."""
    from qas import TrainConfig, evaluate

    records = [evaluate(dag, task, TrainConfig(**{**train, "seed": s}), splits=splits, cache=cache) for s in seeds]
    return accuracy_stats([tuple(r.metrics[f"{s}_accuracy"] for s in splits) for r in records], splits), records


def accuracy_stats(runs: Sequence[Sequence[float]], splits: Sequence[str] = ("train", "val", "test")) -> dict[str, Any]:
    """Per-run accuracies on ``splits`` (the last is test) -> the mean per split, the test spread, the run count."""
    cols = list(zip(*runs))
    out = {f"{s}_acc": round(statistics.mean(c), 4) for s, c in zip(splits[:-1], cols)}
    test = cols[-1]
    return {**out, "test_mean": round(statistics.mean(test), 4),
            "test_std": round(statistics.stdev(test), 4) if len(test) > 1 else 0.0, "seeds": len(test)}


# --- timing a training step (bench_eval, bench_reupload) ----------------------------------------
def init_params(dag: Any, seed: int = 0) -> np.ndarray:
    """As the trainer draws them: uniform in [-pi, pi], float32."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return ((torch.rand(dag.num_params, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi).float().double().numpy()


def torch_step(dag: Any, task: Any, dtype: Any = None, module: Any = None) -> Any:
    """``(params, features, targets) -> (loss, gradient)``: one training step of ``dag`` on the torch
    backend (``module``: our backend at another revision, see :func:`torch_backend_at`)."""
    import torch

    from qas import Readout
    from qas.backends import TorchCircuit
    from qas.tasks import Batch

    dtype = dtype or torch.complex64
    circ = (module.TorchCircuit if module is not None else TorchCircuit)(dag, dtype=dtype)
    real = torch.float64 if dtype == torch.complex128 else torch.float32

    def run(params: np.ndarray, feats: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.tensor(params, dtype=real, requires_grad=True)
        out = trainer_outputs(circ, p, torch.as_tensor(feats, dtype=real), Readout("z"), module)
        loss = task.loss(out, Batch(feats, targets))
        loss.backward()
        return float(loss.detach()), p.grad.double().numpy()

    return run


def trainer_outputs(circuit: Any, params: Any, feats: Any, spec: Any, module: Any = None) -> Any:
    """The outputs as the trainer computes them at that revision of the backend (``module``, see
    :func:`torch_backend_at`; None: this one): ``circuit.outputs``, the batch in chunks of rows
    whose states stay in cache (since 2026-12-03), or ``readout(circuit.state(...))``."""
    if hasattr(circuit, "outputs"):
        return circuit.outputs(params, feats, spec)
    from qas.backends import readout

    return (module.readout if module is not None else readout)(circuit.state(params, feats, **trainer_state_options(circuit)),
                                                               spec, circuit.n)


def trainer_state_options(circuit: Any) -> dict[str, Any]:
    """The options the trainer passes to ``circuit.state``: real amplitudes for a real circuit,
    where that revision of the backend has them (``as_complex``, since a0b2994)."""
    import inspect

    return {"as_complex": False} if "as_complex" in inspect.signature(circuit.state).parameters else {}


def time_call(fn: Any, min_seconds: float) -> float:
    """Mean seconds per call over at least ``min_seconds`` (at least one call)."""
    import time

    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / n


def median_seconds(cases: dict[str, tuple[Any, float]], repeats: int) -> dict[str, float]:
    """Seconds per call of each case ``name -> (fn, min_seconds)``: the median over ``repeats``
    rounds that visit every case in turn (so load drift on a shared machine hits all alike), after a
    warm-up round; a call is repeated for at least its ``min_seconds`` (:func:`time_call`).

    Each round starts one case later than the last: in a fixed order, the case timed first in a
    round ran slower than the same code timed later in it (results/bench_peers_runs.md,
    2026-12-03), a bias that always fell on the same case."""
    import statistics

    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for rnd in range(repeats + 1):
        for name in names[rnd % len(names):] + names[: rnd % len(names)]:
            fn, min_seconds = cases[name]
            sec = time_call(fn, min_seconds)
            if rnd:
                times[name].append(sec)
    return {name: statistics.median(t) for name, t in times.items()}


def machine_line(threads: int) -> str:
    import os
    import platform

    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = "load avg %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "load avg n/a"
    return (f"{platform.node() or 'host'}: {cores} cores ({platform.processor() or platform.machine()}), "
            f"torch {torch.__version__} with {threads} thread(s), python {platform.python_version()}, {load} at start")


def sampled_circuits(space: Any, n: int, seed: int = 0) -> list:
    """``n`` distinct circuits of ``space``, drawn in order from ``random.Random(seed)``."""
    import random

    from search_spaces import sample_circuit

    rng = random.Random(seed)
    out: dict[str, Any] = {}
    for _ in range(100 * n):
        d = sample_circuit(space, rng)
        out.setdefault(d.key, d)
        if len(out) == n:
            break
    return list(out.values())


def torch_backend_at(rev: str) -> Any:
    """``qas/backends/torch_sv.py`` as of git revision ``rev``, over that revision's own
    ``torch_plan.py`` and ``torch_tables.py``: a before/after timing in one process, where the
    compile step changed too. The three files are read with ``git show`` and run under other
    names; ``qas.backends``' own modules are put back afterwards."""
    import subprocess
    import sys
    import types

    root = Path(__file__).resolve().parent.parent
    names = ("torch_tables", "torch_plan", "torch_sv")
    originals = {n: sys.modules.get(f"qas.backends.{n}") for n in names}
    module = None
    try:
        for name in names:
            source = subprocess.run(["git", "show", f"{rev}:qas/backends/{name}.py"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout
            module = types.ModuleType(f"qas_backends_{name}_at_{rev}")
            module.__file__ = f"{rev}:qas/backends/{name}.py"
            sys.modules[module.__name__] = module
            sys.modules[f"qas.backends.{name}"] = module  # what the next file's imports find
            exec(compile(source, module.__file__, "exec"), module.__dict__)
    finally:
        for name, original in originals.items():
            if original is None:
                sys.modules.pop(f"qas.backends.{name}", None)
            else:
                sys.modules[f"qas.backends.{name}"] = original
    return module


def ry_cnot_ladder(n: int, layers: int) -> Any:
    """The hardware-efficient VQE ansatz of the benchmarks: RY on every qubit, then a CNOT ladder, ``layers`` times."""
    from qas import CircuitDAG, Gate

    gates: list = []
    for _ in range(layers):
        gates += [Gate("RY", (q,), "trainable") for q in range(n)]
        gates += [Gate("CNOT", (q, q + 1)) for q in range(n - 1)]
    return CircuitDAG(n, gates)
