"""``optimize``: the one search loop, Optuna's ask-and-tell over circuits.

    study = optimize(agent, objective, budget=100)

Every caller drives agents through this function: ``qas search`` (the objective trains and
scores on qsim), the tabular benchmark (the objective looks scores up in a labelled table),
and any script that wants a search without a run directory. As in Optuna's ``optimize``,
the loop is built on ``ask``/``tell`` and knows nothing about what an evaluation is:

- the **objective** maps a batch of circuits to evaluation records, in order; its
  ``batch_size`` says how many it takes at once (1 in-process, N on N Dask workers).
  Caching and the fan-out to workers live in the objective
  (:class:`~qas.search.objectives.TrainingObjective`);
- a **coordinator** shares the study with other workers: it claims each circuit before it
  is evaluated (so no circuit is evaluated twice and the budget is global), keeps the
  heartbeats of running trials fresh, and hands over the circuits others evaluated. The
  default, :class:`Alone`, has nobody to share with;
- **callbacks** run after each ``tell`` with ``(study, trial, record)``, like Optuna's;
- the study's **pruner** makes the search multi-fidelity, as in Optuna: the objective gets a
  :class:`~qas.search.pruning.Pruning` (the pruner and the finished trials' curves), its
  trainings report per-epoch scores and stop where the pruner says, and each trial keeps its
  curve as Optuna intermediate values (``trial.intermediate_values``) and ``pruned`` as a
  user attribute.

The budget counts unique evaluated circuits. A proposal of a circuit already evaluated is
answered from the history at no cost (``agent.tell(..., revisit=True)``) and recorded on the
next new trial (``revisits``), so a resumed run replays the agent exactly.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, Sequence

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from qas.records import EvaluationRecord
from qas.search.base import Agent, Observation, Proposal, Visited
from qas.search.pruning import Pruning
from qas.trainer import cpu_clock

if TYPE_CHECKING:
    import optuna

#: proposals of visited circuits in a row before an agent is declared stuck
MAX_REVISITS = 10_000


class Objective(Protocol):
    """Evaluates circuits: ``objective(dags)`` returns one record per circuit, in order.

    A record may stand for another circuit than the one asked (``record.circuit_key``
    differs): e.g. a table lookup answers a circuit outside its table with its nearest
    labelled neighbour. The search then records, and the agent learns, that circuit.
    """

    batch_size: int

    def __call__(self, dags: Sequence[CircuitDAG], pruning: Any = None) -> list[EvaluationRecord]: ...


Callback = Callable[["optuna.Study", "optuna.trial.FrozenTrial", EvaluationRecord], None]


class Alone:
    """The coordinator of a search that shares its study with no one."""

    def claim(self, dag: CircuitDAG, trial: int, budget: int) -> str:
        """``"ok"``: evaluate it; ``"taken"``: another worker has it; ``"full"``: the budget is claimed."""
        return "ok"

    def release(self, trials: Iterable[int]) -> None:
        """Give back the circuits of trials that failed, so they can be evaluated again."""

    def claimed(self) -> int:
        """Circuits claimed by every worker so far."""
        return 0

    def others(self, study: "optuna.Study", visited: Visited) -> list[tuple[CircuitDAG, float]]:
        """Circuits other workers evaluated that ``visited`` does not hold yet."""
        return []

    def running(self, trials: Sequence["optuna.Trial"]) -> AbstractContextManager[Any]:
        """Context kept while ``trials`` evaluate (the shared coordinator beats their heartbeats)."""
        return nullcontext()


@dataclass
class Candidate:
    """A new trial, filled with a circuit no worker has evaluated or claimed."""

    trial: "optuna.Trial"
    proposal: Proposal
    revisits: list[str]


def optimize(
    agent: Agent,
    objective: Objective,
    budget: int,
    *,
    study: "optuna.Study | None" = None,
    visited: Visited | None = None,
    coordinator: Alone | None = None,
    callbacks: Sequence[Callback] = (),
    trial_attrs: dict[str, Any] | None = None,
    seconds: float | None = None,
) -> "optuna.Study":
    """Evaluate new circuits until ``budget`` unique circuits are evaluated (or claimed, by all
    workers), or until the study's candidates add up to ``seconds`` of CPU; returns the study.

    A candidate's CPU (``qas.trainer.cpu_clock``) is its training and scoring in its process
    (a cache hit costs nothing) plus ``agent_seconds``: what this process spent proposing it
    (the agent's model, Optuna's ask) and recording the candidates before it, so an agent that
    thinks hard pays for it from the same budget as the trainings.

    ``study`` defaults to an in-memory one with the agent's sampler and no pruner; pass the
    run's study to record the trials in it (its pruner, if any, makes the search multi-fidelity). ``visited`` holds what the study already evaluated (a resumed
    run's history). ``trial_attrs`` are set on every new trial (e.g. the run's seed).
    """
    import optuna

    if study is None:
        # no pruner unless asked for (Optuna's default would be a MedianPruner)
        study = optuna.create_study(direction="maximize", sampler=agent.sampler(), pruner=optuna.pruners.NopPruner())
    visited = visited if visited is not None else Visited()
    coordinator = coordinator or Alone()
    attrs = dict(trial_attrs or {})
    carry = 0.0  # CPU spent recording the last batch: charged to the next candidate
    while True:
        for dag, score in coordinator.others(study, visited):
            _mark(agent, visited, dag, score)
            agent.tell(Observation(dag, score, {}, revisit=True))
        room = budget - max(len(visited), coordinator.claimed())
        if room <= 0 or (seconds is not None and spent_seconds(study) >= seconds):
            return study
        batch: list[Candidate] = []
        for _ in range(min(objective.batch_size, room)):
            t0 = cpu_clock()
            c = ask(study, agent, visited, coordinator, budget, attrs)
            if c is None:
                break
            c.trial.set_user_attr("agent_seconds", cpu_clock() - t0 + carry)
            carry = 0.0
            batch.append(c)
        if not batch:
            return study
        try:
            with coordinator.running([c.trial for c in batch]):
                records = objective([c.proposal.dag for c in batch], pruning=Pruning.of(study))
        except BaseException:
            for c in batch:
                study.tell(c.trial, state=optuna.trial.TrialState.FAIL)
            coordinator.release(c.trial.number for c in batch)
            raise
        t0 = cpu_clock()
        for c, record in zip(batch, records):
            frozen = tell(study, agent, visited, c, record)
            for callback in callbacks:
                callback(study, frozen, record)
        carry = cpu_clock() - t0


def spent_seconds(study: "optuna.Study") -> float:
    """The CPU seconds of the study's finished trials: :func:`trial_seconds` of each."""
    import optuna

    return sum(trial_seconds(t) for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def trial_seconds(trial: "optuna.trial.FrozenTrial") -> float:
    """One candidate's CPU seconds: its training and scoring (none for a cache hit) and the
    agent's seconds proposing it (none in runs from before they were recorded)."""
    attrs = trial.user_attrs
    work = 0.0 if attrs.get("cached") else float(attrs.get("train_seconds", 0.0)) + float(attrs.get("score_seconds", 0.0))
    return work + float(attrs.get("agent_seconds", 0.0))


def ask(study: "optuna.Study", agent: Agent, visited: Visited, coordinator: Alone, budget: int,
        attrs: dict[str, Any]) -> Candidate | None:
    """Ask a trial and let the agent fill it with a circuit nobody has evaluated or claimed;
    ``None`` when the budget is fully claimed (across all workers)."""
    import optuna

    trial = study.ask()
    try:
        revisits: list[str] = []
        while True:
            proposal = agent.propose(trial, visited)
            dag = proposal.dag
            if dag in visited:
                if dag.key in visited.scores:
                    revisits.append(dag.key)
                    agent.tell(Observation(dag, visited.scores[dag.key], proposal.info, revisit=True))
                if len(revisits) > MAX_REVISITS:
                    raise QasError(f"agent {type(agent).__name__} proposed only visited circuits {MAX_REVISITS} times")
                continue
            status = coordinator.claim(dag, trial.number, budget)
            if status == "ok":
                break
            if status == "full":
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                return None
            _claimed(agent, visited, dag)  # another worker is on it
        for k, v in {"circuit": dag.to_json(), "key": dag.key, "agent_info": proposal.info, "revisits": revisits,
                     **attrs}.items():
            trial.set_user_attr(k, v)
        _claimed(agent, visited, dag)  # ours: never propose it again in this batch
        return Candidate(trial, proposal, revisits)
    except BaseException:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        coordinator.release([trial.number])
        raise


def tell(study: "optuna.Study", agent: Agent, visited: Visited, candidate: Candidate,
         record: EvaluationRecord) -> "optuna.trial.FrozenTrial":
    """Record an evaluation on its trial and teach the agent."""
    trial, dag = candidate.trial, candidate.proposal.dag
    if record.circuit_key != dag.key:  # the objective evaluated a stand-in
        visited.claimed.discard(dag.key)
        dag = record.dag
        trial.set_user_attr("circuit", record.circuit_json)
        trial.set_user_attr("key", record.circuit_key)
    trial.set_user_attr("metrics", record.metrics)
    trial.set_user_attr("params", list(record.params))
    trial.set_user_attr("train_seconds", record.train_seconds)
    trial.set_user_attr("score_seconds", record.score_seconds)
    trial.set_user_attr("cached", record.cached)
    for step, value in enumerate(record.curve, 1):
        trial.report(value, step)
    if record.pruned:
        trial.set_user_attr("pruned", True)
    frozen = study.tell(trial, record.score)
    visited.claimed.discard(dag.key)
    _mark(agent, visited, dag, record.score)
    agent.tell(Observation(dag, record.score, candidate.proposal.info))
    return frozen


def _mark(agent: Agent, visited: Visited, dag: CircuitDAG, score: float) -> None:
    visited.add(dag, score)
    if agent.context.index is not None:
        agent.context.index.mark(dag)


def _claimed(agent: Agent, visited: Visited, dag: CircuitDAG) -> None:
    visited.claimed.add(dag.key)
    if agent.context.index is not None:
        agent.context.index.mark(dag)
