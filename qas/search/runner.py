"""A search run: its directory, study, task, space and agent, driven by :func:`optimize`.

:func:`prepare` opens (or creates) a run: it checks the config against the one the run
was started with, builds the task, space, embeddings and agent, opens the Optuna study and
replays its history into the agent. :func:`run_loop` then drives :func:`optimize` with the
training objective and a :class:`RunCoordinator`. Everything needed to resume lives in the
study (circuit, score, metrics and the agent's ``info`` on each trial) and in the result
cache, so a run killed at any point continues where it stopped, retraining nothing.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from qas.records import EvaluationRecord
from qas.search.base import AGENTS, Agent, Observation, SearchContext, Visited
from qas.search.claims import ClaimTable
from qas.search.config import SearchConfig, read_run_config, write_config
from qas.search.optimize import Alone, Callback, optimize


@dataclass
class SearchState:
    """What the loop knows: the study, the agent, the visited circuits and the trials so far."""

    config: SearchConfig
    run_dir: Path
    study: Any
    agent: Agent
    visited: Visited
    task: Any
    space: Any
    cache: Any
    context: SearchContext
    coordinator: Any = None  # a RunCoordinator
    noise: Any = None
    cache_hits: int = 0
    device: Any = None     # a DeviceSetting (qas.search.device_target) with --device
    agent_note: str = ""  # why the default agent was chosen (the report says it)
    prefilter_note: str = ""  # what a pre-filter left out of the pool (the report says it)


def prepare(config: SearchConfig, run_dir: str | Path, *, resume: bool = True) -> SearchState:
    """Open (or create) a run: config check, task, space, embeddings, study, agent state."""
    import optuna

    from qas.cache import ResultCache
    from qas.search.embeddings import load_index
    from qas.search.executors import make_task, task_args
    from qas.search.storage import default_storage_url, get_storage, retry_on_race

    from qas.search.device_target import device_setting, noise_of
    from qas.search.prefilter import Prefilter
    from qas.search.pruning import make_pruner

    # everything that can fail on the user's input fails before the run directory is touched
    run_dir = Path(run_dir)
    task = make_task(task_args(config))
    base = space_of(config, task)
    setting = device_setting(config, base.num_qubits)
    space = setting.space(base) if setting is not None else base
    from qas.search.embeddings import DefaultSearch, plan

    default = plan(space, config.budget, config.embeddings,
                   config.agent_options.get("seed_circuits") if config.agent is None else None,
                   prefilter=task.default_prefilter)
    cfg_path = run_dir / "config.toml"
    started = read_run_config(cfg_path) if cfg_path.exists() else None  # the run being resumed, if any
    if config.agent is None and started is not None:  # a run started with an earlier default keeps it
        if started.agent and (started.agent, started.prefilter, started.agent_options) != \
                (default.agent, default.prefilter, default.options):
            default = DefaultSearch(started.agent, started.prefilter, started.agent_options,
                                    "the agent this run started with")
    if config.agent is None and config.prefilter is None:
        config = config.with_overrides(prefilter=default.prefilter)
    if config.agent is None:  # the default's options, under the user's (--seed-circuits replaces its seeds)
        config = config.with_overrides(agent_options={**default.options, **config.agent_options})
    if not config.train and started is not None and started.train:  # and its search training, too
        config = config.with_overrides(train=started.train)
    config = config.with_overrides(space=config.space or base.name, agent=config.agent or default.agent,
                                   train=config.resolved_train(task), final_train=config.resolved_final_train(task),
                                   pruner=config.pruner or "none",
                                   qubits=setting.qubit_names if setting is not None else None)
    task.check_space(space)
    agent_cls = AGENTS.get(config.agent)
    prefilter = Prefilter.parse(config.prefilter)
    index = load_index(space, config.embeddings, required=agent_cls.needs_embeddings or prefilter is not None)
    prefilter_note = ""
    if prefilter is not None:
        index, prefilter_note = prefilter.restrict(index)
    context = SearchContext(space=space, seed=config.seed, index=index)
    agent = agent_cls(context, **config.agent_options)
    noise = noise_of(config, setting)
    if started is not None:
        if not resume:
            raise QasError(f"{run_dir} already holds a run; resume it or choose another --out")
        if started.identity() != config.identity():
            changed = sorted(k for k in set(started.identity()) | set(config.identity())
                             if started.identity().get(k) != config.identity().get(k))
            raise QasError(
                f"{run_dir} holds a run with a different config ({', '.join(changed)} differ); "
                "resume it with the same settings or choose another --out"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(config, cfg_path)

    url = config.storage or default_storage_url(run_dir)
    storage = get_storage(url, heartbeat=config.storage is not None)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study_name = study_name_of(config, run_dir)
    study = retry_on_race(lambda: optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        sampler=agent.sampler(),
        pruner=make_pruner(config.pruner),
        load_if_exists=True,
    ))
    study.set_user_attr("config", config.to_dict())
    _check_space(study, space, run_dir)
    _check_task(study, task, run_dir)
    claims = retry_on_race(lambda: ClaimTable(url, study_name))
    coordinator = RunCoordinator(claims, worker=f"{socket.gethostname()}-{os.getpid()}", shared=config.storage is not None)
    state = SearchState(config, run_dir, study, agent, Visited(), task, space,
                        ResultCache(run_dir / "cache.sqlite"), context, coordinator, noise,
                        agent_note=default.why if config.agent == default.agent else "", device=setting,
                        prefilter_note=prefilter_note)
    _fail_stale_trials(state)
    _restore(state)
    return state


def study_name_of(config: SearchConfig, run_dir: Path) -> str:
    """The run's Optuna study: ``--study``, else one named after the run directory."""
    return config.study or f"qas-{Path(run_dir).resolve().name}"


