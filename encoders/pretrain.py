"""Unsupervised pretraining of a circuit encoder on a pool of a space (``qas pretrain``).

:func:`pretrain` samples (or reads) a pool, featurizes it, builds the encoder that
:attr:`PretrainConfig.encoder` names in :data:`~encoders.registry.ENCODERS` (the circuit VGAE
by default), trains it on 90% with a β warm-up and early stopping on the held-out 10%, then
measures the model (held-out exact reconstruction, prior-sample validity and uniqueness,
latent geometry; see :mod:`encoders.metrics`), encodes the whole pool and, with ``out``,
writes an :class:`~encoders.store.EmbeddingStore` file. It returns a :class:`PretrainReport`.
"""

from __future__ import annotations

import copy
import math
import shlex
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import torch

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from search_spaces.spec import SearchSpace

from encoders.base import CircuitAutoencoder
from encoders.featurizer import Featurizer, GraphTable
from encoders.registry import ENCODERS
from encoders.store import EmbeddingStore


@dataclass(frozen=True)
class PretrainConfig:
    """Training settings; defaults are what the shipped checkpoints use.

    ``encoder`` names the model (a registered :data:`~encoders.registry.ENCODERS` entry);
    ``latent``, ``hidden``, ``hops``, ``decoder_hidden`` and ``adj_dim`` size it.
    ``latent`` defaults to 16 for up to 4 qubits and 32 beyond. ``beta`` is reached by a
    linear warm-up over the first ``beta_warmup`` fraction of the planned steps; the
    learning rate follows a one-cycle schedule. Training stops early when the held-out
    reconstruction loss has not improved by ``min_delta`` for ``patience`` epochs (the
    best weights are kept), or when the next epoch would overrun ``time_limit`` seconds.
    """

    epochs: int = 10
    batch_size: int = 512
    lr: float = 3e-3
    beta: float = 0.1
    beta_warmup: float = 0.25
    latent_dropout: float = 0.3
    val_fraction: float = 0.1
    patience: int = 3
    min_delta: float = 0.01
    latent: int | None = None
    hidden: int = 128
    hops: int = 5
    decoder_hidden: int = 128
    adj_dim: int = 32
    prior_samples: int = 10000
    structure_pairs: int = 5000
    threads: int | None = 1
    time_limit: float | None = None
    encoder: str = "CircuitVGAE"

    def __post_init__(self) -> None:
        ENCODERS.canonical(self.encoder)  # an unknown name lists the registered ones
        if self.epochs < 1 or self.batch_size < 1:
            raise QasError("epochs and batch_size must be >= 1")
        if not 0 < self.val_fraction < 1:
            raise QasError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if not 0 <= self.latent_dropout < 0.5:
            raise QasError(f"latent_dropout must be in [0, 0.5), got {self.latent_dropout}")

    def latent_for(self, space: SearchSpace) -> int:
        return self.latent if self.latent is not None else (16 if space.num_qubits <= 4 else 32)


@dataclass
class PretrainReport:
    """What pretraining measured. Fractions are in [0, 1]."""

    space: str
    fingerprint: str
    pool_size: int
    num_train: int
    num_val: int
    epochs_run: int
    best_epoch: int
    train_seconds: float
    total_seconds: float
    featurize_rate: float
    reconstruction: dict[str, float]
    prior: dict[str, float]
    structure: dict[str, float]
    config: dict[str, Any]
    command: str
    history: list[dict[str, float]] = field(default_factory=list)
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> Any:
        """A rich table of the headline figures."""
        from rich.table import Table

        t = Table("measure", "value", title=f"pretrained {self.space} ({self.pool_size} circuits)")
        r, p, s = self.reconstruction, self.prior, self.structure
        rows = [
            ("held-out exact reconstruction: ops", f"{100 * r['ops']:.2f}%"),
            ("held-out exact reconstruction: qubits", f"{100 * r['qubits']:.2f}%"),
            ("held-out exact reconstruction: adjacency", f"{100 * r['adjacency']:.2f}%"),
            ("held-out exact reconstruction: whole circuit", f"{100 * r['circuit']:.2f}%"),
            ("prior samples: validity", f"{100 * p['validity']:.2f}%"),
            ("prior samples: valid with consistent adjacency", f"{100 * p['consistency']:.2f}%"),
            ("prior samples: uniqueness (of valid)", f"{100 * p['uniqueness']:.2f}%"),
            ("prior samples: novelty (of valid, not in pool)", f"{100 * p.get('novelty', float('nan')):.2f}%"),
            ("prior samples: validity, per-qubit argmax decoding", f"{100 * p.get('validity_raw', float('nan')):.2f}%"),
            ("Spearman(latent dist, gate-set Jaccard dist)", f"{s['spearman_gate_jaccard']:.3f}"),
            ("Spearman(latent dist, graph Jaccard dist)", f"{s['spearman_graph_jaccard']:.3f}"),
            ("graph Jaccard dist: latent nearest neighbour", f"{s['nn_graph_distance']:.3f}"),
            ("graph Jaccard dist: random circuit", f"{s['random_graph_distance']:.3f}"),
            ("featurization rate", f"{self.featurize_rate:,.0f} circuits/s"),
            ("epochs (best)", f"{self.epochs_run} ({self.best_epoch})"),
            ("training time", f"{self.train_seconds:.0f} s"),
            ("total time", f"{self.total_seconds:.0f} s"),
        ]
        for name, value in rows:
            t.add_row(name, value)
        return t


