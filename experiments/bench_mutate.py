"""What one one-gate edit costs: :func:`search_spaces.mutate` on the hand-designed baselines of
the spaces the default warm-starts in, timed plainly and under cProfile (which the §6 profile of
the warm start used; it inflates pure-Python code).

    python experiments/bench_mutate.py        # ~10 s

Writes ``experiments/results/bench_mutate.md``.
"""

from __future__ import annotations

import cProfile
import platform
import random
import time
from datetime import datetime, timezone

from common import RESULTS

CASES = (("ansatz-8q", "u3cu3:2"), ("ansatz-8q", "hea:2"), ("qml-4q-reup-w", "u3cu3:2"))
EDITS = 64  # the default's mutants per step (qas.search.embeddings.WARM_START)


def per_edit_ms(dag, space, n: int, seed: int) -> float:
    from search_spaces import mutate

    rng = random.Random(seed)
    start = time.perf_counter()
    for _ in range(n):
        mutate(dag, space, rng)
    return (time.perf_counter() - start) / n * 1e3


def main() -> None:
    from search_spaces import build_ansatz, load_space

    rows = []
    for space_name, spec in CASES:
        space = load_space(space_name)
        dag = build_ansatz(spec, space)
        per_edit_ms(dag, space, 50, 99)  # warm up
        plain = min(per_edit_ms(dag, space, 640, s) for s in range(5))
        prof = cProfile.Profile()
        prof.enable()
        profiled = per_edit_ms(dag, space, 640, 0)
        prof.disable()
        rows.append((space_name, spec, len(dag.gates), plain, profiled))
        print(f"{space_name} {spec}: {plain:.3f} ms an edit ({plain * EDITS:.1f} ms for {EDITS}), "
              f"{profiled:.3f} ms under cProfile")
    lines = [
        "# bench_mutate: what one one-gate edit costs",
        "",
        f"`python experiments/bench_mutate.py`, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"python {platform.python_version()}. Best of 5 runs of 640 edits each; the cProfile column is one "
        "run under the profiler.",
        "",
        f"| space | circuit | gates | ms an edit | ms for {EDITS} edits (one step) | ms an edit under cProfile |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {g} | {p:.3f} | {p * EDITS:.1f} | {q:.3f} |" for a, b, g, p, q in rows]
    (RESULTS / "bench_mutate.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
