"""``vqe``: the ground state of the user's Hamiltonian or molecule.

    qas search --task vqe --hamiltonian H.txt
    qas search --task vqe --molecule LiH --active-space 2,3 --mapping parity --hf
    qas.search(task=VQE(hamiltonian=cirq_pauli_sum))        # or an OpenFermion QubitOperator

A Hamiltonian comes as (:func:`read_hamiltonian`):

- text, one ``coefficient PAULIWORD`` per line (``-1.05 IIZZ``; one letter per qubit, qubit 0
  first; ``#`` starts a comment);
- OpenFermion's ``QubitOperator`` text, ``0.5 [X0 Z1] +`` per term (an empty ``[]`` is the identity);
- ``cirq.to_json`` of a ``cirq.PauliSum`` (qubit ``i`` is ``LineQubit(i)`` or the ``i``-th
  qubit in sorted order);
- in Python, a ``cirq.PauliSum``, an OpenFermion ``QubitOperator`` or ``((coefficient, word), ...)``.

The score is minus the energy error against the exact ground energy, ``-(E - E0)``, so 0 is
the ground state (higher is better); for a molecule it is in mHa, with a chemical-accuracy
flag (``|E - E0| <= 1.6 mHa``): a ratio ``E/E0`` means nothing for total molecular energies.
``E0`` is the lowest eigenvalue (dense up to 14 qubits, sparse Lanczos beyond), or for a
molecule PySCF's CASCI energy. With ``hf = true`` the search space starts every circuit in the
molecule's Hartree-Fock state.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qas.core.errors import QasError
from qas.core.readout import ground_energy, hamiltonian_digest
from qas.tasks.base import TASKS, Batch
from qas.tasks.chemistry import CHEMICAL_ACCURACY, Molecule, molecule, pauli_terms
from qas.tasks.hamiltonian import EnergyTask, Hamiltonian

#: what a vqe search maximises: minus the energy error, or chemical accuracy with the fewest CNOTs
OBJECTIVES = ("energy", "cnots")
#: the search-space families of a vqe task (see VQE.space)
FAMILIES = ("hardware-efficient", "givens")
#: above this many qubits the exact energy comes from sparse Lanczos, not a dense matrix
DENSE_MAX_QUBITS = 14
_WORD = re.compile(r"^[IXYZ]+$")
_OF_TERM = re.compile(r"\s*([^\[\]]*?)\s*\[([^\]]*)\]\s*\+?")


class HamiltonianError(QasError, ValueError):
    """A Hamiltonian that cannot be read; the message names the file, line and fix."""


def read_hamiltonian(source: Any, num_qubits: int | None = None) -> Hamiltonian:
    """A Pauli sum from a file path, text, a ``cirq.PauliSum``, an OpenFermion
    ``QubitOperator`` or ``((coefficient, word), ...)``; see the module docstring."""
    if isinstance(source, (str, Path)) and Path(str(source)).suffix and Path(str(source)).exists():
        path = Path(source)
        text = path.read_text()
        if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
            return _from_cirq_json(text, path, num_qubits)
        return _from_text(text, str(path), num_qubits)
    if isinstance(source, (str, Path)):
        text = str(source)
        if "\n" not in text and not re.search(r"\s", text.strip()):
            raise HamiltonianError(f"{text}: no such Hamiltonian file; give a path, or the Pauli sum as text")
        return _from_text(text, "the Hamiltonian text", num_qubits)
    if type(source).__name__ == "QubitOperator":
        return _checked(pauli_terms(source, num_qubits), "the QubitOperator", num_qubits)
    if type(source).__name__ in ("PauliSum", "PauliString"):
        return _from_pauli_sum(source, "the PauliSum", num_qubits)
    try:
        return _checked(tuple((float(c), str(w).upper()) for c, w in source), "the terms", num_qubits)
    except (TypeError, ValueError):
        raise HamiltonianError(f"cannot read a Hamiltonian from {type(source).__name__}; give a file, text, a "
                               "cirq.PauliSum, an OpenFermion QubitOperator or ((coefficient, word), ...)") from None


def _from_text(text: str, where: str, num_qubits: int | None) -> Hamiltonian:
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines()).strip()
    if not body:
        raise HamiltonianError(f"{where} is empty; write one 'coefficient PAULIWORD' per line, e.g. '-1.05 IIZZ'")
    if "[" in body:  # OpenFermion's QubitOperator text: 0.5 [X0 Z1] + ...
        terms: list[tuple[float, str]] = []
        pos = 0
        indexed: list[tuple[float, dict[int, str]]] = []
        for m in _OF_TERM.finditer(body):
            if body[pos:m.start()].strip():
                raise HamiltonianError(f"{where}: cannot read {body[pos:m.start()].strip()!r}; terms look like '0.5 [X0 Z1] +'")
            pos = m.end()
            coeff = _coefficient(m.group(1) or "1", where)
            ops: dict[int, str] = {}
            for item in m.group(2).split():
                letter, index = item[:1].upper(), item[1:]
                if letter not in "XYZ" or not index.isdigit():
                    raise HamiltonianError(f"{where}: {item!r} in [{m.group(2)}] is not a Pauli like X0, Y3 or Z12")
                ops[int(index)] = letter
            indexed.append((coeff, ops))
        if body[pos:].strip():
            raise HamiltonianError(f"{where}: cannot read {body[pos:].strip()!r}; terms look like '0.5 [X0 Z1] +'")
        n = num_qubits or 1 + max((q for _, ops in indexed for q in ops), default=0)
        for coeff, ops in indexed:
            if ops and max(ops) >= n:
                raise HamiltonianError(f"{where}: a term acts on qubit {max(ops)}, beyond num_qubits={n}")
            terms.append((coeff, "".join(ops.get(q, "I") for q in range(n))))
        return _checked(tuple(terms), where, num_qubits)
    terms = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not _WORD.match(parts[1].upper()):
            raise HamiltonianError(f"{where} line {lineno}: {line!r} is not 'coefficient PAULIWORD' (e.g. -1.05 IIZZ)")
        terms.append((_coefficient(parts[0], f"{where} line {lineno}"), parts[1].upper()))
    return _checked(tuple(terms), where, num_qubits)


def _coefficient(text: str, where: str) -> float:
    try:
        c = complex(text.strip().replace(" ", ""))
    except ValueError:
        raise HamiltonianError(f"{where}: {text.strip()!r} is not a number") from None
    if abs(c.imag) > 1e-12:
        raise HamiltonianError(f"{where}: coefficient {text.strip()} is complex; a Hermitian Pauli sum has real ones")
    return c.real


def _from_cirq_json(text: str, path: Path, num_qubits: int | None) -> Hamiltonian:
    import cirq

    try:
        obj = cirq.read_json(json_text=text)
    except Exception as exc:  # noqa: BLE001 - cirq raises many types for bad JSON
        raise HamiltonianError(f"{path}: not a cirq JSON file ({exc}); write it with cirq.to_json(pauli_sum)") from None
    if type(obj).__name__ not in ("PauliSum", "PauliString"):
        raise HamiltonianError(f"{path} holds a {type(obj).__name__}, not a cirq.PauliSum")
    return _from_pauli_sum(obj, str(path), num_qubits)


def _from_pauli_sum(ps: Any, where: str, num_qubits: int | None) -> Hamiltonian:
    import cirq

    ps = cirq.PauliSum.wrap(ps)
    qubits = sorted(ps.qubits)
    index = {q: (q.x if isinstance(q, cirq.LineQubit) and all(isinstance(p, cirq.LineQubit) for p in qubits) else i)
             for i, q in enumerate(qubits)}
    n = num_qubits or (1 + max(index.values(), default=0))
    terms = []
    for string in ps:
        word = ["I"] * n
        for q, pauli in string.items():
            if index[q] >= n:
                raise HamiltonianError(f"{where}: acts on qubit {q}, beyond num_qubits={n}")
            word[index[q]] = str(pauli)
        terms.append((_coefficient(str(string.coefficient), where), "".join(word)))
    return _checked(tuple(terms), where, num_qubits)


def _checked(terms: Hamiltonian, where: str, num_qubits: int | None) -> Hamiltonian:
    if not terms:
        raise HamiltonianError(f"{where} has no terms")
    n = num_qubits or len(terms[0][1])
    merged: dict[str, float] = {}
    for c, w in terms:
        if len(w) != n or not _WORD.match(w):
            raise HamiltonianError(f"{where}: Pauli word {w!r} must have {n} letters from IXYZ (one per qubit)")
        merged[w] = merged.get(w, 0.0) + float(c)
    return tuple((c, w) for w, c in merged.items())


class VQE(EnergyTask):
    """Minimise the energy of a Pauli-sum Hamiltonian or of a molecule's electronic Hamiltonian."""

    name = "vqe"

    def __init__(self, *, hamiltonian: Any = None, molecule: str | None = None, basis: str = "sto-3g",
                 active_space: Any = None, mapping: str = "jordan_wigner", charge: int | None = None,
                 multiplicity: int | None = None, hf: bool = False, num_qubits: int | None = None,
                 family: str = "hardware-efficient", objective: str = "energy", label: str | None = None) -> None:
        if (hamiltonian is None) == (molecule is None):
            raise QasError("vqe needs either --hamiltonian FILE or --molecule (a name like LiH, or a geometry)")
        self.molecule: Molecule | None = None
        self.source = None
        if molecule is not None:
            self.molecule = _molecule(molecule, basis, active_space, mapping, charge, multiplicity)
            terms, self.num_qubits = self.molecule.hamiltonian, self.molecule.num_qubits
            self.label = label or self.molecule.name
            self.score_name = "-error (mHa)"
        else:
            if isinstance(hamiltonian, (str, Path)) and Path(str(hamiltonian)).exists():
                self.source = str(Path(hamiltonian).resolve())
            terms = read_hamiltonian(hamiltonian, num_qubits)
            self.num_qubits = len(terms[0][1])
            self.label = label or (Path(self.source).stem if self.source else "hamiltonian")
            self.score_name = "-(E - E0)"
        if hf and (self.molecule is None or self.molecule.hf_state is None):
            raise QasError("hf = true needs a molecule mapped with jordan_wigner or parity (its Hartree-Fock state)")
        self.hf = bool(hf)
        if family not in FAMILIES:
            raise QasError(f"unknown space family {family!r}; choose one of: {', '.join(FAMILIES)}")
        if family == "givens" and (self.molecule is None or self.molecule.mapping != "jordan_wigner"):
            raise QasError("the givens family keeps the electron count of a molecule mapped with jordan_wigner; "
                           "use it with --molecule (and the default mapping)")
        self.family = family
        if objective not in OBJECTIVES:
            raise QasError(f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}")
        if objective == "cnots" and self.molecule is None:
            raise QasError("objective = cnots (chemical accuracy with the fewest CNOTs) is for molecules")
        self.objective = objective
        if self.hf:
            # start at (near) the Hartree-Fock state rather than a random point: parameters near 0
            # (hea:2 on LiH and BeH2 from HF: 1.05 / 3.05 mHa with init 0.1 and lr 0.05, against
            # 78 / 395 mHa with the default init in [-pi, pi] and lr 0.01; experiments/molecules.py)
            self.search_train = {"init_scale": 0.1}
            self.final_train = {"init_scale": 0.1, "lr": 0.05}
        self.variant = self.label
        self._set_hamiltonian(terms)
        self.init_options = {k: v for k, v in dict(
            molecule=molecule, basis=basis if molecule is not None else None, active_space=active_space,
            mapping=mapping if molecule is not None else None, charge=charge, multiplicity=multiplicity,
            hf=hf or None, family=None if family == "hardware-efficient" else family,
            objective=None if objective == "energy" else objective, label=label).items() if v is not None}

    @cached_property
    def exact_energy(self) -> float:
        if self.molecule is not None:
            return self.molecule.exact_energy
        if self.num_qubits <= DENSE_MAX_QUBITS:
            return ground_energy(self.hamiltonian, self.num_qubits)
        from scipy.sparse.linalg import eigsh

        return float(eigsh(_sparse(self.hamiltonian, self.num_qubits), k=1, which="SA")[0][0])

    @cached_property
    def space(self) -> Any:
        """The space of :attr:`family` on a line of qubits, from the Hartree-Fock state with ``hf``:
        hardware-efficient (RX, RY, RZ, CNOT, CZ between neighbours), or Givens rotations between
        neighbours (they keep the electron count: the search stays in the molecule's sector)."""
        from search_spaces import SearchSpace

        n = self.num_qubits
        state = self.molecule.hf_state if self.hf and self.molecule is not None else None
        line = tuple((q, q + 1) for q in range(n - 1))
        if self.family == "givens":
            # same-spin neighbours too (qubits q, q + 2 under Jordan-Wigner's interleaved spins);
            # Givens rotations alone are orbital rotations (a Slater determinant stays one), CZ
            # correlates: both keep the electron count
            pairs = line + tuple((q, q + 2) for q in range(n - 2))
            return SearchSpace(
                f"givens-{n}q" + ("-hf" if state else ""), n, ("GIVENS", "CZ"), min_gates=1, max_gates=6 * n,
                max_depth=3 * n, coupling=pairs, initial_state=state,
                description=f"Givens rotations and CZ between qubits at most 2 apart on a line of {n} "
                            "(electron count kept)" + (f", from the Hartree-Fock state |{state}>" if state else ""),
            )
        return SearchSpace(
            f"hea-{n}q" + ("-hf" if state else ""), n, ("RX", "RY", "RZ", "CNOT", "CZ"), min_gates=n,
            max_gates=min(8 * n, 64), max_depth=4 * n, coupling=tuple((q, q + 1) for q in range(n - 1)),
            initial_state=state,
            description=f"hardware-efficient: one-qubit rotations and CNOT/CZ between neighbours on a line of {n} qubits"
                        + (f", from the Hartree-Fock state |{state}>" if state else ""),
        )

    @property
    def default_space(self) -> Any:  # type: ignore[override]
        return self.space

    def config(self) -> dict[str, Any]:
        base = self.molecule.config() if self.molecule is not None else {"hamiltonian": self.source}
        return {**base, "terms": hamiltonian_digest(self.hamiltonian), "num_qubits": self.num_qubits, "hf": self.hf,
                **({} if self.family == "hardware-efficient" else {"family": self.family}),
                **({} if self.objective == "energy" else {"objective": self.objective})}

    def metrics(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        energy = float(np.mean(np.real(np.asarray(outputs, dtype=np.complex128))))
        e0 = self.exact_energy
        error = energy - e0
        m = {"energy": energy, "exact_energy": e0, "error": error}
        if self.molecule is not None:
            m.update(error_mha=1000.0 * error, chemical_accuracy=float(abs(error) <= CHEMICAL_ACCURACY),
                     hf_energy=self.molecule.hf_energy, score=-1000.0 * error)
        else:
            m["score"] = -error
        return m

    def with_circuit(self, dag: Any, metrics: dict[str, float]) -> dict[str, float]:
        """With ``objective = cnots``: a chemically accurate circuit scores ``1000 - CNOTs`` (any
        accurate circuit outranks every inaccurate one, and fewer CNOTs win), others minus their
        error in mHa."""
        if self.objective != "cnots":
            return metrics
        from qas.core.cost import circuit_cost

        cnots = circuit_cost(dag).two_qubit
        score = 1000.0 - cnots if metrics["chemical_accuracy"] else metrics["score"]
        return {**metrics, "two_qubit_gates": float(cnots), "score": score}

    def describe(self) -> list[str]:
        lines = [f"Hamiltonian: {len(self.hamiltonian)} Pauli terms on {self.num_qubits} qubits; exact ground energy "
                 f"{self.exact_energy:.10f}"]
        if self.molecule is not None:
            m = self.molecule
            lines = [f"molecule {m.name} ({m.geometry}), {m.basis}, charge {m.charge}, multiplicity {m.multiplicity}; "
                     f"active space {m.active_space[0]} electrons in {m.active_space[1]} orbitals; {m.mapping} mapping",
                     f"{len(self.hamiltonian)} Pauli terms on {self.num_qubits} qubits; exact (CASCI) energy "
                     f"{m.exact_energy:.8f} Ha, Hartree-Fock {m.hf_energy:.8f} Ha "
                     f"(correlation {1000 * (m.hf_energy - m.exact_energy):.3f} mHa)",
                     ("score: chemical accuracy with the fewest CNOTs (1000 - CNOTs when accurate, else minus the "
                      "error in mHa)" if self.objective == "cnots" else "score: minus the energy error in mHa")
                     + "; chemical accuracy is an error <= 1.6 mHa"
                     + ("; circuits start in the Hartree-Fock state |" + str(m.hf_state) + ">" if self.hf else "")]
        return lines

    def classical_baselines(self) -> dict[str, dict[str, float]]:
        """For a molecule: the Hartree-Fock state, and UCCSD with exactly optimised amplitudes
        (up to ``UCCSD_MAX_QUBITS`` qubits), scored like a circuit (minus the error in mHa)."""
        from qas.tasks.chemistry import UCCSD_MAX_QUBITS, uccsd_reference

        m = self.molecule
        if m is None or self.objective != "energy":
            return {}
        out = {"Hartree-Fock state (no circuit)": {"val_score": -1000.0 * (m.hf_energy - m.exact_energy)}}
        if m.mapping == "jordan_wigner" and self.num_qubits <= UCCSD_MAX_QUBITS:
            ref = uccsd_reference(m)
            out[f"UCCSD, exact amplitudes ({ref['cnots']:.0f} CNOTs as a Trotter circuit)"] = {"val_score": -ref["error_mha"]}
        return out

    def saved(self, folder: str | Path) -> tuple[str, dict[str, Any]]:
        if self.molecule is not None:
            return "vqe", dict(self.init_options)
        path = Path(folder) / "hamiltonian.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{c!r} {w}\n" for c, w in self.hamiltonian))
        return "vqe", {"hamiltonian": str(path), "label": self.label}


def _molecule(spec: str, basis: str, active: Any, mapping: str, charge: Any, mult: Any) -> Molecule:
    return molecule(spec, basis=basis, active_space=active, mapping=mapping, charge=charge, multiplicity=mult)


def _sparse(terms: Hamiltonian, n: int) -> Any:
    """The Pauli sum as a sparse matrix (big-endian: qubit 0 is the leftmost factor)."""
    import scipy.sparse as sp

    mats = {"I": sp.identity(2, format="csr", dtype=complex), "X": sp.csr_matrix([[0, 1], [1, 0]], dtype=complex),
            "Y": sp.csr_matrix([[0, -1j], [1j, 0]], dtype=complex), "Z": sp.csr_matrix([[1, 0], [0, -1]], dtype=complex)}
    out = sp.csr_matrix((2**n, 2**n), dtype=complex)
    for c, w in terms:
        term = mats[w[0]]
        for letter in w[1:]:
            term = sp.kron(term, mats[letter], format="csr")
        out = out + c * term
    return out


TASKS.add("vqe", VQE, aliases=("hamiltonian", "molecule"))