def default_command(space: SearchSpace, n: int, pool_seed: int, seed: int, out: Any, overrides: dict[str, Any]) -> str:
    parts = ["qas", "pretrain", "--space", space.name, "-n", str(n), "--pool-seed", str(pool_seed), "--seed", str(seed)]
    if out is not None:
        parts += ["-o", str(out)]
    for k, v in sorted(overrides.items()):
        parts += [f"--{k.replace('_', '-')}", str(v)]
    return shlex.join(parts)


def pretrain(
    space: SearchSpace | str,
    pool: Sequence[CircuitDAG] | str | Path | None = None,
    *,
    n: int = 100_000,
    pool_seed: int = 0,
    seed: int = 0,
    out: str | Path | None = None,
    compact: bool = False,
    config: PretrainConfig | None = None,
    progress: bool = True,
    console: Any = None,
    command: str | None = None,
    **overrides: Any,
) -> PretrainReport:
    """Pretrain an encoder (the circuit VGAE unless ``encoder=`` names another) on ``pool``
    (circuits or a JSONL file; sampled with ``n`` and ``pool_seed`` if ``None``), write an
    embedding file to ``out`` and report.

    With ``progress`` (the default) it shows rich progress bars on ``console`` (stderr by
    default) and prints the report's table there at the end.

    ``overrides`` set :class:`PretrainConfig` fields (``epochs=5``). ``compact`` writes the
    file without pool and latents (a sampled pool only; rebuilt on load). ``command`` is
    recorded in the file (default: the equivalent ``qas pretrain`` command line).
    """
    t_start = time.perf_counter()
    if isinstance(space, str):
        from search_spaces import load_space

        space = load_space(space)
    valid_fields = {f.name for f in fields(PretrainConfig)}
    unknown = set(overrides) - valid_fields
    if unknown:
        raise QasError(f"unknown pretraining option(s) {sorted(unknown)}; valid: {sorted(valid_fields)}")
    cfg = PretrainConfig(**{**asdict(config or PretrainConfig()), **overrides})
    if compact and pool is not None:
        raise QasError("only a sampled pool can be saved compact (it is re-sampled from its seed on load); drop --pool")
    if console is None:
        from qas.core.console import err_console as console
    old_threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _pretrain(space, pool, n, pool_seed, seed, out, compact, cfg, progress, console, command, overrides, t_start)
    finally:
        torch.set_num_threads(old_threads)


def _get_pool(space: SearchSpace, pool: Any, n: int, pool_seed: int, progress: bool) -> tuple[list[CircuitDAG], dict[str, Any]]:
    from search_spaces import read_pool, sample_pool

    if pool is None:
        if n < 20:
            raise QasError(f"a pool of {n} circuits is too small to pretrain on")
        if progress:
            from qas.core.console import progress_bar

            with progress_bar(transient=True) as bar:
                task = bar.add_task(f"sampling {space.name}", total=n)
                circuits = list(sample_pool(space, n, seed=pool_seed, on_progress=lambda k: bar.update(task, completed=k)))
        else:
            circuits = list(sample_pool(space, n, seed=pool_seed))
        return circuits, {"source": "sampled", "seed": pool_seed, "size": n}
    if isinstance(pool, (str, Path)):
        circuits, spec = read_pool(pool), {"source": "file", "file": Path(pool).name}
    else:
        circuits, spec = list(pool), {"source": "inline"}
    seen: set[CircuitDAG] = set()
    unique = []
    for i, dag in enumerate(circuits):
        problems = space.problems(dag)
        if problems:
            raise QasError(f"pool circuit {i} is not in space {space.name!r}: {'; '.join(problems)}")
        if dag not in seen:
            seen.add(dag)
            unique.append(dag)
    if len(unique) < 20:
        raise QasError(f"a pool of {len(unique)} distinct circuits is too small to pretrain on")
    return unique, spec


def _batches(idx: torch.Tensor, size: int) -> list[torch.Tensor]:
    return [idx[i : i + size] for i in range(0, len(idx), size)]


@torch.no_grad()
def _val_loss(model: CircuitAutoencoder, table: GraphTable, idx: torch.Tensor) -> float:
    model.eval()
    total = 0.0
    for b in _batches(idx, 4096):
        out = model.loss(table.batch(b), beta=0.0)
        first, *rest = model.reconstruction_terms
        total += float(sum((out[k] for k in rest), out[first])) * len(b)
    model.train()
    return total / len(idx)


