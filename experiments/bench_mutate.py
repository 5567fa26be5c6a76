"""What one one-gate edit costs: :func:`search_spaces.mutate` on the hand-designed baselines of
the spaces the default warm-starts in, timed plainly and under cProfile (which the §6 profile of
the warm start used; it inflates pure-Python code). ``--compare-rev REV`` times REV's
``search_spaces`` too (a ``git archive`` of it), round by round with ours.

    python experiments/bench_mutate.py                      # ~10 s
    python experiments/bench_mutate.py --compare-rev 6f4e68f --rounds 5   # ~2 min

Writes ``experiments/results/bench_mutate.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from common import RESULTS

CASES = (("ansatz-8q", "u3cu3:2"), ("ansatz-8q", "hea:2"), ("qml-4q-reup-w", "u3cu3:2"))
ROOT = Path(__file__).resolve().parents[1]


def per_edit_ms(dag, space, n: int, seed: int) -> float:
    from search_spaces import mutate

    rng = random.Random(seed)
    start = time.perf_counter()
    for _ in range(n):
        mutate(dag, space, rng)
    return (time.perf_counter() - start) / n * 1e3


def measure() -> dict[str, dict[str, float]]:
    """ms an edit for each case (best of 5 x 640 edits), plainly and under cProfile."""
    from search_spaces import build_ansatz, load_space

    out = {}
    for space_name, spec in CASES:
        space = load_space(space_name)
        dag = build_ansatz(spec, space)
        per_edit_ms(dag, space, 50, 99)  # warm up
        plain = min(per_edit_ms(dag, space, 640, s) for s in range(5))
        prof = cProfile.Profile()
        prof.enable()
        profiled = per_edit_ms(dag, space, 640, 0)
        prof.disable()
        out[f"{space_name} {spec}"] = {"gates": len(dag.gates), "plain": plain, "profiled": profiled}
    return out


def measure_in(tree: Path) -> dict[str, dict[str, float]]:
    """:func:`measure` in a fresh process importing ``search_spaces`` from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run([sys.executable, __file__, "--json"], cwd=tree, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--compare-rev", metavar="REV", help="also time this git revision's mutate")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure()))
        return
    from qas.search import WARM_START  # here, not at the top: --json runs at other revisions too

    edits = WARM_START["mutants"]  # the default's edits a step
    runs: dict[str, list[dict]] = {"ours": []}
    with tempfile.TemporaryDirectory() as tmp:
        if args.compare_rev:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.compare_rev],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            bench_copy = Path(tmp) / "experiments" / "bench_mutate.py"
            bench_copy.write_text(Path(__file__).read_text())  # the same timing code at both
            runs[args.compare_rev] = []
        for r in range(args.rounds):
            runs["ours"].append(measure_in(ROOT))
            if args.compare_rev:
                runs[args.compare_rev].append(measure_in(Path(tmp)))
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{name} {case.split()[-1]}@{case.split()[0]} {rounds[-1][case]['plain']:.3f} ms"
                for name, rounds in runs.items() for case in rounds[-1]), flush=True)

    def med(name: str, case: str, key: str) -> float:
        return statistics.median(rd[case][key] for rd in runs[name])

    header = f"| space | circuit | gates | ms an edit | ms for {edits} edits (one step) | ms an edit under cProfile |"
    rule = "|---|---|---|---|---|---|"
    if args.compare_rev:
        header += f" ms an edit at {args.compare_rev} | {args.compare_rev} / ours |"
        rule += "---|---|"
    lines = [
        "# bench_mutate: what one one-gate edit costs",
        "",
        f"`python experiments/bench_mutate.py{f' --compare-rev {args.compare_rev}' if args.compare_rev else ''}"
        f" --rounds {args.rounds}`, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}. Each round runs each "
        "revision in a fresh process (best of 5 x 640 edits); medians over rounds. The cProfile "
        "column is one run under the profiler.",
        "",
        header,
        rule,
    ]
    for case in runs["ours"][0]:
        space_name, spec = case.split()
        plain = med("ours", case, "plain")
        row = (f"| {space_name} | {spec} | {runs['ours'][0][case]['gates']} | {plain:.3f} | "
               f"{plain * edits:.1f} | {med('ours', case, 'profiled'):.3f} |")
        if args.compare_rev:
            then = med(args.compare_rev, case, "plain")
            row += f" {then:.3f} | {then / plain:.2f}x |"
        lines.append(row)
    text = "\n".join(lines) + "\n"
    (RESULTS / "bench_mutate.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
