"""Do a candidate's CPU seconds (``qas.trainer.cpu_clock``, the process's CPU time) match its
wall time on an idle machine? One training and one qsim scoring of ``u3cu3:2`` per task, timed
on three clocks: wall (``perf_counter``), this thread's CPU and the process's CPU.

    python experiments/cpu_clock_probe.py     # ~30 s; results/cpu_clock_probe.csv

The budget of ``--cpu-minutes`` counts the process's CPU: each evaluation runs alone in its
process on one thread, so that is its own cost, helper threads (qsim's) included, and a pause or
a loaded core does not count as it would on the wall clock.
"""

from __future__ import annotations

import time

from common import RESULTS, write_rows

import qas

CASES = [("tfim-8", None, {"steps": 200}), ("fashionmnist", "fashion-2", {"epochs": 2})]


def clocked(rows, task, stage, f, *args):
    """``f(*args)``, with its cost on the three clocks appended to ``rows``."""
    w, t, p = time.perf_counter(), time.thread_time(), time.process_time()
    out = f(*args)
    rows.append({"task": task, "stage": stage, "wall_s": round(time.perf_counter() - w, 3),
                 "thread_cpu_s": round(time.thread_time() - t, 3),
                 "process_cpu_s": round(time.process_time() - p, 3)})
    print(rows[-1], flush=True)
    return out


def main() -> None:
    rows = []
    for name, variant, train in CASES:
        task = qas.build_task(name, variant=variant, train_limit=2000 if variant else None)
        dag = qas.build_ansatz("u3cu3:2", qas.load_space(task.default_space))
        result = clocked(rows, variant or name, "train", qas.train, dag, task, qas.TrainConfig.from_dict(train))
        clocked(rows, variant or name, "score", lambda: [qas.score(dag, task, result.params, split)
                                                          for split in ("val", "test")])
    write_rows(RESULTS / "cpu_clock_probe.csv", rows)


if __name__ == "__main__":
    main()
