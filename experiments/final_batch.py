"""Does the final training need batches of 32? fashion-2's final training (30 epochs, cosine, lr
0.01, batch 32) against batch 64 at lr 0.02 and batch 128 at lr 0.04 (the rate scaled with the
batch), on the hand-designed ``u3cu3:2`` and ``hea:2`` and ``--cells`` random pre-filter-sized
cells of ``qml-4q-reup-w`` (the first draws with >= 156 trainable angles), seeds 0-2; qsim validation
and test accuracy and the training's seconds (two processes side by side).

    python experiments/final_batch.py                # 2 random cells, ~10 min on 2 cores
    python experiments/final_batch.py --cells 6      # 4 more: only the missing rows train
    python experiments/final_batch.py --task fashion-4   # the same on fashion-4, ~25 min

Writes ``experiments/results/final_batch.csv`` (``final_batch_<task>.csv`` for another task)
row by row; a rerun trains only what it lacks.
"""

from __future__ import annotations

import argparse
import random
import time
from concurrent.futures import ProcessPoolExecutor

from common import RESULTS, read_rows, upsert_rows

SETTINGS = ((32, 0.01), (64, 0.02), (128, 0.04))


def circuits(cells: int, task: str) -> dict[str, str]:
    from qas.tasks import make_task
    from search_spaces import build_ansatz, load_space, sample_circuit

    space = load_space(make_task(task).default_space)
    out = {spec: build_ansatz(spec, space).to_json() for spec in ("u3cu3:2", "hea:2")}
    for s in range(200):
        d = space.lift(sample_circuit(space.cell_space, random.Random(s)))
        if d.num_params >= 156 and len(out) < 2 + cells:
            out[f"random cell {s}"] = d.to_json()
    return out


def train(name: str, circuit: str, seed: int, batch: int, lr: float, task_name: str) -> dict:
    import qas
    from qas.tasks import make_task

    task = make_task(task_name)
    cfg = {**qas.SearchConfig().resolved_final_train(task), "batch_size": batch, "lr": lr, "seed": seed}
    t0 = time.perf_counter()
    rec = qas.evaluate(qas.CircuitDAG.from_json(circuit), task, qas.TrainConfig.from_dict(cfg), splits=("val", "test"))
    return {"circuit": name, "params": rec.dag.num_params, "seed": seed, "batch_size": batch, "lr": lr,
            "val": round(rec.metrics["val_score"], 4), "test": round(rec.metrics["test_score"], 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cells", type=int, default=2, help="random cells besides u3cu3:2 and hea:2")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--task", default="fashionmnist", help="an image task (fashionmnist is fashion-2)")
    args = ap.parse_args()
    from qas.tasks import make_task

    variant = getattr(make_task(args.task), "variant", None)  # a bad name stops here, with the known ones
    if variant is None:
        raise SystemExit(f"--task {args.task}: not an image classification task (fashionmnist, fashion-4, ...)")
    path = RESULTS / ("final_batch.csv" if variant == "fashion-2" else f"final_batch_{variant}.csv")
    key = ("circuit", "seed", "batch_size")
    names = circuits(args.cells, args.task)
    done = {tuple(r[k] for k in key) for r in read_rows(path)}
    jobs = [(name, c, seed, b, lr, args.task) for name, c in names.items() for seed in range(args.seeds)
            for b, lr in SETTINGS if (name, str(seed), str(b)) not in done]
    with ProcessPoolExecutor(args.jobs) as pool:
        for row in pool.map(train, *zip(*jobs)) if jobs else ():
            upsert_rows(path, [row], key)
            print(f"{row['circuit']}, seed {row['seed']}, batch {row['batch_size']}: test {row['test']}", flush=True)
    rows = [r for r in read_rows(path) if r["circuit"] in names]
    for r in rows:
        r.update({k: float(r[k]) for k in ("test", "val", "seconds")}, batch_size=int(r["batch_size"]))
    print(f"{'circuit':<16}{'batch, lr':>12}{'test mean':>11}{'val mean':>10}{'seconds':>9}")
    for name in dict.fromkeys(r["circuit"] for r in rows):
        for b, lr in SETTINGS:
            mine = [r for r in rows if r["circuit"] == name and r["batch_size"] == b]
            mean = lambda k: sum(r[k] for r in mine) / len(mine)  # noqa: E731
            print(f"{name:<16}{f'{b}, {lr}':>12}{mean('test'):>11.4f}{mean('val'):>10.4f}{mean('seconds'):>9.1f}")


if __name__ == "__main__":
    main()
