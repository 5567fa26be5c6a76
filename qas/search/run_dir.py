"""A run directory read as it stands: for tools beside a live search or after a finished one.

    run = open_run("runs/fashion-2")
    run.config                                   # the run's resolved SearchConfig
    best = run.found()[0]                        # the best circuit the agent found (its seeds left out)
    record = run.objective(final=True, seed=1)([run.circuit("top")])[0]

Opening a run fails no running trial and writes nothing to its study (unlike resuming it), so
a tool may read a search while it runs. What a tool trains through :meth:`RunDir.objective`
lands in the run's result cache under the keys the run itself uses: its final round, or a
later retraining, finds it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from qas.core.circuit import CircuitDAG
from qas.search.config import SearchConfig, read_run_config


def open_run(path: str | Path) -> "RunDir":
    """The run in ``path`` (a directory ``qas search`` wrote), read-only."""
    from qas.core.errors import QasError

    path = Path(path)
    if not (path / "config.toml").is_file():
        raise QasError(f"{path} holds no run (no config.toml)")
    return RunDir(path, read_run_config(path / "config.toml"))


@dataclass(frozen=True)
class RunDir:
    """A run's directory and resolved config; see :func:`open_run`."""

    path: Path
    config: SearchConfig

    @cached_property
    def space(self) -> Any:
        """The space the run searched (on its device, with ``--device``)."""
        return self.device.space(self._base_space) if self.device is not None else self._base_space

    @cached_property
    def _base_space(self) -> Any:
        """A built-in or TOML space by name, or the space the task made (a user's data)."""
        from qas.search.runner import space_of

        return space_of(self.config, self.task())

    @cached_property
    def device(self) -> Any:
        """The run's :class:`~qas.search.device_target.DeviceSetting` (``None`` without ``--device``)."""
        from qas.search.device_target import device_setting

        return device_setting(self.config, self._base_space.num_qubits) if self.config.device else None

    @cached_property
    def cache(self) -> Any:
        """The run's result cache (a :class:`~qas.cache.ResultCache`)."""
        from qas.cache import ResultCache

        return ResultCache(self.path / "cache.sqlite")

    @cached_property
    def noise(self) -> Any:
        from qas.search.device_target import noise_of

        return noise_of(self.config, self.device)

    def trials(self) -> list[Any]:
        """The study's completed trials, by number."""
        from qas.search.runner import completed_trials, open_study

        return completed_trials(open_study(self.config, self.path))

    def found(self) -> list[Any]:
        """The trials whose circuits the agent found (its seeds left out), best first."""
        from qas.search.run import found_trials

        return found_trials(self.trials())

    def circuit(self, spec: str) -> CircuitDAG:
        """``top`` (the best circuit the agent found), ``trial:N``, or an ansatz spec or circuit file
        read in the run's space."""
        from qas.core.errors import QasError
        from search_spaces import read_circuit

        if spec == "top" or spec.startswith("trial:"):
            number = spec.partition(":")[2]
            trials = self.found() if spec == "top" else [t for t in self.trials() if str(t.number) == number]
            if not trials:
                raise QasError(f"{self.path} has no completed trial {spec!r}")
            return CircuitDAG.from_json(trials[0].user_attrs["circuit"])
        return read_circuit(spec, self.space)

    def finalists(self) -> dict[str, Any]:
        """The run's final round, ``finalists.json`` (see :func:`~qas.search.outputs.read_finalists`)."""
        from qas.search.outputs import read_finalists

        return read_finalists(self.path)

    def task(self, *, final: bool = False) -> Any:
        """The run's task as its search trains on it, or (``final``) as its final round does (the full task)."""
        from qas.search.executors import build_stage_task, task_args

        return build_stage_task(task_args(self.config, final=final))

    def objective(self, *, final: bool = False, seed: int | None = None, executor: Any = None) -> Any:
        """The run's search-time (or ``final``) training as an objective, through the run's cache."""
        from qas.search.objectives import TrainingObjective

        return TrainingObjective.of_run(self.config, final=final, cache=self.cache, noise=self.noise, seed=seed,
                                        executor=executor)

    def final_round(self, executor: Any = None) -> Any:
        """Run the final round again on the trials as they stand (retrain the top circuits, the seeds and the
        hand-designed ansätze; choose on validation) without writing the run's outputs. Returns a
        :class:`~qas.search.run.FinalRound`."""
        from qas.search.run import final_round

        ranked = sorted(self.trials(), key=lambda t: (-t.value, t.number))
        return final_round(self.objective(final=True, executor=executor), self.config, self.space, ranked)
