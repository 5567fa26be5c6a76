"""The search loop: ask an agent for circuits, evaluate them, record every trial in Optuna.

One loop serves every agent. The budget counts unique evaluated circuits (trials); a
proposal of a circuit already evaluated is answered from the history and costs nothing.
Everything needed to resume lives in the study (circuit, score, metrics and the agent's
``info`` on each trial) and in the result cache, so a run killed at any point continues
where it stopped, retraining nothing.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from qas.circuit import CircuitDAG
from qas.errors import QasError
from qas.records import EvaluationRecord
from qas.search.base import AGENTS, Agent, Observation, SearchContext, Visited
from qas.search.claims import ClaimTable
from qas.search.config import SearchConfig, read_run_config, write_config

MAX_REVISITS = 10_000


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
    claims: Any = None
    worker: str = ""
    noise: Any = None
    cache_hits: int = 0


def prepare(config: SearchConfig, run_dir: str | Path, *, resume: bool = True) -> SearchState:
    """Open (or create) a run: config check, task, space, embeddings, study, agent state."""
    import optuna

    from qas.cache import ResultCache
    from qas.search.embeddings import load_index
    from qas.search.executors import make_task, task_args
    from qas.search.storage import default_storage_url, get_storage, retry_on_race
    from search_spaces import load_space

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    task = make_task(task_args(config))
    space = load_space(config.space or getattr(task, "default_space", None) or _physics_space(task))
    config = config.with_overrides(space=config.space or space.name, agent=config.agent or _default_agent(config, space),
                                   train=config.resolved_train(task))
    cfg_path = run_dir / "config.toml"
    if cfg_path.exists():
        old = read_run_config(cfg_path)
        if not resume:
            raise QasError(f"{run_dir} already holds a run; resume it or choose another --out")
        if old.identity() != config.identity():
            changed = sorted(k for k in set(old.identity()) | set(config.identity())
                             if old.identity().get(k) != config.identity().get(k))
            raise QasError(
                f"{run_dir} holds a run with a different config ({', '.join(changed)} differ); "
                "resume it with the same settings or choose another --out"
            )
    if task.num_qubits != space.num_qubits:
        raise QasError(f"task {config.task} needs {task.num_qubits} qubits but space {space.name} has {space.num_qubits}")
    agent_cls = AGENTS.get(config.agent)
    index = load_index(space, config.embeddings, required=agent_cls.needs_embeddings, seed=config.seed)
    context = SearchContext(space=space, seed=config.seed, index=index)
    agent = agent_cls(context, **config.agent_options)
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
        load_if_exists=True,
    ))
    study.set_user_attr("config", config.to_dict())
    _check_space(study, space, run_dir)
    from qas.backends.noise import NoiseSpec

    noise = NoiseSpec.parse(config.noise, config.noise_repetitions) if config.noise else None
    state = SearchState(config, run_dir, study, agent, Visited(), task, space,
                        ResultCache(run_dir / "cache.sqlite"), context,
                        retry_on_race(lambda: ClaimTable(url, study_name)),
                        f"{socket.gethostname()}-{os.getpid()}", noise)
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


def _default_agent(config: SearchConfig, space: Any) -> str:
    """REINFORCE on the latent space when embeddings exist for the space; evolution otherwise."""
    from encoders.store import pretrained_path

    return "reinforce" if config.embeddings or pretrained_path(space.cell_space) is not None else "evolution"


def _physics_space(task: Any) -> str:
    return "paper-8q" if task.num_qubits == 8 else "paper-4q"


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
    state.claims.release_trials(t.number for t in failed)


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


def _sync(state: SearchState) -> None:
    """Take in circuits other workers evaluated since we last looked (shared studies only)."""
    if state.config.storage is None:
        return
    for t in completed_trials(state.study):
        dag = CircuitDAG.from_json(t.user_attrs["circuit"])
        if dag in state.visited:
            continue
        state.visited.add(dag, float(t.value))
        if state.context.index is not None:
            state.context.index.mark(dag)
        state.agent.tell(Observation(dag, float(t.value), {}, revisit=True))


@contextmanager
def _heartbeat(state: SearchState, trials: list[Any]):
    """Keep the trials' heartbeats fresh while they train, so only dead workers' trials go stale."""
    storage = state.study._storage
    if state.config.storage is None or not storage.get_heartbeat_interval():
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


@dataclass
class _Pending:
    trial: Any
    proposal: Any
    revisits: list[str]


def _next_candidate(state: SearchState) -> _Pending | None:
    """Ask a trial and let the agent fill it with a circuit nobody has evaluated or claimed.

    Returns ``None`` when the budget is fully claimed (across all workers).
    """
    import optuna

    trial = state.study.ask()
    try:
        revisits: list[str] = []
        while True:
            proposal = state.agent.propose(trial, state.visited)
            dag = proposal.dag
            if dag in state.visited:
                if dag.key in state.visited.scores:
                    revisits.append(dag.key)
                    state.agent.tell(Observation(dag, state.visited.scores[dag.key], proposal.info, revisit=True))
                if len(revisits) > MAX_REVISITS:
                    raise QasError(f"agent {state.config.agent} proposed only visited circuits {MAX_REVISITS} times")
                continue
            status = state.claims.claim(dag.key, trial=trial.number, worker=state.worker, budget=state.config.budget)
            if status == "ok":
                break
            if status == "full":
                state.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                return None
            state.visited.claimed.add(dag.key)  # another worker is on it
            if state.context.index is not None:
                state.context.index.mark(dag)
        trial.set_user_attr("circuit", dag.to_json())
        trial.set_user_attr("key", dag.key)
        trial.set_user_attr("agent_info", proposal.info)
        trial.set_user_attr("revisits", revisits)
        trial.set_user_attr("worker", state.worker)
        state.visited.claimed.add(dag.key)  # ours: never propose it again in this batch
        if state.context.index is not None:
            state.context.index.mark(dag)
        return _Pending(trial, proposal, revisits)
    except BaseException:
        state.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        state.claims.release_trials([trial.number])
        raise


def _finish(state: SearchState, p: _Pending, record: EvaluationRecord) -> None:
    trial, dag = p.trial, p.proposal.dag
    trial.set_user_attr("metrics", record.metrics)
    trial.set_user_attr("params", list(record.params))
    trial.set_user_attr("train_seconds", record.train_seconds)
    trial.set_user_attr("score_seconds", record.score_seconds)
    trial.set_user_attr("cached", record.cached)
    trial.set_user_attr("seed", state.config.seed)
    state.study.tell(trial, record.score)
    if record.cached:
        state.cache_hits += 1
    state.visited.claimed.discard(dag.key)
    state.visited.add(dag, record.score)
    state.agent.tell(Observation(dag, record.score, p.proposal.info))


def run_loop(state: SearchState, *, on_trial: Callable[[EvaluationRecord, int], None] | None = None,
             executor: Any = None) -> None:
    """Evaluate new circuits until the study holds ``budget`` unique evaluated circuits.

    Each new circuit is claimed in the claim table before training; a circuit another worker
    claimed is skipped, and the loop ends when ``budget`` circuits are claimed in all. With an
    ``executor`` (e.g. :class:`~qas.search.executors.DaskExecutor`) the agent proposes a batch
    of ``executor.batch_size`` circuits, they train in parallel, and results are told in order.
    """
    import optuna

    from qas.search.executors import LocalExecutor, search_stage
    from qas.trainer import TrainConfig

    train_cfg = TrainConfig.from_dict({**state.config.train, "seed": state.config.seed})
    executor = executor or LocalExecutor()
    stage = search_stage(state)
    budget = state.config.budget
    while True:
        _sync(state)
        room = budget - max(len(state.visited), state.claims.count())
        if room <= 0:
            return
        batch: list[_Pending] = []
        for _ in range(min(executor.batch_size, room)):
            p = _next_candidate(state)
            if p is None:
                break
            batch.append(p)
        if not batch:
            return
        try:
            with _heartbeat(state, [p.trial for p in batch]):
                records = executor.evaluate(stage, [p.proposal.dag for p in batch], train_cfg)
        except BaseException:
            for p in batch:
                state.study.tell(p.trial, state=optuna.trial.TrialState.FAIL)
            state.claims.release_trials([p.trial.number for p in batch])
            raise
        for p, record in zip(batch, records):
            _finish(state, p, record)
            if on_trial is not None:
                on_trial(record, len(state.visited))
