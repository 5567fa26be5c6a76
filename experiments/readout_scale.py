"""Does the fixed logit scale of the <Z> readout matter? (fashion-2, hand-designed ansätze)

Trains u3cu3:2, u3cu3:4 and hea:4 on the full fashion-2 training split for 5 epochs with
logit_scale 1 (QuantumNAS's raw sums) and 5 (our default), two learning rates each, and scores
validation and test accuracy on qsim. Writes experiments/results/readout_scale.csv.

    python experiments/readout_scale.py          # ~6 min on 2 cores
"""

from __future__ import annotations

import time

from common import RESULTS, write_rows

from qas import TrainConfig, evaluate
from qas.tasks import make_task
from search_spaces import build_ansatz, load_space


def main() -> None:
    space = load_space("qml-4q")
    rows = []
    for scale in (1.0, 5.0):
        task = make_task("fashion-2", logit_scale=scale)
        for spec in ("u3cu3:2", "u3cu3:4", "hea:4"):
            for lr in (0.05, 0.01):
                t0 = time.perf_counter()
                r = evaluate(build_ansatz(spec, space), task, TrainConfig(epochs=5, lr=lr, batch_size=32), splits=("val", "test"))
                row = {"logit_scale": scale, "ansatz": spec, "lr": lr, "val_accuracy": r.metrics["val_accuracy"],
                       "test_accuracy": r.metrics["test_accuracy"], "seconds": round(time.perf_counter() - t0, 1)}
                print(row, flush=True)
                rows.append(row)
    write_rows(RESULTS / "readout_scale.csv", rows)


if __name__ == "__main__":
    main()
