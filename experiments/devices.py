"""Device-aware search against the usual workflow on Google's processors, all scored on qsim
under each device's calibrated noise.

For each task and seed, and on each device (willow-pink, weber, rainbow), three circuits:

- **(a) noiseless search, then compiled**: ``qas.search`` in the task's own space with no
  device; its best circuit is placed on the device's best patch by Cirq's router
  (``qas.backends.route_to_device``: ``cirq.RouteCQC`` inserts SWAPs) and written in native gates;
- **(b) device-aware search**: ``qas.search(..., device=D)``: the device's native gates and
  couplers on the same patch, candidates trained noiselessly and chosen by their noisy score;
- **(c) hand-designed, compiled**: the task's hand ansatz (``u3cu3:2`` for fashion-2, ``hea:2``
  for the molecule), trained like a candidate, placed by the same router.

Both searches use the same agent (``--agent``, default evolution: the device spaces have no
pretrained embeddings), budget and search-time training; the final round is off, so every
circuit carries its search-time parameters. Each circuit is then scored once, with its trained
parameters fixed, on qsim trajectories under the device's noise model
(``NoisyQsimSimulator(DeviceNoise(...))``, 100 trajectories per input): fashion-2 on the first
``--inputs`` test images (accuracy, %), the molecule by its energy error (mHa, against CASCI).

Tasks: ``fashion-2`` (4 qubits) and ``LiH`` (STO-3G, 2 electrons in 2 orbitals, Jordan-Wigner,
4 qubits, from the Hartree-Fock state). Resumable: every search is a run directory under
``--runs`` and every finished row is written at once.

    python experiments/devices.py                                  # all: 2 tasks x 3 devices x 3 seeds
    python experiments/devices.py --tasks LiH --devices weber --seeds 1 --budget 6
    python experiments/devices.py --summary-only

Results: ``experiments/results/devices.csv``, ``devices_summary.md``, ``devices.png``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from common import RESULTS, read_rows, upsert_rows

ROWS = RESULTS / "devices.csv"
SUMMARY = RESULTS / "devices_summary.md"
PLOT = RESULTS / "devices.png"
DEVICES = ("willow-pink", "weber", "rainbow")
HAND = {"fashion-2": "u3cu3:2", "LiH": "hea:2"}
KEY = ("task", "device", "seed", "method")
METHODS = {"a": "(a) noiseless search, compiled", "b": "(b) device-aware search", "c": "(c) hand-designed, compiled"}


def make_task(name: str) -> Any:
    import qas

    if name == "LiH":
        return qas.tasks.VQE(molecule="LiH", hf=True)
    return qas.build_task(name)


def searched(task_name: str, seed: int, device: str | None, args: argparse.Namespace, executor: Any) -> Any:
    import qas

    run = Path(args.runs) / f"{task_name}-{device or 'noiseless'}-{args.agent}-b{args.budget}-seed{seed}"
    task = make_task(task_name) if task_name == "LiH" else task_name  # built-in tasks go by name
    return qas.search(task=task, seed=seed, budget=args.budget, agent=args.agent, device=device,
                      final=False, run_dir=run, progress=False, executor=executor)


def hand_designed(task_name: str, seed: int) -> tuple[Any, np.ndarray]:
    import qas

    task = make_task(task_name)
    space = task.default_space
    dag = qas.build_ansatz(HAND[task_name], qas.load_space(space) if isinstance(space, str) else space)
    config = qas.SearchConfig(seed=seed)
    record = qas.evaluate(dag, task, qas.TrainConfig.from_dict({**config.resolved_train(task), "seed": seed}))
    return dag, record.param_array


def noisy_row(task_name: str, original: tuple[Any, np.ndarray], dag: Any, params: np.ndarray, device: Any, qubits: tuple,
              readout: tuple | None, seed: int, inputs: int) -> dict[str, Any]:
    """The circuit's noiseless figure (``original``) and its noisy figure as placed (``dag`` on
    ``qubits`` of ``device``, read out at ``readout``), on the same inputs."""
    import qas
    from qas.backends import DeviceNoise, NoisyQsimSimulator, device_circuit

    task = make_task(task_name)
    split = "test" if task.has_data else "val"
    noise = DeviceNoise(device, qubits, 100, readout=readout)
    noiseless = qas.score(*original[:1], task, original[1], split, max_inputs=inputs)
    noisy = qas.score(dag, task, params, split, NoisyQsimSimulator(noise, seed=seed), max_inputs=inputs)
    native = device_circuit(dag, params, device, qubits)
    two = sum(1 for op in native.all_operations() if len(op.qubits) == 2)
    figure = "error_mha" if task_name == "LiH" else "score"
    return {"split": split, "inputs": inputs if task.has_data else 1, "noiseless": round(noiseless[figure], 4),
            "noisy": round(noisy[figure], 4), "native_two_qubit": two, "moments": len(native),
            "swaps": sum(1 for g in dag.gates if g.kind == "SWAP")}


def run(args: argparse.Namespace) -> None:
    import qas
    from qas.backends import get_device, pick_qubits, route_to_device
    from qas.search import DaskExecutor

    done = {tuple(r[k] for k in KEY) for r in read_rows(ROWS)}
    executor = DaskExecutor(workers=args.workers) if args.workers > 1 else None
    try:
        for task_name in args.tasks.split(","):
            for seed in range(args.seeds):
                todo = [(d, m) for d in args.devices.split(",") for m in METHODS
                        if (task_name, d, str(seed), METHODS[m]) not in done]
                if not todo:
                    continue
                cpu0, t0 = time.process_time(), time.perf_counter()
                plain = searched(task_name, seed, None, args, executor)
                hand = hand_designed(task_name, seed)
                print(f"{task_name} seed {seed}: noiseless search {plain.best_score:.4f} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
                for device_name in args.devices.split(","):
                    device = get_device(device_name)
                    qubits = pick_qubits(device, plain.circuit.num_qubits).qubits
                    t1 = time.perf_counter()
                    aware = searched(task_name, seed, device_name, args, executor)
                    rows = []
                    for m, (dag, params) in {"a": (plain.circuit, plain.params), "c": hand}.items():
                        routed = route_to_device(dag, params, device, qubits)
                        rows.append({"method": METHODS[m], **noisy_row(task_name, (dag, params), routed.dag, routed.params,
                                                                        device, qubits, routed.readout, seed, args.inputs)})
                    best = (aware.circuit, aware.params)
                    rows.append({"method": METHODS["b"], **noisy_row(task_name, best, *best, device, qubits, None, seed,
                                                                      args.inputs)})
                    common = {"task": task_name, "device": device_name, "seed": seed, "agent": args.agent,
                              "budget": args.budget, "qubits": ",".join(f"{q.row}_{q.col}" for q in qubits)}
                    upsert_rows(ROWS, [{**common, **r} for r in rows], KEY)
                    print(f"  {device_name}: " + "  ".join(f"{r['method'][:3]} {r['noisy']:.3f} (noiseless {r['noiseless']:.3f})"
                                                         for r in rows) + f"  ({time.perf_counter() - t1:.0f} s)", flush=True)
                print(f"  {task_name} seed {seed}: {(time.process_time() - cpu0) / 60:.1f} CPU-min in this process", flush=True)
    finally:
        if executor is not None:
            executor.close()


def summarise() -> None:
    rows = read_rows(ROWS)
    if not rows:
        return
    lines = ["# Device-aware search against the usual workflow (`experiments/devices.py`)", "",
             "Every figure is qsim under the device's calibrated noise model (100 trajectories per input); "
             "fashion-2: test accuracy (%) on the first test images, higher is better; LiH: energy error (mHa), "
             "lower is better. Medians over seeds, with each seed's value in brackets.", "",
             "| task | device | " + " | ".join(METHODS.values()) + " | (b) vs best of (a), (c) | target met |",
             "|---|---|---|---|---|---|---|"]
    points = []
    for task in dict.fromkeys(r["task"] for r in rows):
        for device in dict.fromkeys(r["device"] for r in rows if r["task"] == task):
            cell = {}
            for m in METHODS.values():
                vals = [float(r["noisy"]) * (100 if task != "LiH" else 1) for r in rows
                        if r["task"] == task and r["device"] == device and r["method"] == m]
                cell[m] = vals
            if not all(cell.values()):
                continue
            med = {m: statistics.median(v) for m, v in cell.items()}
            b, others = med[METHODS["b"]], [med[METHODS["a"]], med[METHODS["c"]]]
            if task == "LiH":
                best = min(others)
                gain = f"{100 * (1 - b / best):.0f}% less error" if best > 0 else "n/a"
                met = b <= 0.7 * best
            else:
                best = max(others)
                gain = f"{b - best:+.1f} points"
                met = b >= best + 2
            lines.append(f"| {task} | {device} | " + " | ".join(
                f"{med[m]:.2f} [{', '.join(f'{v:.2f}' for v in cell[m])}]" for m in METHODS.values())
                + f" | {gain} | {'yes' if met else 'no'} |")
            points.append((task, device, med))
    lines += ["", "Noiseless figures, native two-qubit gates, SWAPs and moments per circuit are in `devices.csv`."]
    SUMMARY.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(points)


def plot(points: list[tuple[str, str, dict[str, float]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(t for t, _, _ in points))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        mine = [(d, med) for t, d, med in points if t == task]
        x = np.arange(len(mine))
        for k, m in enumerate(METHODS.values()):
            ax.bar(x + (k - 1) * 0.27, [med[m] for _, med in mine], 0.27, label=m)
        ax.set_xticks(x, [d for d, _ in mine])
        ax.set_title(f"{task}: " + ("noisy energy error (mHa), lower is better" if task == "LiH"
                                    else "noisy test accuracy (%), higher is better"), fontsize=9)
        if task != "LiH":
            lo = min(min(med.values()) for _, med in mine)
            ax.set_ylim(max(0, lo - 5), 100)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=120)
    print(f"wrote {PLOT}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="fashion-2,LiH")
    ap.add_argument("--devices", default=",".join(DEVICES))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--agent", default="evolution")
    ap.add_argument("--inputs", type=int, default=1000, help="test images scored with noise (fashion-2)")
    ap.add_argument("--workers", type=int, default=None, help="Dask workers (default: one per core)")
    ap.add_argument("--runs", default=str(Path(__file__).resolve().parent / "runs" / "devices"))
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()
    if args.workers is None:
        import os

        args.workers = os.cpu_count() or 1
    if not args.summary_only:
        run(args)
    summarise()


if __name__ == "__main__":
    main()
