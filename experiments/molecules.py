"""Molecules: the default ``qas search`` against the hardware-efficient and UCCSD ansätze of
the same qubit count.

For LiH (2 electrons in 3 orbitals: 6 qubits), BeH2 (4 in 3: 6 qubits) and H2O (4 in 4:
8 qubits), STO-3G at equilibrium, Jordan-Wigner, every circuit starting in the Hartree-Fock
state:

- **searched**: ``qas.search(task=VQE(molecule=M, hf=True), family=F)`` with the default
  agent and budget, seeds 0..S-1; the chosen circuit's error after the final round;
- **hardware-efficient**: ``hea:L`` (RY, RZ on every qubit, a CNOT ring; L = 1, 2, 4),
  trained with the final round's training;
- **UCCSD**: OpenFermion's singlet UCCSD generator, amplitudes optimised exactly (BFGS on
  the statevector, ``exp(T - T^dagger)`` by ``expm_multiply``); its CNOT count is that of the
  standard first-order Trotter circuit, ``sum over Pauli strings of 2 (weight - 1)``.

Errors are against PySCF's CASCI energy, in mHa (chemical accuracy: 1.6); CNOTs and depth
are counted after Cirq compiles the circuit to CZ and one-qubit gates (``qas.core.cost``).

    python experiments/molecules.py                   # all three, 3 seeds (resumable)
    python experiments/molecules.py --molecules LiH --seeds 1 --budget 20

Results: ``experiments/results/molecules.csv`` and ``molecules_summary.md``.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROWS = RESULTS / "molecules.csv"
SUMMARY = RESULTS / "molecules_summary.md"
MOLECULES = {"LiH": "2,3", "BeH2": "4,3", "H2O": "4,4"}


def uccsd(name: str, active: str) -> dict[str, Any]:
    """Exactly optimised singlet UCCSD: its error (mHa) and the CNOTs of its Trotter circuit."""
    import openfermion as of
    from scipy.optimize import minimize
    from scipy.sparse.linalg import expm_multiply

    import qas

    task = qas.tasks.VQE(molecule=name, active_space=active)
    mol = task.molecule
    n, electrons = mol.num_qubits, mol.active_space[0]
    h = of.get_sparse_operator(of.QubitOperator(), n) * 0
    for c, w in task.hamiltonian:
        h = h + c * of.get_sparse_operator(of.QubitOperator(" ".join(f"{p}{q}" for q, p in enumerate(w) if p != "I")), n)
    hf = np.zeros(2**n, dtype=complex)
    hf[int(mol.hf_state, 2)] = 1.0  # OpenFermion's big-endian order is ours: qubit 0 leftmost
    size = of.uccsd_singlet_paramsize(n, electrons)

    # the generator is linear in the amplitudes: one sparse matrix per amplitude, summed
    pieces = [of.get_sparse_operator(of.jordan_wigner(of.uccsd_singlet_generator(np.eye(size)[k], n, electrons)), n)
              for k in range(size)]

    def energy(amps: np.ndarray) -> float:
        psi = expm_multiply(sum(a * g for a, g in zip(amps, pieces)), hf)
        return float(np.real(np.vdot(psi, h @ psi)))

    res = minimize(energy, np.zeros(size), method="BFGS", options={"gtol": 1e-8})
    generator = of.jordan_wigner(of.uccsd_singlet_generator(np.ones(size), n, electrons))
    cnots = sum(2 * (len(term) - 1) for term in generator.terms if term)
    return {"method": "UCCSD (exact amplitudes; Trotter CNOTs)", "error_mha": 1000 * (res.fun - mol.exact_energy),
            "cnots": cnots, "depth": "", "params": size}


def trained(name: str, active: str, spec: str, family: str) -> dict[str, Any]:
    import qas
    from qas import circuit_cost

    task = qas.tasks.VQE(molecule=name, active_space=active, hf=True, family=family)
    dag = qas.build_ansatz(spec, task.space)
    cfg = qas.SearchConfig().resolved_final_train(task)
    rec = qas.evaluate(dag, task, qas.TrainConfig.from_dict(cfg))
    cost = circuit_cost(dag)
    return {"method": f"hardware-efficient {spec}", "error_mha": rec.metrics["val_error_mha"], "cnots": cost.two_qubit,
            "depth": cost.depth, "params": dag.num_params}


def searched(name: str, active: str, family: str, seed: int, budget: int | None, runs: Path) -> dict[str, Any]:
    import qas
    from qas import circuit_cost

    task = qas.tasks.VQE(molecule=name, active_space=active, hf=True, family=family)
    cpu0 = time.process_time()
    result = qas.search(task=task, seed=seed, run_dir=runs / f"{name}-{family}-seed{seed}", progress=False,
                        **({} if budget is None else {"budget": budget}))
    cost = circuit_cost(result.circuit)
    return {"method": f"searched ({family}, seed {seed})", "error_mha": -result.scores["val_score"],
            "cnots": cost.two_qubit, "depth": cost.depth, "params": result.circuit.num_params,
            "chosen": result.origin, "cpu_minutes": round((time.process_time() - cpu0) / 60, 2)}


def write(rows: list[dict[str, Any]]) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    with ROWS.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def read() -> list[dict[str, str]]:
    if not ROWS.exists():
        return []
    with ROWS.open(newline="") as fh:
        return list(csv.DictReader(fh))


def summary(rows: list[dict[str, str]]) -> str:
    lines = ["| molecule | qubits | method | error (mHa) | chemical accuracy | CNOTs | depth | parameters |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        err = float(r["error_mha"])
        lines.append(f"| {r['molecule']} | {r['qubits']} | {r['method']} | {err:.3f} | {'yes' if err <= 1.6 else 'no'} | "
                     f"{r['cnots']} | {r['depth']} | {r['params']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--molecules", default=",".join(MOLECULES))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budget", type=int, default=None)
    p.add_argument("--families", default="hardware-efficient,givens")
    p.add_argument("--runs", type=Path, default=RESULTS / "runs" / "molecules")
    p.add_argument("--summary-only", action="store_true")
    args = p.parse_args(argv)
    rows = read()
    if not args.summary_only:
        done = {(r["molecule"], r["method"]) for r in rows}

        def add(name: str, row: dict[str, Any]) -> None:
            import qas

            if args.budget is not None:  # a quick look: printed, not recorded
                print(name, row, flush=True)
                return
            row = {"molecule": name, "qubits": qas.tasks.VQE(molecule=name, active_space=MOLECULES[name]).num_qubits, **row}
            rows.append({k: str(v) for k, v in row.items()})
            write(rows)
            print(name, row, flush=True)

        for name in args.molecules.split(","):
            active = MOLECULES[name]
            for spec in ("hea:1", "hea:2", "hea:4"):
                if (name, f"hardware-efficient {spec}") not in done:
                    add(name, trained(name, active, spec, "hardware-efficient"))
            if (name, "UCCSD (exact amplitudes; Trotter CNOTs)") not in done:
                add(name, uccsd(name, active))
            for family in args.families.split(","):
                for seed in range(args.seeds):
                    if (name, f"searched ({family}, seed {seed})") not in done or args.budget is not None:
                        add(name, searched(name, active, family, seed, args.budget, args.runs))
    text = summary(read())
    SUMMARY.write_text("# Molecules: the default search against hardware-efficient and UCCSD ansätze "
                       "(`experiments/molecules.py`)\n\n" + text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
