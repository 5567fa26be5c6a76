"""Molecules: the default ``qas search`` against the hardware-efficient and UCCSD ansätze of
the same qubit count.

For LiH (2 electrons in 3 orbitals: 6 qubits), BeH2 (4 in 3: 6 qubits) and H2O (4 in 4:
8 qubits), STO-3G at equilibrium, Jordan-Wigner, every circuit starting in the Hartree-Fock
state:

- **searched**: ``qas.search(task=VQE(molecule=M, hf=True), family=F)`` with the default
  agent and budget, seeds 0..S-1; the chosen circuit's error after the final round;
- **hardware-efficient**: ``hea:L`` (RY, RZ on every qubit, a CNOT ring; L = 1, 2, 4),
  trained with the final round's training;
- **UCCSD**: ``qas.tasks.uccsd_reference``, OpenFermion's singlet UCCSD with exactly optimised
  amplitudes; its CNOT count is that of the first-order Trotter circuit.

Errors are against PySCF's CASCI energy, in mHa (chemical accuracy: 1.6); CNOTs and depth
are counted after Cirq compiles the circuit to CZ and one-qubit gates (``qas.core.cost``).

    python experiments/molecules.py                   # all three, 3 seeds (resumable)
    python experiments/molecules.py --molecules LiH --seeds 1 --budget 20

Results: ``experiments/results/molecules.csv`` and ``molecules_summary.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from common import RESULTS, read_rows, write_rows

ROWS = RESULTS / "molecules.csv"
SUMMARY = RESULTS / "molecules_summary.md"
MOLECULES = {"LiH": "2,3", "BeH2": "4,3", "H2O": "4,4"}
UCCSD = "UCCSD (exact amplitudes; Trotter CNOTs)"


def uccsd(name: str, active: str) -> dict[str, Any]:
    import qas

    ref = qas.tasks.uccsd_reference(qas.tasks.VQE(molecule=name, active_space=active).molecule)
    return {"method": UCCSD, "error_mha": ref["error_mha"], "cnots": int(ref["cnots"]), "depth": "",
            "params": int(ref["amplitudes"])}


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
    rows = read_rows(ROWS)
    if not args.summary_only:
        done = {(r["molecule"], r["method"]) for r in rows}

        def add(name: str, row: dict[str, Any]) -> None:
            import qas

            if args.budget is not None:  # a quick look: printed, not recorded
                print(name, row, flush=True)
                return
            row = {"molecule": name, "qubits": qas.tasks.VQE(molecule=name, active_space=MOLECULES[name]).num_qubits, **row}
            rows.append({k: str(v) for k, v in row.items()})
            write_rows(ROWS, rows)
            print(name, row, flush=True)

        for name in args.molecules.split(","):
            active = MOLECULES[name]
            for spec in ("hea:1", "hea:2", "hea:4"):
                if (name, f"hardware-efficient {spec}") not in done:
                    add(name, trained(name, active, spec, "hardware-efficient"))
            if (name, UCCSD) not in done:
                add(name, uccsd(name, active))
            for family in args.families.split(","):
                for seed in range(args.seeds):
                    if (name, f"searched ({family}, seed {seed})") not in done or args.budget is not None:
                        add(name, searched(name, active, family, seed, args.budget, args.runs))
    text = summary(read_rows(ROWS))
    SUMMARY.write_text("# Molecules: the default search against hardware-efficient and UCCSD ansätze "
                       "(`experiments/molecules.py`)\n\n" + text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
