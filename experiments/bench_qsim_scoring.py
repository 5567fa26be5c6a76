"""Benchmark: public qsimcirq sweep vs. QsimBatchExpectation for scoring one structure on many inputs.

Circuits (the shape of our QAS candidates):
  * data encoding: RY, RZ, RX, RY layers on every qubit, symbols x_0..x_{4n-1};
  * then `layers` x (U3 on every qubit + CNOT ring), trainable symbols theta_*.
Each input is a fresh random x with fixed random theta.

Both paths are timed in the same process on the same values: one warm-up call,
then the median of `--repeats` timed calls.  Run from the repo root:

    python experiments/bench_qsim_scoring.py [--inputs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, List, Sequence, Tuple

import cirq
import numpy as np
import sympy

from qas.backends import QsimBatchExpectation, reference_expectations
from qas.tasks import make_task

PI = sympy.pi


def u3(theta, phi, lam) -> cirq.PhasedXZGate:
    return cirq.PhasedXZGate(x_exponent=theta / PI, z_exponent=(phi + lam) / PI, axis_phase_exponent=0.5 - lam / PI)


def qas_circuit(n: int, layers: int = 3) -> Tuple[cirq.Circuit, List[sympy.Symbol], List[sympy.Symbol], List[cirq.Qid]]:
    q = cirq.LineQubit.range(n)
    xs = list(sympy.symbols(f"x_0:{4 * n}"))
    thetas = list(sympy.symbols(f"theta_0:{3 * n * layers}"))
    c = cirq.Circuit()
    for k, rot in enumerate((cirq.ry, cirq.rz, cirq.rx, cirq.ry)):
        c.append(rot(xs[k * n + i]).on(q[i]) for i in range(n))
    j = 0
    for _ in range(layers):
        for i in range(n):
            c.append(u3(thetas[j], thetas[j + 1], thetas[j + 2]).on(q[i]))
            j += 3
        c.append(cirq.CNOT(q[i], q[(i + 1) % n]) for i in range(n))
    return c, xs, thetas, q


def h2_hamiltonian(q: Sequence[cirq.Qid]) -> cirq.PauliSum:
    """The ``vqe-h2`` task's 15-term Hamiltonian (qubit 0 first)."""
    return sum(c * cirq.DensePauliString(word).on(*q) for c, word in make_task("vqe-h2").hamiltonian)


def timed_median(fn: Callable[[], np.ndarray], repeats: int) -> Tuple[float, np.ndarray]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    cases = []
    for n in (4, 8):
        c, xs, th, q = qas_circuit(n)
        cases.append((f"{n}q, Z_i x{n}", c, xs, th, [cirq.Z(qq) for qq in q]))
    c, xs, th, q = qas_circuit(4)
    cases.append(("4q, H2 (15 terms)", c, xs, th, [h2_hamiltonian(q)]))

    header = (
        f"{'case':<20} {'ops':>4} {'blocks':>6} {'inputs':>6} {'setup ms':>9} "
        f"{'public s':>9} {'fast s':>8} {'us/input pub':>12} {'us/input fast':>13} {'speed-up':>8} {'max|diff|':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, circuit, xs, thetas, obs in cases:
        symbols = xs + thetas
        theta_vals = rng.uniform(-np.pi, np.pi, len(thetas))
        x_vals = rng.uniform(-np.pi, np.pi, (args.inputs, len(xs)))
        values = np.hstack([x_vals, np.broadcast_to(theta_vals, (args.inputs, len(thetas)))])

        t0 = time.perf_counter()
        fast = QsimBatchExpectation(circuit, symbols, obs)
        setup = time.perf_counter() - t0

        t_pub, ref = timed_median(lambda: reference_expectations(circuit, symbols, obs, values), args.repeats)
        t_fast, got = timed_median(lambda: fast(values), args.repeats)
        diff = float(np.abs(got - ref).max())
        n_ops = len(list(circuit.all_operations()))
        print(
            f"{name:<20} {n_ops:>4} {fast.num_blocks:>6} {args.inputs:>6} {setup * 1e3:>9.1f} "
            f"{t_pub:>9.3f} {t_fast:>8.3f} {t_pub / args.inputs * 1e6:>12.1f} {t_fast / args.inputs * 1e6:>13.1f} "
            f"{t_pub / t_fast:>7.1f}x {diff:>10.2e}"
        )


if __name__ == "__main__":
    main()
