"""``SearchConfig``: everything that defines a search run, resolved and written next to it.

Sources, later overriding earlier: defaults (per task family), a ``--config`` TOML file, then
command-line flags. The resolved config is written to ``runs/NAME/config.toml``; re-running a
run directory with a different config (other than a larger budget) is refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from qas.core.errors import QasError

#: training used while searching: cheap but ranking-faithful
SEARCH_TRAIN = {"epochs": 3, "batch_size": 32, "lr": 0.05, "steps": 150, "patience": 1}
#: training of the winner and the baselines for the report. No early stopping (patience =
#: epochs): the cosine schedule runs its course and the best validation epoch is kept; stopping
#: on a 600-image validation split cut runs short while the rate was still high.
#: ``experiments/reupload_probe.py`` trains the hand-designed references with it.
FINAL_TRAIN = {"epochs": 30, "batch_size": 32, "lr": 0.01, "steps": 500, "patience": 30}


@dataclass(frozen=True)
class SearchConfig:
    task: str = "fashionmnist"
    variant: str | None = None
    agent: str | None = None          # default: reinforce when the space has embeddings, else evolution
    budget: int = 100
    cpu_minutes: float | None = None  # also stop once the candidates' CPU (training, scoring, proposing) adds up to this
    space: str | None = None          # default: the task's own (qml-4q for 4-qubit classifiers)
    embeddings: str | None = None     # default: the shipped checkpoint for the space
    seed: int = 0
    train_limit: int | None = None    # cap on training images per candidate while searching (None: all)
    val_limit: int | None = None
    data_dir: str | None = None
    storage: str | None = None        # Optuna URL; default sqlite in the run directory
    study: str | None = None          # study name; default derived from the run directory
    top_k: int = 10
    final: bool = True                # retrain the winner with the full budget and report
    final_candidates: int = 3         # retrain this many of the top circuits; keep the best on validation
    final_includes_baselines: bool = True  # hand-designed ansätze of the space compete in that choice
    noise: str | None = None          # e.g. "depolarizing:p=0.01": score on qsim trajectories
    noise_repetitions: int = 100      # trajectories per input
    noise_inputs: int = 200           # inputs per split scored with noise
    device: str | None = None         # a Google processor (willow-pink, weber, rainbow): its space, qubits and noise
    qubits: str | None = None         # its qubits, "4_5,4_6,..." or AUTO (default): the best connected patch
    # multi-fidelity: "successive-halving[:min_resource=1,reduction_factor=3]" or "median"; default "none"
    # (measured: it halves the CPU of random search with the same best circuit, but misled bo-pool
    # on state-prep, and epochs 1-3 do not rank fashion-2 circuits; experiments/README.md §5)
    pruner: str | None = None
    prefilter: str | None = None      # search the best-rated part of the pool: "params[:keep=0.25]", "expressibility"
    workers: int | None = None        # evaluate on N > 1 local Dask worker processes (1 or None: in this process)
    dask_scheduler: str | None = None # or on an existing Dask cluster, tcp://host:port
    agent_options: dict[str, Any] = field(default_factory=dict)
    task_options: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)  # over SEARCH_TRAIN and the task's own (resolved_train)
    final_train: dict[str, Any] = field(default_factory=dict)  # over FINAL_TRAIN and the task's own (resolved_final_train)

    def __post_init__(self) -> None:
        from qas.search.pruning import make_pruner

        from qas.search.prefilter import Prefilter

        make_pruner(self.pruner)  # a bad pruner or pre-filter fails here, before any run directory exists
        Prefilter.parse(self.prefilter)
        # a partial training table changes only the keys it names: ``final_train = {epochs = 10}``
        # keeps the final training's learning rate, not TrainConfig's search-time default
        _training_table("train", self.train, {})
        _training_table("final_train", self.final_train, {})
        if self.budget < 1:
            raise QasError("budget must be at least 1")
        if self.cpu_minutes is not None and not self.cpu_minutes > 0:
            raise QasError(f"cpu_minutes must be positive, got {self.cpu_minutes}")
        if self.final_candidates < 1:
            raise QasError("final_candidates must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def with_overrides(self, **overrides: Any) -> "SearchConfig":
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise QasError(f"unknown search option(s) {sorted(unknown)}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def resolved_train(self, task: Any = None) -> dict[str, Any]:
        """Search-time training: ``SEARCH_TRAIN``, then the task's ``search_train`` (a
        :class:`~qas.tasks.Task`; ``None``: no task), then ``train``."""
        return {**SEARCH_TRAIN, **(task.search_train if task is not None else {}), **self.train}

    def resolved_final_train(self, task: Any = None) -> dict[str, Any]:
        """The final round's training: ``FINAL_TRAIN``, then the task's ``final_train``, then
        ``final_train`` (every key the user set wins, even one equal to ``FINAL_TRAIN``'s)."""
        return {**FINAL_TRAIN, **(task.final_train if task is not None else {}), **self.final_train}

    def identity(self) -> dict[str, Any]:
        """What may not change when a run is resumed (everything except budget and outputs)."""
        d = self.to_dict()
        for k in ("budget", "cpu_minutes", "top_k", "final", "final_candidates", "final_includes_baselines", "data_dir", "storage",
                  "final_train", "workers", "dask_scheduler"):
            d.pop(k, None)
        if d.get("pruner") == "none":  # runs from before pruners have none
            d.pop("pruner")
        return d


def _training_table(name: str, table: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` updated with ``table``, whose keys must be TrainConfig fields."""
    from qas.trainer import TrainConfig

    valid = {f.name for f in fields(TrainConfig)}
    unknown = set(table) - valid
    if unknown:
        raise QasError(f"unknown {name} key(s) {sorted(unknown)}; valid keys: {sorted(valid)}")
    return {**defaults, **table}


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a search config TOML into override keyword arguments, with clear errors."""
    from qas.core.tomlfile import read_toml

    path = Path(path)
    data = read_toml(path, "config")
    data = data.get("search", data)
    known = {f.name for f in fields(SearchConfig)}
    unknown = set(data) - known
    if unknown:
        raise QasError(f"{path}: unknown key(s) {sorted(unknown)}; valid keys: {sorted(known)}")
    for name in ("agent_options", "task_options", "train", "final_train"):
        if name in data and not isinstance(data[name], dict):
            raise QasError(f"{path}: {name} must be a table")
    for name in ("train", "final_train"):
        if name in data:
            try:
                _training_table(name, data[name], {})
            except QasError as e:
                raise QasError(f"{path}: {e}") from None
    types = {"budget": int, "seed": int, "top_k": int, "train_limit": int, "val_limit": int,
             "task": str, "variant": str, "agent": str, "space": str, "embeddings": str, "storage": str,
             "study": str, "data_dir": str, "final": bool, "final_candidates": int,
             "final_includes_baselines": bool, "noise": str, "noise_repetitions": int,
             "noise_inputs": int, "pruner": str, "prefilter": str, "workers": int, "dask_scheduler": str, "device": str, "qubits": str}
    for k, t in types.items():
        if k in data and (not isinstance(data[k], t) or (t is int and isinstance(data[k], bool))):
            raise QasError(f"{path}: {k} must be {t.__name__}, got {data[k]!r}")
    return data


def write_config(config: SearchConfig, path: Path) -> None:
    import tomli_w

    tmp = path.with_suffix(".tmp")
    tmp.write_text("# qas search: the resolved config of this run\n" + tomli_w.dumps({"search": config.to_dict()}))
    tmp.replace(path)


def read_run_config(path: Path) -> SearchConfig:
    data = load_config(path)
    return SearchConfig(**data)