def _pretrain(space, pool, n, pool_seed, seed, out, compact, cfg, progress, console, command, overrides, t_start):
    from encoders import metrics

    circuits, pool_spec = _get_pool(space, pool, n, pool_seed, progress)
    featurizer = Featurizer(space)
    t0 = time.perf_counter()
    table = featurizer.featurize_many(circuits)
    featurize_rate = len(circuits) / max(time.perf_counter() - t0, 1e-9)

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(circuits), generator=gen)
    num_val = max(1, int(round(cfg.val_fraction * len(circuits))))
    val_idx, train_idx = perm[:num_val], perm[num_val:]
    model = ENCODERS.get(cfg.encoder).for_space(
        space, max_nodes=featurizer.max_nodes, latent=cfg.latent_for(space), hidden=cfg.hidden, hops=cfg.hops,
        decoder_hidden=cfg.decoder_hidden, adj_dim=cfg.adj_dim,
    )
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(train_idx) / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=total_steps, pct_start=0.15)
    warm = max(1, int(cfg.beta_warmup * total_steps))

    history: list[dict[str, float]] = []
    best, best_state, best_epoch, stale = math.inf, None, 0, 0
    t_train = time.perf_counter()
    step = 0
    bar = None
    if progress:
        from rich.progress import TextColumn

        from qas.core.console import progress_bar

        bar = progress_bar(TextColumn("{task.fields[info]}"))
        bar.start()
        task = bar.add_task(f"pretraining {space.name}", total=total_steps, info="")
    try:
        model.train()
        for epoch in range(1, cfg.epochs + 1):
            t_epoch = time.perf_counter()
            sums = {"loss": 0.0, "kl": 0.0}
            order = train_idx[torch.randperm(len(train_idx), generator=gen)]
            for b in _batches(order, cfg.batch_size):
                beta = cfg.beta * min(1.0, step / warm)
                parts = model.loss(table.batch(b), beta=beta, latent_dropout=cfg.latent_dropout)
                opt.zero_grad()
                parts["loss"].backward()
                opt.step()
                sched.step()
                step += 1
                loss = parts["loss"].item()
                sums["loss"] += loss * len(b)
                sums["kl"] += parts["kl"].item() * len(b)
                if bar is not None:
                    bar.update(task, advance=1, info=f"epoch {epoch} loss {loss:.2f}")
            val = _val_loss(model, table, val_idx)
            row = {
                "epoch": epoch,
                "train_loss": sums["loss"] / len(train_idx),
                "kl": sums["kl"] / len(train_idx),
                "val_recon_loss": val,
                "beta": beta,
                "seconds": time.perf_counter() - t_epoch,
            }
            history.append(row)
            if bar is not None:
                bar.update(task, info=f"epoch {epoch} val recon {val:.3f}")
            if val < best - cfg.min_delta:
                best, best_state, best_epoch, stale = val, copy.deepcopy(model.state_dict()), epoch, 0
            else:
                stale += 1
                if stale >= cfg.patience:
                    break
            if cfg.time_limit is not None:
                elapsed = time.perf_counter() - t_train
                if elapsed + row["seconds"] > cfg.time_limit:
                    break
    finally:
        if bar is not None:
            bar.stop()
    train_seconds = time.perf_counter() - t_train
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    import contextlib

    status = console.status("measuring the model and encoding the pool") if progress else contextlib.nullcontext()
    with status:
        recon = metrics.reconstruction(model, table, val_idx)
        prior = metrics.prior_samples(
            model, featurizer, table.num_nodes, num=cfg.prior_samples, seed=seed, pool=circuits
        )
        latents = metrics.embed_table(model, table)
        structure = metrics.latent_structure(latents, circuits, featurizer, num_pairs=cfg.structure_pairs, seed=seed)
    if command is None:
        command = default_command(space, len(circuits), pool_seed, seed, out, overrides)
    report = PretrainReport(
        space=space.name, fingerprint=space.fingerprint, pool_size=len(circuits), num_train=len(train_idx),
        num_val=len(val_idx), epochs_run=len(history), best_epoch=best_epoch, train_seconds=train_seconds,
        total_seconds=0.0, featurize_rate=featurize_rate, reconstruction=recon, prior=prior, structure=structure,
        config=asdict(cfg), command=command, history=history,
    )
    report.total_seconds = time.perf_counter() - t_start
    if out is not None:
        store = EmbeddingStore(
            model=model, space=space, pool=circuits, latents=latents, pool_spec=pool_spec,
            meta={
                "command": command,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "torch": torch.__version__,
                "seed": seed,
                "report": {k: v for k, v in report.to_dict().items() if k not in ("history", "path")},
            },
        )
        report.path = str(store.save(out, compact=compact))
    if progress:
        console.print(report.table())
        if report.path:
            console.print(f"wrote {report.path}")
    return report
