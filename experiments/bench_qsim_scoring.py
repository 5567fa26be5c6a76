"""Benchmark: public qsimcirq sweep vs. QsimBatchExpectation for scoring one structure on many inputs.

Circuits (the shape of our QAS candidates; ``CircuitDAG`` s run through ``qas.to_cirq``):
  * data encoding: RY, RZ, RX, RY layers on every qubit, symbols x_0..x_{4n-1};
  * then `layers` x (U3 on every qubit + CNOT ring), trainable symbols theta_*.
Observables: ``<Z_i>`` on every qubit, or the ``vqe-h2`` task's Hamiltonian. Each input is a
fresh random x with fixed random theta.

Both paths are timed in the same process on the same values: one warm-up call,
then the median of `--repeats` timed calls.  Run from the repo root:

    python experiments/bench_qsim_scoring.py [--inputs 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Sequence, Tuple

import cirq
import numpy as np

from qas import CircuitDAG, Gate, feature_symbols, param_symbols, to_cirq
from qas.backends import QsimBatchExpectation, reference_expectations
from qas.tasks import make_task


def qas_circuit(n: int, layers: int = 3) -> CircuitDAG:
    """Encoding layers RY, RZ, RX, RY on every qubit (features ``x_0..x_{4n-1}``), then ``layers`` x
    (a trainable U3 on every qubit + a CNOT ring)."""
    gates = [Gate(rot, (i,), "feature", feature=k * n + i) for k, rot in enumerate(("RY", "RZ", "RX", "RY")) for i in range(n)]
    for _ in range(layers):
        gates += [Gate("U3", (i,), "trainable") for i in range(n)] + [Gate("CNOT", (i, (i + 1) % n)) for i in range(n)]
    return CircuitDAG(n, gates)


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

    q4, q8 = cirq.LineQubit.range(4), cirq.LineQubit.range(8)
    cases = [("4q, Z_i x4", qas_circuit(4), [cirq.Z(q) for q in q4]), ("8q, Z_i x8", qas_circuit(8), [cirq.Z(q) for q in q8]),
             ("4q, H2 (15 terms)", qas_circuit(4), [h2_hamiltonian(q4)])]

    header = (
        f"{'case':<20} {'ops':>4} {'blocks':>6} {'inputs':>6} {'setup ms':>9} "
        f"{'public s':>9} {'fast s':>8} {'us/input pub':>12} {'us/input fast':>13} {'speed-up':>8} {'max|diff|':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, dag, obs in cases:
        circuit, symbols = to_cirq(dag), param_symbols(dag.num_params) + feature_symbols(dag.num_features)
        theta_vals = rng.uniform(-np.pi, np.pi, dag.num_params)
        x_vals = rng.uniform(-np.pi, np.pi, (args.inputs, dag.num_features))
        values = np.hstack([np.broadcast_to(theta_vals, (args.inputs, dag.num_params)), x_vals])

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
