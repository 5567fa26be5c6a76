"""Retrain circuits of a run exactly as its final round does, into the run's result cache.

The final round of a run (and ``fashion_peers.py`` after it) retrains circuits with the run's
``final_train`` on the full task, scored on validation and test, through the run's cache. This
script does the same work ahead of time or beside it, one process per call, so long retrainings
(30 epochs of a 10-qubit circuit: ~35 min on one core) can be spread over cores while a search
is still running: whatever it trains, the final round and ``fashion_peers.py`` then read back
as cache hits. The run is only read (``qas.search.open_run``): no running trial is failed.

Circuits: an ansatz spec built in the run's space (``u3cu3:2``), a circuit file, or
``trial:N`` / ``top`` (the best trial the agent found, seeds of the agent excluded).

    python experiments/retrain_in_run.py RUN_DIR hea:2                 # the run's seed, as its final round
    python experiments/retrain_in_run.py RUN_DIR top --seeds 1,2        # the 3-seed row's other seeds
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from qas.search import open_run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("circuit", help="ansatz spec, circuit file, trial:N or top")
    ap.add_argument("--seeds", default=None, help="comma-separated training seeds (default: the run's seed, as its final round)")
    args = ap.parse_args()
    run = open_run(args.run)
    if run.config.noise:
        raise SystemExit("runs scored with noise: retrain them with qas search --resume")
    dag = run.circuit(args.circuit)
    for seed in [run.config.seed] if args.seeds is None else [int(s) for s in args.seeds.split(",")]:
        t0 = time.perf_counter()
        rec = run.objective(final=True, seed=seed)([dag])[0]
        m = rec.metrics
        print(f"{args.circuit} ({dag.key[:12]}) seed {seed}: val {m['val_score']:.4f} test {m.get('test_score', float('nan')):.4f}"
              f" ({'cached' if rec.cached else f'{time.perf_counter() - t0:.0f} s'})", flush=True)


if __name__ == "__main__":
    main()
