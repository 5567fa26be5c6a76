"""What scoring under a Google device's calibrated noise costs, per candidate, against noiseless qsim.

For 4, 6 and 10 qubits on a device (default willow-pink): the best connected patch
(``pick_qubits``), the device version of a classification space (angle encoding RY, RZ of
``2n`` features, then a searched cell of ``3n`` gates in PhasedXZ and the native entangler),
and ``--candidates`` random circuits of it with random parameters. Each is scored on
``--inputs`` random inputs (``<Z>`` on every qubit) three ways, all on qsim:

- ``noiseless``: the path every search uses (``QsimSimulator``: one translation per structure);
- ``depolarizing``: qsim trajectories under ``depolarizing:p=0.001`` on every qubit after every
  moment (``NoiseSpec``), the pre-existing noisy path;
- ``device``: qsim trajectories under ``NoiseModelFromGoogleNoiseProperties`` on the chosen
  GridQubits, with the circuit in native gates (``DeviceNoise``), what ``--device`` scores with;
- ``device-public``: the same circuits, noise and trajectories through qsimcirq's public
  ``QSimSimulator.simulate_expectation_values_sweep``, which translates the noisy circuit again
  for every input (what ``device`` did before ``qas.backends.qsim_noisy``).

Noisy scoring costs about the same per input whatever the inputs, so seconds per candidate
at the search's default (``noise_inputs = 200``) is the per-input time x 200; the CSV holds
both. Run from the repo root:

    python experiments/devices_cost.py [--device willow-pink] [--inputs 20] [--candidates 2]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import numpy as np

from common import write_rows
from qas import Readout
from qas.backends import DeviceNoise, NoiseSpec, NoisyQsimSimulator, QsimSimulator, device_space, get_device, pick_qubits
from qas.backends import reference_expectations
from search_spaces import AngleEncoding, SearchSpace, sample_circuit

OUT = Path(__file__).parent / "results" / "devices_cost.csv"
DEFAULT_NOISE_INPUTS = 200  # SearchConfig.noise_inputs


def space_for(n: int) -> SearchSpace:
    return SearchSpace(f"cost-{n}q", n, ("U3", "CZ"), min_gates=3 * n, max_gates=3 * n,
                       encoding=AngleEncoding(2 * n, ("RY", "RZ")))


class PublicNoisy:
    """``DeviceNoise`` scoring through qsimcirq's public sweep (one translation per input)."""

    def __init__(self, noise: DeviceNoise) -> None:
        self.noise = noise

    def readout(self, dag, params, feats, spec):
        import cirq
        import qsimcirq

        from qas import feature_symbols

        sim = qsimcirq.QSimSimulator(qsim_options=qsimcirq.QSimOptions(ev_noisy_repetitions=self.noise.repetitions),
                                     noise=self.noise.model(), seed=0)
        obs = [cirq.Z(q) for q in self.noise.qubits(dag.num_qubits)]  # the <Z> readout
        return reference_expectations(self.noise.circuit(dag, params), feature_symbols(dag.num_features), obs,
                                      feats[:, : dag.num_features], simulator=sim)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="willow-pink")
    ap.add_argument("--qubits", default="4,6,10")
    ap.add_argument("--inputs", type=int, default=20)
    ap.add_argument("--candidates", type=int, default=2)
    ap.add_argument("--repetitions", type=int, default=100, help="trajectories per input (the search's default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    device = get_device(args.device)
    rng = np.random.default_rng(args.seed)
    rows = []
    for n in (int(x) for x in args.qubits.split(",")):
        patch = pick_qubits(device, n)
        space = device_space(space_for(n), device, patch.qubits)
        sims = {
            "noiseless": QsimSimulator(),
            "depolarizing": NoisyQsimSimulator(NoiseSpec.parse("depolarizing:p=0.001", args.repetitions)),
            "device": NoisyQsimSimulator(DeviceNoise(device, patch.qubits, args.repetitions)),
            "device-public": PublicNoisy(DeviceNoise(device, patch.qubits, args.repetitions)),
        }
        for c in range(args.candidates):
            dag = sample_circuit(space, random.Random(args.seed * 1000 + n * 10 + c))
            params = rng.uniform(-np.pi, np.pi, dag.num_params)
            feats = rng.uniform(0, np.pi, (args.inputs, dag.num_features))
            ideal = None
            for name, sim in sims.items():
                t0 = time.perf_counter()
                z = sim.readout(dag, params, feats, Readout("z"))
                seconds = time.perf_counter() - t0
                ideal = z if name == "noiseless" else ideal
                per_input = seconds / args.inputs
                rows.append({"device": device.name, "qubits": n, "patch": ",".join(f"{q.row}_{q.col}" for q in patch.qubits),
                             "candidate": c, "gates": len(dag), "scoring": name, "inputs": args.inputs,
                             "repetitions": args.repetitions if name != "noiseless" else 0,
                             "seconds": round(seconds, 4), "seconds_per_input": round(per_input, 5),
                             "seconds_per_candidate_at_200_inputs": round(per_input * DEFAULT_NOISE_INPUTS, 2),
                             "mean_abs_z_shift": round(float(np.abs(z - ideal).mean()), 5)})
                print(f"{n:2d} qubits  candidate {c}  {len(dag):3d} gates  {name:12s} {seconds:8.3f} s "
                      f"({per_input * 1e3:8.2f} ms/input)  |<Z> - ideal| {rows[-1]['mean_abs_z_shift']:.4f}")
    summary = []
    for n in sorted({r["qubits"] for r in rows}):
        for name in sims:
            per = [r["seconds_per_input"] for r in rows if r["qubits"] == n and r["scoring"] == name]
            summary.append((n, name, statistics.median(per)))
    base = {n: s for n, name, s in summary if name == "noiseless"}
    for n, name, s in summary:
        print(f"{n:2d} qubits {name:12s} {s * 1e3:9.2f} ms/input, {s * DEFAULT_NOISE_INPUTS:8.2f} s per candidate at "
              f"{DEFAULT_NOISE_INPUTS} inputs, {s / base[n]:8.1f}x noiseless")
    per = {(n, name): s for n, name, s in summary}
    for n in base:
        print(f"{n:2d} qubits: translating once makes device scoring {per[n, 'device-public'] / per[n, 'device']:.1f}x faster "
              "than qsimcirq's public sweep")
    write_rows(OUT, rows)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