def open_study(config: SearchConfig, run_dir: Path) -> Any:
    """A run's study, read as it stands: unlike :func:`prepare`, it fails no running trial, so
    tools may read a live run."""
    import optuna

    from qas.search.storage import default_storage_url

    return optuna.load_study(study_name=study_name_of(config, run_dir), storage=config.storage or default_storage_url(Path(run_dir)))


def _check_space(study: Any, space: Any, run_dir: Path) -> None:
    """A run resumes only in the space it searched. The config names the space; its definition
    (a built-in that changed between versions, an edited TOML file) is pinned by fingerprint.
    Runs from before the pin get it on their next resume."""
    pinned = study.user_attrs.get("space_fingerprint")
    if pinned is not None and pinned != space.fingerprint:
        raise QasError(
            f"{run_dir} searched a different definition of space {space.name!r} (fingerprint {pinned}, "
            f"now {space.fingerprint}); its trials are not circuits of this space. Choose another --out "
            "or restore the space it searched"
        )
    if pinned is None:
        study.set_user_attr("space_fingerprint", space.fingerprint)


def space_of(config: SearchConfig, task: Any) -> Any:
    """The space a run searches: ``config.space`` (a built-in name or a TOML file), else the
    task's default, a built-in name or a space made for the task (a user's data)."""
    from search_spaces import SearchSpace, load_space

    default = task.default_space
    if isinstance(default, SearchSpace) and config.space in (None, default.name):
        return default
    if not (config.space or default):
        raise QasError(f"task {task.title} has no default search space; choose one with --space (qas space list)")
    return load_space(config.space or default)


def _check_task(study: Any, task: Any, run_dir: Path) -> None:
    """A run resumes only on the task it searched: for a user's data file, the same content."""
    pinned = study.user_attrs.get("task_fingerprint")
    if pinned is not None and pinned != task.fingerprint:
        raise QasError(
            f"{run_dir} searched another version of task {task.title} (fingerprint {pinned}, now {task.fingerprint}): "
            "its data or options changed. Choose another --out, or restore the data it searched"
        )
    if pinned is None:
        study.set_user_attr("task_fingerprint", task.fingerprint)


