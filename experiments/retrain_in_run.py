"""Retrain circuits of a run exactly as its final round does, into the run's result cache.

The final round of a run (and ``fashion_peers.py`` after it) retrains circuits with the run's
``final_train`` on the full task, scored on validation and test, through the run's cache. This
script does the same work ahead of time or beside it, one process per call, so long retrainings
(30 epochs of a 10-qubit circuit: ~35 min on one core) can be spread over cores while a search
is still running: whatever it trains, the final round and ``fashion_peers.py`` then read back
as cache hits.

Circuits: an ansatz spec built in the run's space (``u3cu3:2``), a circuit file, or
``trial:N`` / ``top`` (the best trial the agent found, seeds of the agent excluded).

    python experiments/retrain_in_run.py RUN_DIR hea:2                 # the run's seed, as its final round
    python experiments/retrain_in_run.py RUN_DIR top --seeds 1,2        # the 3-seed row's other seeds
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def circuit_of(run: Path, config: Any, spec: str) -> Any:
    from qas.core.circuit import CircuitDAG
    from search_spaces.circuit_files import read_circuit
    from qas.search.run import found_trials
    from qas.search.runner import completed_trials, open_study
    from search_spaces import load_space

    if spec == "top" or spec.startswith("trial:"):
        # open_study, not prepare(): that would fail the trials a live search is training
        trials = completed_trials(open_study(config, run))
        if spec == "top":
            trial = found_trials(trials)[0]
        else:
            trial = next(t for t in trials if t.number == int(spec.split(":", 1)[1]))
        return CircuitDAG.from_json(trial.user_attrs["circuit"])
    return read_circuit(spec, load_space(config.space))


def main() -> None:
    from qas.cache import ResultCache
    from qas.search.config import read_run_config
    from qas.search.executors import LocalExecutor, final_stage_for
    from qas.trainer import TrainConfig

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("circuit", help="ansatz spec, circuit file, trial:N or top")
    ap.add_argument("--seeds", default=None, help="comma-separated training seeds (default: the run's seed, as its final round)")
    args = ap.parse_args()
    config = read_run_config(args.run / "config.toml")
    if config.noise:
        raise SystemExit("runs scored with noise: retrain them with qas search --resume")
    dag = circuit_of(args.run, config, args.circuit)
    stage = final_stage_for(config, ResultCache(args.run / "cache.sqlite"))
    seeds = [config.seed] if args.seeds is None else [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        t0 = time.perf_counter()
        rec = LocalExecutor().evaluate(stage, [dag], TrainConfig.from_dict({**config.final_train, "seed": seed}))[0]
        m = rec.metrics
        print(f"{args.circuit} ({dag.key[:12]}) seed {seed}: val {m['val_score']:.4f} test {m.get('test_score', float('nan')):.4f}"
              f" ({'cached' if rec.cached else f'{time.perf_counter() - t0:.0f} s'})", flush=True)


if __name__ == "__main__":
    main()
