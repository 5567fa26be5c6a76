"""The user's Hamiltonian or molecule: parsing against Cirq and OpenFermion, energies against PySCF."""

from __future__ import annotations

import cirq
import numpy as np
import pytest

import qas
from qas.core.readout import pauli_matrix
from qas.tasks import VQE, build_task, read_hamiltonian
from qas.tasks.vqe import HamiltonianError
from qas.tasks.vqe_h2 import FCI_ENERGY, H2_STO3G_0_7414

pytest.importorskip("pyscf")
openfermion = pytest.importorskip("openfermion")


def _matrix_of(terms):
    return pauli_matrix(terms, len(terms[0][1]))


def test_text_forms_agree_with_cirq(tmp_path):
    q = cirq.LineQubit.range(3)
    ps = -1.0 * cirq.Z(q[0]) * cirq.Z(q[1]) + 0.5 * cirq.X(q[2]) - 0.25 * cirq.Y(q[0]) * cirq.Y(q[2]) + 0.1
    words = tmp_path / "h.txt"
    words.write_text("# a comment\n-1.0 ZZI\n0.5 IIX\n-0.25 YIY\n0.1 III\n")
    of_text = tmp_path / "h_of.txt"
    of_text.write_text("-1.0 [Z0 Z1] +\n0.5 [X2] +\n-0.25 [Y0 Y2] +\n0.1 []\n")
    as_json = tmp_path / "h.json"
    as_json.write_text(cirq.to_json(ps))
    expected = ps.matrix(q)
    for source in (words, of_text, as_json, ps, openfermion.QubitOperator("Z0 Z1", -1.0) + openfermion.QubitOperator("X2", 0.5)
                   + openfermion.QubitOperator("Y0 Y2", -0.25) + openfermion.QubitOperator("", 0.1)):
        np.testing.assert_allclose(_matrix_of(read_hamiltonian(source)), expected, atol=1e-12)


@pytest.mark.parametrize("text, message", [
    ("-1.0 ZZQ\n", r"line 1: '-1.0 ZZQ' is not 'coefficient PAULIWORD'"),
    ("-1.0 ZZ\n0.5 XXX\n", r"Pauli word 'XXX' must have 2 letters"),
    ("abc ZZ\n", r"'abc' is not a number"),
    ("0.5j ZZ\n", r"complex"),
    ("0.5 [X0 Q1]", r"'Q1' in \[X0 Q1\] is not a Pauli"),
    ("   \n# only a comment\n", r"is empty"),
])
def test_bad_hamiltonian_files(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(HamiltonianError, match=message):
        read_hamiltonian(path)


def test_h2_molecule_reproduces_vqe_h2():
    task = build_task("vqe", molecule="H2")
    got = dict((w, c) for c, w in task.hamiltonian)
    ref = dict((w, c) for c, w in H2_STO3G_0_7414)
    assert set(got) == set(ref)
    assert max(abs(got[w] - ref[w]) for w in ref) < 1e-10
    assert task.exact_energy == pytest.approx(FCI_ENERGY, abs=1e-10)


@pytest.mark.parametrize("name, mapping", [("LiH", "jordan_wigner"), ("LiH", "parity"), ("BeH2", "jordan_wigner"),
                                           ("BeH2", "bravyi_kitaev")])
def test_molecule_energies_against_pyscf(name, mapping):
    """PySCF's CASCI energy is the lowest eigenvalue of the qubit Hamiltonian, and the
    Hartree-Fock state's energy is PySCF's RHF energy."""
    task = VQE(molecule=name, mapping=mapping)
    h = _matrix_of(task.hamiltonian)
    assert np.linalg.eigvalsh(h)[0] == pytest.approx(task.molecule.exact_energy, abs=1e-8)
    if task.molecule.hf_state is not None:
        i = int(task.molecule.hf_state, 2)
        assert h[i, i].real == pytest.approx(task.molecule.hf_energy, abs=1e-8)


def test_molecule_score_is_error_in_mha_with_chemical_accuracy():
    task = VQE(molecule="H2", hf=True)
    space = task.space
    assert space.initial_state == "1100"
    hf_only = space.build([])  # the Hartree-Fock state and nothing else: E = E_HF
    rec = qas.evaluate(hf_only, task)
    m = rec.metrics
    assert m["val_energy"] == pytest.approx(task.molecule.hf_energy, abs=1e-6)
    assert m["val_error_mha"] == pytest.approx(1000 * (task.molecule.hf_energy - task.molecule.exact_energy), abs=1e-3)
    assert m["val_score"] == pytest.approx(-m["val_error_mha"]) and m["val_chemical_accuracy"] == 0.0


def test_fewest_cnots_objective_ranks_accurate_circuits_by_cnots():
    from qas.core.cost import circuit_cost

    task = VQE(molecule="H2", hf=True, objective="cnots")
    short = task.space.build([])  # Hartree-Fock alone: 21 mHa off, no CNOT
    long = qas.build_ansatz("hea:1", task.space)
    r_short, r_long = (qas.evaluate(d, task, qas.TrainConfig(steps=200)) for d in (short, long))
    assert r_short.metrics["val_chemical_accuracy"] == 0.0 and r_short.score == pytest.approx(-r_short.metrics["val_error_mha"])
    assert r_long.metrics["val_chemical_accuracy"] == 1.0
    assert r_long.score == 1000 - circuit_cost(long).two_qubit == 1000 - r_long.metrics["val_two_qubit_gates"]
    assert r_long.score > r_short.score


def test_a_hamiltonian_task_saves_itself_and_searches(tmp_path):
    q = cirq.LineQubit.range(3)
    ps = -1.0 * cirq.Z(q[0]) * cirq.Z(q[1]) - 1.0 * cirq.Z(q[1]) * cirq.Z(q[2]) - 0.7 * (cirq.X(q[0]) + cirq.X(q[1]) + cirq.X(q[2]))
    task = VQE(hamiltonian=ps, label="tfim3")
    assert task.exact_energy == pytest.approx(np.linalg.eigvalsh(ps.matrix(q))[0], abs=1e-10)
    result = qas.search(task=task, budget=2, agent="random", run_dir=tmp_path / "run", progress=False,
                        final_candidates=1, final_train={"steps": 20})
    assert (tmp_path / "run" / "hamiltonian.txt").exists()
    assert result.scores["val_score"] <= 1e-9  # -(E - E0) is at most 0
    assert result.scores["val_exact_energy"] == pytest.approx(task.exact_energy)


def test_a_molecule_is_the_same_task_when_built_again_and_its_run_resumes(tmp_path):
    """PySCF's integrals differ between builds at ~1e-14: the task's identity must not, or a
    molecule run could not resume ("searched another version of task")."""
    a, b = VQE(molecule="LiH"), VQE(molecule="LiH")  # (H2 happens to come out bit for bit)
    assert a.fingerprint == b.fingerprint
    options = dict(agent="random", run_dir=tmp_path / "run", progress=False, final=False, train={"steps": 10})
    first = qas.search(task=a, budget=2, **options)
    again = qas.search(task=b, budget=3, **options)
    assert (first.evaluated, again.evaluated) == (2, 3)
