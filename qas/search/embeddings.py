"""The latent space a search uses: a given checkpoint, the shipped one of the space, or one
pretrained on first use.

A space without shipped embeddings (a user's TOML space, a space made for the user's data)
gets a small VGAE pretrained the first time a latent agent needs one: ``FIRST_USE`` (a pool
of 10,000 circuits, 5 epochs in batches of 32), the same for every search and however loaded
the machine is, so a space gets the same encoder whichever search pretrained it (on another
number of cores it differs by floating-point summation order; ``experiments/README.md`` §6 has
its cost and reconstruction). It is cached by the space's fingerprint in
``~/.cache/qas/embeddings/spaces/``, so every later search of that space reuses it;
:func:`warm_embeddings` makes it ahead of searches started side by side. Below
``PRETRAIN_MIN_BUDGET`` evaluations the default agent does not pay for it and runs regularized
evolution instead (:func:`plan`).

The default agent on a latent space is ``bo-pool`` on the quarter of the pool with the most
trainable angles (``DEFAULT_PREFILTER``), chosen by ``experiments/suite.py`` at equal CPU and by
the held-out tabular runs (``experiments/README.md`` §5-6); a task may search the whole pool
instead (``Task.default_prefilter``: regression does). Where the hand-designed baselines
(``u3cu3:2``, ``hea:2``) lie in the space it starts from them and lets one-gate edits of its best
circuits compete with the pool (``WARM_START``), so it can return circuits the pool lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from encoders.pool_index import PoolIndex

#: searches smaller than this do not pretrain embeddings for the default agent
PRETRAIN_MIN_BUDGET = 50
#: pretraining on first use: pool size and ``PretrainConfig`` fields. Fixed, not sized to the
#: search or limited by wall time, so the encoder does not depend on the search or the machine.
FIRST_USE: dict[str, int] = {"n": 10_000, "epochs": 5, "batch_size": 32}
#: the default search on a latent space: its agent and pre-filter
DEFAULT_AGENT, DEFAULT_PREFILTER = "bo-pool", "params"
#: and, where hand-designed baselines lie in the space, its warm start: they are proposed first
#: (``seed_circuits``) and one-gate edits of the best circuits so far compete on EI (``mutants``)
WARM_START: dict[str, Any] = {"mutants": 64}
_DEFAULT = "GP BO over the latents of the quarter of the pool with the most trainable angles"
_WHOLE = "GP BO over the latents of the whole pool (the task's choice: no pre-filter)"


@dataclass(frozen=True)
class DefaultSearch:
    """What ``qas search`` runs when no ``--agent`` is given, and, in one line, why."""

    agent: str
    prefilter: str | None
    options: dict[str, Any]
    why: str


def _latent_default(space: Any, source: str, seeds: list[str] | None, prefilter: str = DEFAULT_PREFILTER) -> DefaultSearch:
    """bo-pool on the pre-filtered pool (``prefilter``, the task's; ``"none"``: the whole pool) of
    the embeddings ``source`` names; warm-started from ``seeds`` (the user's) or else from the
    baselines that lie in the space, if any (the suite: mutants alone did not help where none
    does, ``experiments/README.md`` §6)."""
    from search_spaces.ansatze import baselines_in

    why = (_WHOLE if prefilter == "none" else _DEFAULT) + source
    seeds = list(seeds) if seeds else baselines_in(space)
    if not seeds:
        return DefaultSearch(DEFAULT_AGENT, prefilter, {}, why)
    options = {**WARM_START, "seed_circuits": seeds}
    return DefaultSearch(DEFAULT_AGENT, prefilter, options,
                         f"{why}, warm-started from {', '.join(seeds)}, with one-gate edits of the best circuits "
                         f"competing (mutants={options['mutants']})")


def cached_path(space: Any) -> Path:
    """Where embeddings pretrained on first use for ``space`` live (by fingerprint)."""
    from encoders.store import cache_root

    return cache_root() / "spaces" / f"{space.fingerprint}.pt"


def available(space: Any, embeddings: str | None = None) -> Path | None:
    """The embeddings a search of ``space`` would use without pretraining: given, shipped or cached."""
    from encoders.store import pretrained_path

    if embeddings:
        return Path(embeddings)
    cell = space.cell_space
    shipped = pretrained_path(cell)
    if shipped is not None:
        return shipped
    cached = cached_path(cell)
    return cached if cached.is_file() else None


def plan(space: Any, budget: int, embeddings: str | None = None, seeds: list[str] | None = None,
         prefilter: str = DEFAULT_PREFILTER) -> DefaultSearch:
    """The default search of ``space``: its agent, pre-filter (or None), agent options and why;
    ``seeds``, the user's warm start, replace the baselines it would start from; ``prefilter``:
    the task's (:attr:`qas.tasks.Task.default_prefilter`)."""
    found = available(space, embeddings)
    if found is not None:
        return _latent_default(space, f" of {found}", seeds, prefilter)
    if budget >= PRETRAIN_MIN_BUDGET:
        return _latent_default(space, f", pretrained on first use for {space.cell_space.name} "
                                      f"(cached in {cached_path(space.cell_space).parent})", seeds, prefilter)
    return DefaultSearch("evolution", None, {"seed_circuits": list(seeds)} if seeds else {}, (
        f"regularized evolution: no embeddings for {space.cell_space.name}, and with a budget of "
        f"{budget} (< {PRETRAIN_MIN_BUDGET}) pretraining them costs more than it saves"))


def pretrain_on_first_use(space: Any) -> Path:
    """Pretrain a VGAE for ``space`` (a cell space) with ``FIRST_USE`` and cache it; returns its path.

    Searches of one space started side by side (a suite's seeds, several workers) pretrain it
    once: the first holds a lock on ``<fingerprint>.lock`` and the others wait for its file.
    The pool and weights are seeded 0, not by the search's seed, so which search came first
    does not choose the encoder. It trains on every core (the waiting searches' cores are idle).
    """
    import fcntl
    import os

    from encoders import pretrain

    path = cached_path(space)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            from qas.core.console import err_console

            err_console.print(f"waiting for another search pretraining embeddings for {space.name} ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():  # pretrained by the search that held the lock
            return path
        tmp = path.with_name(path.stem + f".{os.getpid()}.tmp.pt")
        settings = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in FIRST_USE.items())
        try:
            pretrain(space, **FIRST_USE, seed=0, out=tmp, threads=os.cpu_count() or 1,
                     command=f"pretrained on first use by qas search ({settings})")
            tmp.replace(path)
        finally:  # a crash or Ctrl-C leaves no half-written file
            tmp.unlink(missing_ok=True)
    return path


# Loading a 100k-circuit store takes seconds; a process that runs several searches (tests,
# experiments) loads each file once. Keyed by file, size and mtime, so a rewritten file reloads.
_LOADED: dict[tuple, PoolIndex] = {}


def load_index(space: Any, embeddings: str | None, *, required: bool) -> PoolIndex | None:
    """The pool and latent table for ``space``.

    ``embeddings`` is a checkpoint path, or ``None`` for the shipped checkpoint of the space (or
    one pretrained for it on first use).
    Agents that need a latent space get one pretrained on first use when none exists; the
    others (random, evolution) use the pool when there is one and sample the space when not. A
    re-uploading space uses the embeddings of its cells (``space.cell_space``).
    """
    from encoders.store import load_embeddings

    searched, space = space, space.cell_space
    path = available(searched, embeddings)
    if path is None and not required:
        return None
    if path is None:
        path = pretrain_on_first_use(space)
    stat = path.stat() if path.exists() else None
    key = (str(path), stat.st_size, stat.st_mtime_ns, searched.fingerprint) if stat else None
    if key is None or key not in _LOADED:
        index = load_embeddings(str(path), space, progress=True).index(searched)
        if key is None:
            return index
        _LOADED[key] = index
    return _LOADED[key].fresh()


def warm_embeddings(space: Any, embeddings: str | None = None) -> Path:
    """Make the embeddings a latent search of ``space`` uses ready: pretrained on first use if
    none exist, and a compact file's pool rebuilt into the cache. Run it once before searches
    of one space start side by side (a suite's seeds, several workers), so that none of them
    waits for a lock or rebuilds the pool itself; returns the file. ``space``: a space or its name."""
    from search_spaces import load_space

    space = load_space(space)
    load_index(space, embeddings, required=True)
    return available(space, embeddings)  # type: ignore[return-value]  (load_index made it)