def _fail_stale_trials(state: SearchState) -> None:
    """Fail trials whose worker died, and release their claims so the circuits are retried.

    A run in its own SQLite file has one worker: every RUNNING trial there is a crash
    leftover. With a shared storage, Optuna's heartbeat tells which workers are gone.
    """
    import optuna

    if state.config.storage is not None:
        optuna.storages.fail_stale_trials(state.study)
    else:
        for t in state.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            state.study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    failed = state.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
    state.coordinator.release(t.number for t in failed)


def completed_trials(study: Any) -> list[Any]:
    import optuna

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return sorted(trials, key=lambda t: t.number)


def _restore(state: SearchState) -> None:
    """Replay the study's completed trials (and the revisits recorded with them) into the agent."""
    history: list[Observation] = []
    seen: dict[str, tuple[CircuitDAG, float]] = {}
    for t in completed_trials(state.study):
        dag = CircuitDAG.from_json(t.user_attrs["circuit"])
        for key in t.user_attrs.get("revisits", []):
            if key in seen:  # revisits always refer to circuits evaluated earlier
                history.append(Observation(seen[key][0], seen[key][1], {}, revisit=True))
        history.append(Observation(dag, float(t.value), t.user_attrs.get("agent_info", {})))
        seen[dag.key] = (dag, float(t.value))
        state.visited.add(dag, float(t.value))
        if state.context.index is not None:
            state.context.index.mark(dag)
    state.agent.restore(history)


class RunCoordinator(Alone):
    """How a run shares its study: claims in the study's database (every run, so a resumed or
    second worker never retrains a claimed circuit), and, when the storage is shared, the
    heartbeats of running trials and the circuits other workers evaluated."""

    def __init__(self, claims: ClaimTable, *, worker: str, shared: bool) -> None:
        self.claims, self.worker, self.shared = claims, worker, shared

    def claim(self, dag: CircuitDAG, trial: int, budget: int) -> str:
        return self.claims.claim(dag.key, trial=trial, worker=self.worker, budget=budget)

    def release(self, trials: Iterable[int]) -> None:
        self.claims.release_trials(trials)

    def claimed(self) -> int:
        return self.claims.count()

    def others(self, study: Any, visited: Visited) -> list[tuple[CircuitDAG, float]]:
        if not self.shared:
            return []
        out = []
        for t in completed_trials(study):
            dag = CircuitDAG.from_json(t.user_attrs["circuit"])
            if dag not in visited:
                out.append((dag, float(t.value)))
        return out

    @contextmanager
    def running(self, trials: Sequence[Any]) -> Iterator[None]:
        """Keep the trials' heartbeats fresh while they train, so only dead workers' trials go stale."""
        storage = trials[0].study._storage if trials else None
        if not self.shared or storage is None or not storage.get_heartbeat_interval():
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            for t in trials:
                storage.record_heartbeat(t._trial_id)

        def loop() -> None:
            while not stop.wait(storage.get_heartbeat_interval() or 30):
                beat()

        beat()
        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def run_loop(state: SearchState, *, callbacks: Sequence[Callback] = (), executor: Any = None) -> None:
    """Evaluate new circuits until the study holds ``budget`` unique evaluated circuits.

    Each new circuit is claimed in the claim table before training; a circuit another worker
    claimed is skipped, and the loop ends when ``budget`` circuits are claimed in all. With an
    ``executor`` (e.g. :class:`~qas.search.executors.DaskExecutor`) the agent proposes a batch
    of ``executor.batch_size`` circuits, they train in parallel, and results are told in order.
    """
    from qas.search.executors import search_stage
    from qas.search.objectives import TrainingObjective
    from qas.trainer import TrainConfig

    train_cfg = TrainConfig.from_dict({**state.config.train, "seed": state.config.seed})

    def count_cache_hits(study: Any, trial: Any, record: EvaluationRecord) -> None:
        state.cache_hits += record.cached

    optimize(state.agent, TrainingObjective(search_stage(state), train_cfg, executor), state.config.budget,
             study=state.study, visited=state.visited, coordinator=state.coordinator,
             callbacks=[count_cache_hits, *callbacks], trial_attrs={"worker": state.coordinator.worker, "seed": state.config.seed},
             seconds=None if state.config.cpu_minutes is None else 60.0 * state.config.cpu_minutes)
