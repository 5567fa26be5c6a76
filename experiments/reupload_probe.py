"""Why qml-4q-reup: what limits a pure 4-qubit <Z> classifier on fashion-2 (issue 5/6).

Trains, over 3 seeds each with the search's final training (30 epochs, lr 0.01, cosine, best
validation epoch kept), one-pass hand-designed circuits, the same cells re-uploaded 3 or 4
times, re-uploading with the pixel grid transposed in alternate copies or with trainable input
scaling (every encoding angle ``w * x + b``), and, as a capacity
yardstick, the logistic regression and a small classical MLP on the same 16 features. QNN
accuracies are qsim's (train, validation, test); the MLP's are torch's.

    python experiments/reupload_probe.py            # ~10 min on one core
"""

from __future__ import annotations

import argparse
import time

from common import RESULTS, accuracy_stats, mlp_accuracy, over_seeds, write_rows

from qas import CircuitDAG, Gate, build_task
from qas.search import FINAL_TRAIN
from qas.tasks import logistic_regression_accuracy
from search_spaces import ANSATZE, build_ansatz, load_space

SEEDS = (0, 1, 2)


def transposed_encoding(rotations: tuple[str, ...]) -> list[Gate]:
    """The 4x4 pixel grid on the other axis: qubit = row, rotation layer = column."""
    return [Gate(rotations[f % 4], (f // 4,), "feature", feature=f) for f in range(16)]


def circuits() -> dict[str, CircuitDAG]:
    one, reup = load_space("qml-4q"), load_space("qml-4q-reup")
    enc = list(one.encoding_gates())
    cell = ANSATZE.get("u3cu3")(4, 2)
    alt = transposed_encoding(one.encoding.rotations)
    return {
        "u3cu3:4, one pass": build_ansatz("u3cu3:4", one),
        "hea:8, one pass": build_ansatz("hea:8", one),
        "u3cu3:2 cell x3 (qml-4q-reup)": build_ansatz("u3cu3:2", reup),
        "u3cu3:2 cell x4": CircuitDAG(4, (enc + cell) * 4),
        "u3cu3:2 cell x3, grid transposed in copy 2": CircuitDAG(4, enc + cell + alt + cell + enc + cell),
        "u3cu3:2 cell x3, encoding angles w*x+b (qml-4q-reup-w)": build_ansatz("u3cu3:2", load_space("qml-4q-reup-w")),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="fashion-2")
    ap.add_argument("--out", default=str(RESULTS / "reupload_probe.csv"))
    args = ap.parse_args()
    task = build_task("fashionmnist", variant=args.variant)
    k = len(task.classes)

    def add(name: str, params: int, stats: dict, seconds: float) -> None:
        rows.append({"model": name, "params": params, **stats, "seconds_per_seed": round(seconds / stats["seeds"], 1)})
        print(rows[-1], flush=True)
        write_rows(args.out, rows)

    rows: list[dict] = []
    lr = logistic_regression_accuracy(task.data)
    add("logistic regression", (task.num_features + 1) * k, accuracy_stats([(lr["train_acc"], lr["val_acc"], lr["test_acc"])]),
        lr["seconds"])
    t0 = time.perf_counter()
    stats = accuracy_stats([mlp_accuracy(task.data, s) for s in SEEDS])
    add("classical MLP 16-64-64-k (torch)", 16 * 64 + 64 + 64 * 64 + 64 + 64 * k + k, stats, time.perf_counter() - t0)
    for name, dag in circuits().items():
        t0 = time.perf_counter()
        add(name, dag.num_params, over_seeds(dag, task, FINAL_TRAIN, SEEDS)[0], time.perf_counter() - t0)


if __name__ == "__main__":
    main()
