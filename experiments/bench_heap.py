"""Benchmark: a training step with the process keeping the memory it frees (``qas.backends.heap``) and without.

glibc's allocator serves 1-2 MiB blocks (a 10-qubit QNN's states at batch 256) with ``mmap``
and gives them back to the kernel when they are freed, so each step faults its states in
again. :func:`qas.backends.heap.keep_freed_memory` raises its mmap and trim thresholds, which
the trainer does in every process. The setting is per process and cannot be undone, so this
script times the two in separate processes, ``--rounds`` pairs of them in alternating order:
``bench_peers.py --json`` for its step workloads (``qnn4``, ``qnn10``, ``vqe8``: ours, and
TorchQuantum where it is installed), the median over interleaved repeats, and a child of this
script for ``qas.train`` of ``u3cu3:2`` for one epoch at batch 256 on fashion-10 and fashion-2
(``train-fashion-10``, ``train-fashion-2``: a search's candidate training, validation scoring
included); ``QAS_KEEP_FREED_MEMORY`` sets each process's mode. Reported per workload and backend: the median over rounds of each child's
median, and the ratio without / with (>1: keeping freed memory is faster).

    python experiments/bench_heap.py                      # 5 rounds, ~3 min with TorchQuantum
    cd experiments && PYTHONPATH=.. /work/peers-venv/bin/python bench_heap.py --rounds 7

Writes ``experiments/results/bench_heap.csv`` and ``bench_heap.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


#: whole trainings, as a search's worker runs them: one epoch at batch 256 (validation included)
TRAININGS = {"train-fashion-10": ("fashion-10", "qml-10q"), "train-fashion-2": ("fashion-2", "qml-4q")}


def training(name: str) -> Any:
    """``qas.train`` of ``u3cu3:2`` on the task of ``TRAININGS[name]``, one epoch."""
    from qas import TrainConfig, train
    from qas.tasks import make_task
    from search_spaces import build_ansatz, load_space

    task_name, space = TRAININGS[name]
    task, dag = make_task(task_name), build_ansatz("u3cu3:2", load_space(space))
    config = TrainConfig(epochs=1, batch_size=256, patience=1)
    return lambda: train(dag, task, config)


def child(mode: str, workloads: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """Milliseconds per training, ``{workload: {"ours": ms}}``, in this process set as ``mode``
    (the parent sets ``QAS_KEEP_FREED_MEMORY`` to match, which the trainer reads)."""
    import resource

    import torch
    from common import median_seconds

    from qas.backends import keep_freed_memory

    assert keep_freed_memory() == (mode == "keep"), "glibc's mallopt is not available here"
    torch.set_num_threads(1)
    out = {name: {"ours": 1e3 * median_seconds({"ours": (training(name), 0.0)}, repeats)["ours"]} for name in workloads}
    out["peak"] = {"MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # Linux: KiB
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="qnn4,qnn10,vqe8,train-fashion-10,train-fashion-2",
                    help="of bench_peers.py's (one step) and " + ", ".join(TRAININGS) + " (one epoch of qas.train)")
    ap.add_argument("--rounds", type=int, default=5, help="pairs of processes (one of each mode)")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved repeats in each process")
    ap.add_argument("--min-seconds", type=float, default=0.2)
    ap.add_argument("--peers", default="torchquantum", help="'none' to time ours only")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", choices=["keep", "default"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    workloads = args.workloads.split(",")
    steps = [w for w in workloads if w not in TRAININGS]
    trainings = [w for w in workloads if w in TRAININGS]
    if args.child:
        print(json.dumps(child(args.child, trainings, args.repeats)))
        return 0

    from common import RESULTS, machine_line, write_rows

    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = machine_line(1)
    print(f"# bench_heap {date}\n# {machine}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])))
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"keep": [], "default": []}

    def last_json(cmd: list[str], mode: str) -> dict[str, dict[str, float]]:
        done = subprocess.run(cmd, cwd=HERE, env=dict(env, QAS_KEEP_FREED_MEMORY="1" if mode == "keep" else "0"),
                              capture_output=True, text=True)
        if done.returncode:
            tail = (done.stderr.strip() or done.stdout.strip() or f"exited {done.returncode}").splitlines()[-1]
            raise SystemExit(f"bench_heap.py: {Path(cmd[1]).name} ({mode}) failed: {tail}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    for rnd in range(args.rounds):
        for mode in (("keep", "default") if rnd % 2 else ("default", "keep")):
            out: dict[str, dict[str, float]] = {}
            if steps:  # bench_peers.py in a process of its own, which sets the allocator as the trainer does
                out.update(last_json([sys.executable, str(HERE / "bench_peers.py"), "--workloads", ",".join(steps),
                                      "--peers", args.peers, "--repeats", str(args.repeats), "--min-seconds",
                                      str(args.min_seconds), "--no-write", "--json"], mode))
            if trainings:
                out.update(last_json([sys.executable, str(Path(__file__).resolve()), "--child", mode, "--workloads",
                                      ",".join(trainings), "--repeats", str(args.repeats)], mode))
            runs[mode].append(out)
        print(f"round {rnd + 1}/{args.rounds}: " + ", ".join(
            f"{w} ours {runs['default'][-1][w]['ours']:.2f} -> {runs['keep'][-1][w]['ours']:.2f} ms" for w in workloads), flush=True)

    rows: list[dict[str, Any]] = []
    for w in workloads:
        for b in [b for b in runs["keep"][0][w] if b == "ours" or b.startswith("torchquantum")]:
            default = statistics.median(r[w][b] for r in runs["default"])
            keep = statistics.median(r[w][b] for r in runs["keep"])
            per_round = [d[w][b] / k[w][b] for d, k in zip(runs["default"], runs["keep"])]
            rows.append(dict(date=date, workload=w, backend=b, ms_default=round(default, 3), ms_keep=round(keep, 3),
                             ratio=round(default / keep, 3), ratio_min=round(min(per_round), 3),
                             ratio_max=round(max(per_round), 3), rounds=args.rounds, machine=machine))
    lines = ["| workload | backend | ms (a step, or a training), glibc's default | ms, freed memory kept | default / kept (rounds' range) |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['workload']} | {r['backend']} | {r['ms_default']:.2f} | {r['ms_keep']:.2f} | "
              f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |" for r in rows]
    if trainings:
        peak = {m: statistics.median(r["peak"]["MiB"] for r in runs[m]) for m in runs}
        lines.append(f"| (peak resident memory of a training process, MiB) | | {peak['default']:.0f} | {peak['keep']:.0f} | |")
    ours_tq = []
    for w in workloads:
        by = {r["backend"]: r for r in rows if r["workload"] == w}
        tq = next((r for b, r in by.items() if b.startswith("torchquantum")), None)
        if tq is not None:
            ours_tq.append(f"- {w}: TorchQuantum / ours {tq['ms_default'] / by['ours']['ms_default']:.1f}x with glibc's "
                           f"default in both, {tq['ms_keep'] / by['ours']['ms_keep']:.1f}x with freed memory kept in both, "
                           f"{tq['ms_default'] / by['ours']['ms_keep']:.1f}x with it kept in ours only")
    print("\n".join(lines + [""] + ours_tq))
    if not args.no_write:
        write_rows(RESULTS / "bench_heap.csv", rows)
        head = ["# bench_heap: a training step with freed memory kept in the process, and with glibc's default", "",
                f"Measured {date} by `python experiments/bench_heap.py --rounds {args.rounds} --repeats {args.repeats}` "
                f"on {machine}. Each mode runs in its own processes ({args.rounds} of each, alternating); per process "
                "the median over interleaved repeats, here the median over processes.", ""]
        (RESULTS / "bench_heap.md").write_text("\n".join(head + lines + [""] + ours_tq) + "\n")
        print(f"\nwrote {RESULTS / 'bench_heap.csv'} and bench_heap.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
