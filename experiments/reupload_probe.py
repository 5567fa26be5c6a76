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
import statistics
import time
from pathlib import Path

import numpy as np
from results_io import write_rows

from qas.tasks import build_task
from qas.core.circuit import CircuitDAG, Gate
from qas.evaluation import evaluate
from qas.search.config import FINAL_TRAIN
from qas.tasks.baselines import logistic_regression_accuracy
from qas.trainer import TrainConfig
from search_spaces import load_space
from search_spaces.ansatze import ANSATZE, build_ansatz

OUT = Path(__file__).parent / "results" / "reupload_probe.csv"
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


def mlp_accuracy(data, seed: int, hidden: int = 64, epochs: int = 60) -> tuple[float, float, float]:
    import torch

    torch.manual_seed(seed)
    x = torch.tensor(np.asarray(data.x_train), dtype=torch.float32)
    y = torch.tensor(np.asarray(data.y_train)).long()
    m = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                            torch.nn.ReLU(), torch.nn.Linear(hidden, int(y.max()) + 1))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)

    def acc(xs, ys) -> float:
        with torch.no_grad():
            return float((m(torch.tensor(np.asarray(xs), dtype=torch.float32)).argmax(1).numpy() == np.asarray(ys)).mean())

    best = (-1.0, 0.0, 0.0)
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x[idx]), y[idx]).backward()
            opt.step()
        val = acc(data.x_val, data.y_val)
        if val > best[0]:
            best = (val, acc(data.x_train, data.y_train), acc(data.x_test, data.y_test))
    return best[1], best[0], best[2]


def row(name: str, runs: list[tuple[float, float, float]], params: int, seconds: float) -> dict:
    tr, va, te = zip(*runs)
    return {"model": name, "params": params, "train_acc": round(statistics.mean(tr), 4),
            "val_acc": round(statistics.mean(va), 4), "test_mean": round(statistics.mean(te), 4),
            "test_std": round(statistics.stdev(te), 4) if len(te) > 1 else 0.0, "seeds": len(te),
            "seconds_per_seed": round(seconds / len(te), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="fashion-2")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    task = build_task("fashionmnist", variant=args.variant)
    rows = []
    lr = logistic_regression_accuracy(task.data)
    rows.append(row("logistic regression", [(lr["train_acc"], lr["val_acc"], lr["test_acc"])],
                    (task.num_features + 1) * len(task.classes), lr["seconds"]))
    print(rows[-1], flush=True)
    t0 = time.perf_counter()
    runs = [mlp_accuracy(task.data, s) for s in SEEDS]
    rows.append(row("classical MLP 16-64-64-k (torch)", runs, 16 * 64 + 64 + 64 * 64 + 64 + 64 * len(task.classes)
                    + len(task.classes), time.perf_counter() - t0))
    print(rows[-1], flush=True)
    for name, dag in circuits().items():
        t0 = time.perf_counter()
        runs = []
        for s in SEEDS:
            m = evaluate(dag, task, TrainConfig(**{**FINAL_TRAIN, "seed": s}), splits=("train", "val", "test")).metrics
            runs.append((m["train_accuracy"], m["val_accuracy"], m["test_accuracy"]))
        rows.append(row(name, runs, dag.num_params, time.perf_counter() - t0))
        print(rows[-1], flush=True)
        write_rows(Path(args.out), rows)
    write_rows(Path(args.out), rows)


if __name__ == "__main__":
    main()
