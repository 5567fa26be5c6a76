"""What limits fashion-10 (issue 6 §3): one knob at a time on the hand-designed weighted cell.

fashion-10 (10 classes, 6x6 pooled features, 10 qubits, one ``<Z>`` per class) sat at 74.7% with
``u3cu3:2`` re-uploaded 3 times with trainable input scaling, below the logistic regression
(76.8%). Each row here changes one thing against that baseline, trains on the full training
split for ``--epochs`` epochs (lr 0.01, batch 32, as the final training) and scores train,
validation and test accuracy on qsim:

- ``init``: where the trainable angles start (uniform in ``[-s, s]``; the default is pi);
- ``scale``: the fixed logit scale of the readout (a temperature);
- ``copies``: how many times the (encoding, cell) block is stacked;
- ``cell``: the number of U3+CU3 blocks in each cell;

and, as the ceiling of the 36 features, a small classical MLP (row ``mlp``).

One seed per row: a ranking probe, not a result table (the 3-seed numbers are in
fashion_peers.csv). Rows are merged into experiments/results/fashion10_probe.csv by (row,
epochs, seed), so subsets may run as parallel processes (give each its own ``--out`` and merge,
or run them one after another). One 3-epoch row takes 2-4 min on an idle core (5 copies: ~4 min,
8 copies: ~6 min); ``seconds`` in the CSV was measured with 2-3 jobs sharing 2 cores.

    python experiments/fashion10_probe.py                                       # every row, 3 epochs: ~45 min
    python experiments/fashion10_probe.py --rows copies5+scale20 --epochs 10    # ~12 min
"""

from __future__ import annotations

import argparse
import time

from common import RESULTS, mlp_accuracy, over_seeds, upsert_rows

from qas import build_task
from qas.search import FINAL_TRAIN
from search_spaces import build_ansatz, load_space, reuploaded

#: row -> (cell ansatz, copies, logit scale, init scale, lr); "base" is the 3-copy weighted
#: default of the previous session, the others change one knob or combine the ones that helped
ROWS: dict[str, tuple[str, int, float, float, float]] = {
    "base": ("u3cu3:2", 3, 5.0, 3.14159, 0.01),
    "init0.1": ("u3cu3:2", 3, 5.0, 0.1, 0.01),
    "init0.5": ("u3cu3:2", 3, 5.0, 0.5, 0.01),
    "scale10": ("u3cu3:2", 3, 10.0, 3.14159, 0.01),
    "scale20": ("u3cu3:2", 3, 20.0, 3.14159, 0.01),
    "copies5": ("u3cu3:2", 5, 5.0, 3.14159, 0.01),
    "cell3": ("u3cu3:3", 3, 5.0, 3.14159, 0.01),
    "lr0.03": ("u3cu3:2", 3, 5.0, 3.14159, 0.03),
    "copies5+scale20": ("u3cu3:2", 5, 20.0, 3.14159, 0.01),  # the new default (qml-10q-reup-w, fashion-10)
    "copies5+scale40": ("u3cu3:2", 5, 40.0, 3.14159, 0.01),
    "copies8+scale20": ("u3cu3:2", 8, 20.0, 3.14159, 0.01),
    "copies5+scale10+lr0.03": ("u3cu3:2", 5, 10.0, 3.14159, 0.03),
    "copies5+scale20+lr0.03": ("u3cu3:2", 5, 20.0, 3.14159, 0.03),
}


def qnn_row(name: str, epochs: int, seed: int) -> dict:
    cell, copies, scale, init, lr = ROWS[name]
    task = build_task("fashionmnist", variant="fashion-10", logit_scale=scale)
    dag = build_ansatz(cell, reuploaded(load_space("qml-10q"), "probe", weighted=True, copies=copies))
    t0 = time.perf_counter()
    stats, _ = over_seeds(dag, task, {**FINAL_TRAIN, "epochs": epochs, "lr": lr, "init_scale": init}, [seed])
    return {"row": name, "cell": cell, "copies": copies, "logit_scale": scale, "init_scale": init, "lr": lr,
            "epochs": epochs, "seed": seed, "params": dag.num_params, "train_acc": stats["train_acc"],
            "val_acc": stats["val_acc"], "test_acc": stats["test_mean"], "seconds": round(time.perf_counter() - t0, 1)}


def mlp_row(seed: int) -> dict:
    """The ceiling of the 36 features: a small classical MLP (60 epochs, Adam, torch)."""
    task = build_task("fashionmnist", variant="fashion-10")
    t0 = time.perf_counter()
    train, val, test = mlp_accuracy(task.data, seed)
    return {"row": "mlp", "cell": "classical MLP 36-64-64-10", "copies": 0, "logit_scale": "", "init_scale": "",
            "lr": 1e-3, "epochs": 60, "seed": seed, "params": 36 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10,
            "train_acc": round(train, 4), "val_acc": round(val, 4), "test_acc": round(test, 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default=",".join([*ROWS, "mlp"]), help="names from ROWS, and 'mlp'")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS / "fashion10_probe.csv"))
    args = ap.parse_args()
    for name in args.rows.split(","):
        row = mlp_row(args.seed) if name == "mlp" else qnn_row(name, args.epochs, args.seed)
        print(row, flush=True)
        upsert_rows(args.out, [row], key=("row", "epochs", "seed"))


if __name__ == "__main__":
    main()
