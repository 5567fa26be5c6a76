"""Multi-fidelity search: Optuna's pruners stop weak candidates' training early.

The run's study carries a pruner, as in Optuna (``optuna.create_study(pruner=...)``). While a
candidate trains, the trainer reports its validation score after every epoch (minus its best
loss every 20 steps for tasks without data) and asks the pruner whether to go on; weak ones
stop at a rung and are scored as they stand, so the budget's unique circuits cost less.

Candidates train in worker processes that do not hold the run's study, so a :class:`Pruning`
carries the pruner and the curves of the study's finished trials: in the worker it replays
them into an in-memory study with the same pruner and asks Optuna's own ``should_prune`` for
the new trial. Trials that train at the same time do not see each other's curves (as with any
of Optuna's parallel workers); the same history gives the same decisions, so a run stays
reproducible and resumes alike.

A pruned trial stays ``COMPLETE`` with its early qsim score (the agents learn from it) and the
user attribute ``pruned``; the final round retrains only circuits that trained fully.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qas.core.errors import QasError
from qas.core.specs import split_spec

if TYPE_CHECKING:
    import optuna

#: ``--pruner`` names: Optuna's pruner classes that decide from a trial's curve and the others'
PRUNERS = {"successive-halving": "SuccessiveHalvingPruner", "median": "MedianPruner", "none": "NopPruner"}
#: options of ours where Optuna's default does not fit a search of a few epochs per candidate:
#: the first rung after one report (Optuna's "auto" waits for a finished trial) and a third
#: going on at each rung (Optuna's: a quarter). What was measured (experiments/pruning_gain.py)
#: is min_resource=2,reduction_factor=4 on tasks without data, where 40 steps already rank.
DEFAULTS = {"successive-halving": {"min_resource": 1, "reduction_factor": 3}}


def make_pruner(text: str | None) -> "optuna.pruners.BasePruner":
    """``"successive-halving"``, ``"successive-halving:min_resource=1,reduction_factor=3"``,
    ``"median:n_startup_trials=5"`` or ``"none"`` (also ``None``): the Optuna pruner."""
    import optuna

    name, given = split_spec(text or "none", "pruner", "key=integer, e.g. min_resource=1")
    if name not in PRUNERS:
        raise QasError(f"unknown pruner {name!r}; choose one of: {', '.join(PRUNERS)} "
                       "(options as NAME:key=value,..., e.g. successive-halving:min_resource=1,reduction_factor=3)")
    options: dict[str, Any] = dict(DEFAULTS.get(name, {}))
    for key, value in given.items():
        if not re.fullmatch(r"-?\d+", value):
            raise QasError(f"pruner option {key}={value!r} must be key=integer, e.g. min_resource=1")
        options[key] = int(value)
    cls = getattr(optuna.pruners, PRUNERS[name])
    try:
        return cls(**options)
    except (TypeError, ValueError) as exc:
        raise QasError(f"pruner {name!r}: {exc}") from None


def describe(pruner: Any) -> str:
    """One line for the report: the pruner and its rungs."""
    import optuna

    if pruner is None or isinstance(pruner, optuna.pruners.NopPruner):
        return "none"
    if isinstance(pruner, optuna.pruners.SuccessiveHalvingPruner):
        r, eta, s = pruner._min_resource, pruner._reduction_factor, pruner._min_early_stopping_rate
        return (f"successive halving (Optuna): rungs at steps {r * eta ** s}, {r * eta ** (s + 1)}, ...; "
                f"a candidate goes on only in the top 1/{eta} of those that reached the rung")
    return type(pruner).__name__


def is_active(pruner: Any) -> bool:
    import optuna

    return pruner is not None and not isinstance(pruner, optuna.pruners.NopPruner)


@dataclass
class Pruning:
    """``pruning(step, value) -> bool``: Optuna's decision for one new trial, given the curves of
    the trials finished before it. Picklable (a worker receives it); the in-memory study is
    built on first use."""

    pruner: Any
    curves: list[dict[int, float]]
    _trial: Any = field(default=None, init=False, repr=False)

    @classmethod
    def of(cls, study: "optuna.Study") -> "Pruning | None":
        """The study's pruner and its finished curves (``None`` without a pruner)."""
        import optuna

        if not is_active(study.pruner):
            return None
        trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return cls(study.pruner, [dict(t.intermediate_values) for t in sorted(trials, key=lambda t: t.number)
                                  if t.intermediate_values])

    def __call__(self, step: int, value: float) -> bool:
        if self._trial is None:
            self._trial = self._replay()
        self._trial.report(value, step)
        return self._trial.should_prune()

    def _replay(self) -> "optuna.Trial":
        import optuna

        study = optuna.create_study(direction="maximize", pruner=copy.deepcopy(self.pruner),
                                    sampler=optuna.samplers.RandomSampler(seed=0))
        for curve in self.curves:
            trial = study.ask()
            for step in sorted(curve):
                trial.report(curve[step], step)
                trial.should_prune()  # records each rung it reached; the answer is history
            study.tell(trial, curve[max(curve)])
        return study.ask()

    def __getstate__(self) -> dict[str, Any]:
        return {"pruner": self.pruner, "curves": self.curves, "_trial": None}


def pruned(trial: Any) -> bool:
    """Whether a trial's training was stopped by the pruner."""
    return bool(trial.user_attrs.get("pruned", False))


def savings(trials: list[Any], train: dict[str, Any], has_data: bool) -> tuple[int, float]:
    """``(pruned trials, training CPU-seconds they did not spend)``: each pruned trial's
    training time scaled by the steps it skipped (epochs, or 20-step windows without data)."""
    planned = int(train.get("epochs", 1)) if has_data else max(1, int(train.get("steps", 20)) // 20)
    count, saved = 0, 0.0
    for t in trials:
        done = len(t.intermediate_values)
        if pruned(t) and done:
            count += 1
            saved += float(t.user_attrs.get("train_seconds", 0.0)) * max(0, planned - done) / done
    return count, saved
