"""Molecules as qubit Hamiltonians: PySCF for the integrals, OpenFermion for the mapping.

    mol = molecule("LiH")                                     # a named molecule, standard geometry
    mol = molecule("Li 0 0 0; H 0 0 1.6", basis="sto-3g", active_space=(2, 3), mapping="parity")
    mol.hamiltonian, mol.num_qubits, mol.exact_energy, mol.hf_state

The pipeline is the one ``vqe-h2``'s numbers came from: restricted (open-shell) Hartree-Fock
in PySCF, a CASCI active space (``ELECTRONS, ORBITALS``; the other occupied orbitals frozen
into the core energy), the active integrals as OpenFermion's ``InteractionOperator`` (spin
orbitals interleaved: qubit ``2p`` is orbital ``p`` spin up, ``2p + 1`` spin down), and a
fermion-to-qubit mapping. The exact energy is PySCF's CASCI energy in the active space: the
ground state with the molecule's electron count, which the qubit Hamiltonian's lowest
eigenvalue equals when no other electron count lies lower (a test checks both).

PySCF and OpenFermion are an optional extra: ``pip install 'qas[chem]'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qas.core.errors import QasError

#: chemical accuracy, 1 kcal/mol ~ 1.6 mHa
CHEMICAL_ACCURACY = 1.6e-3
MAPPINGS = ("jordan_wigner", "parity", "bravyi_kitaev")

#: named molecules: geometry (Å, at equilibrium), charge, multiplicity and a default active
#: space (electrons, orbitals) sized for 4-12 qubits; basis STO-3G unless asked otherwise
NAMED: dict[str, tuple[str, int, int, tuple[int, int] | None]] = {
    "H2": ("H 0 0 0; H 0 0 0.7414", 0, 1, None),
    "LiH": ("Li 0 0 0; H 0 0 1.5949", 0, 1, (2, 2)),
    "BeH2": ("Be 0 0 0; H 0 0 1.3264; H 0 0 -1.3264", 0, 1, (4, 3)),
    "H2O": ("O 0 0 0.1173; H 0 0.7572 -0.4692; H 0 -0.7572 -0.4692", 0, 1, (4, 4)),
    "N2": ("N 0 0 0; N 0 0 1.0977", 0, 1, (6, 6)),
}


class ChemistryError(QasError, ValueError):
    """A molecule that cannot be built as asked (geometry, basis, active space, mapping)."""


@dataclass(frozen=True)
class Molecule:
    """A molecule's qubit Hamiltonian and the reference energies to judge a circuit by."""

    name: str
    geometry: str
    basis: str
    charge: int
    multiplicity: int
    active_space: tuple[int, int]     # (electrons, spatial orbitals)
    mapping: str
    hamiltonian: tuple[tuple[float, str], ...]
    exact_energy: float               # CASCI in the active space (= FCI when it is everything)
    hf_energy: float
    hf_state: str | None              # the Hartree-Fock basis state ("1100..."), or None for Bravyi-Kitaev

    @property
    def num_qubits(self) -> int:
        return 2 * self.active_space[1]

    def config(self) -> dict[str, Any]:
        return {"molecule": self.name, "geometry": self.geometry, "basis": self.basis, "charge": self.charge,
                "multiplicity": self.multiplicity, "active_space": list(self.active_space), "mapping": self.mapping}

    @property
    def digest(self) -> str:
        from qas.core.readout import hamiltonian_digest

        return hamiltonian_digest(self.hamiltonian)


def _imports() -> tuple[Any, Any]:
    try:
        import openfermion
        import pyscf
    except ImportError:
        raise ChemistryError("molecules need PySCF and OpenFermion: pip install 'qas[chem]'") from None
    return pyscf, openfermion


def molecule(spec: str, *, basis: str = "sto-3g", active_space: tuple[int, int] | str | None = None,
             mapping: str = "jordan_wigner", charge: int | None = None, multiplicity: int | None = None) -> Molecule:
    """Build a molecule: a name of :data:`NAMED` or a PySCF geometry (``"Li 0 0 0; H 0 0 1.6"``, Å)."""
    pyscf, of = _imports()
    from pyscf import ao2mo, gto, mcscf, scf

    name = next((k for k in NAMED if k.lower() == str(spec).strip().lower()), None)
    if name is not None:
        geometry, charge0, mult0, active0 = NAMED[name]
    else:
        geometry, charge0, mult0, active0 = str(spec), 0, 1, None
        name = "".join(part.split()[0] for part in geometry.split(";") if part.strip()) or "molecule"
    charge = charge0 if charge is None else int(charge)
    multiplicity = mult0 if multiplicity is None else int(multiplicity)
    mapping = str(mapping).lower().replace("-", "_")
    if mapping not in MAPPINGS:
        raise ChemistryError(f"unknown mapping {mapping!r}; choose one of: {', '.join(MAPPINGS)}")
    try:
        mol = gto.M(atom=geometry, basis=basis, charge=charge, spin=multiplicity - 1, unit="Angstrom", verbose=0)
    except Exception as exc:  # noqa: BLE001 - PySCF raises many types for a bad geometry or basis
        raise ChemistryError(f"PySCF cannot build molecule {spec!r} in basis {basis!r}: {exc}") from None
    if isinstance(active_space, str):
        try:
            active_space = tuple(int(v) for v in active_space.split(","))  # type: ignore[assignment]
        except ValueError:
            raise ChemistryError(f"active space must be ELECTRONS,ORBITALS, got {active_space!r}") from None
    electrons, orbitals = active_space or active0 or (mol.nelectron, mol.nao)
    if electrons > mol.nelectron or (mol.nelectron - electrons) % 2 or orbitals > mol.nao or electrons > 2 * orbitals:
        raise ChemistryError(f"active space ({electrons} electrons, {orbitals} orbitals) does not fit {name}: "
                             f"{mol.nelectron} electrons in {mol.nao} orbitals")
    mf = (scf.RHF(mol) if multiplicity == 1 else scf.ROHF(mol)).run()
    if not mf.converged:
        raise ChemistryError(f"Hartree-Fock of {name} did not converge; check the geometry")
    cas = mcscf.CASCI(mf, orbitals, electrons)
    h1, core = cas.get_h1eff()
    h2 = ao2mo.restore(1, cas.get_h2eff(), orbitals)
    exact = float(cas.kernel()[0])
    # chemists' (pq|rs) -> OpenFermion's order, as openfermionpyscf does; then spin orbitals
    one, two = of.chem.molecular_data.spinorb_from_spatial(h1, h2.transpose(0, 2, 3, 1))
    op = of.InteractionOperator(float(core), one, 0.5 * two)
    n = 2 * orbitals
    if mapping == "jordan_wigner":
        qubit_op = of.jordan_wigner(op)
    elif mapping == "bravyi_kitaev":
        qubit_op = of.bravyi_kitaev(of.get_fermion_operator(op), n_qubits=n)
    else:
        qubit_op = of.binary_code_transform(of.get_fermion_operator(op), of.parity_code(n))
    terms = pauli_terms(qubit_op, n)
    na, nb = (electrons + multiplicity - 1) // 2, (electrons - multiplicity + 1) // 2
    occupied = [1 if (q % 2 == 0 and q // 2 < na) or (q % 2 == 1 and q // 2 < nb) else 0 for q in range(n)]
    hf_state = {"jordan_wigner": "".join(map(str, occupied)),
                "parity": "".join(str(sum(occupied[: q + 1]) % 2) for q in range(n)),
                "bravyi_kitaev": None}[mapping]
    return Molecule(name, geometry, basis, charge, multiplicity, (electrons, orbitals), mapping, terms, exact,
                    float(mf.e_tot), hf_state)


def pauli_terms(qubit_operator: Any, num_qubits: int | None = None) -> tuple[tuple[float, str], ...]:
    """An OpenFermion ``QubitOperator`` as ``((coefficient, word), ...)`` (qubit 0 first), real
    coefficients, like terms merged and zeros dropped, in a stable order."""
    n = num_qubits if num_qubits is not None else 1 + max((q for term in qubit_operator.terms for q, _ in term), default=0)
    out: dict[str, float] = {}
    for term, coeff in qubit_operator.terms.items():
        c = complex(coeff)
        if abs(c.imag) > 1e-9:
            raise ChemistryError(f"the Hamiltonian has a complex coefficient {c} on {term}; it must be Hermitian")
        word = ["I"] * n
        for q, letter in term:
            if q >= n:
                raise ChemistryError(f"term {term} acts on qubit {q} of a {n}-qubit Hamiltonian")
            word[q] = letter
        key = "".join(word)
        out[key] = out.get(key, 0.0) + c.real
    return tuple((c, w) for w, c in sorted(out.items(), key=lambda kv: (kv[0].count("I") != len(kv[0]), kv[0])) if abs(c) > 1e-14)


#: above this many qubits the UCCSD reference is not computed (its exact optimisation grows fast)
UCCSD_MAX_QUBITS = 10


def uccsd_reference(mol: Molecule) -> dict[str, float]:
    """Singlet UCCSD on the Hartree-Fock state with exactly optimised amplitudes (BFGS on the
    statevector, ``exp(T - T^dagger)`` by ``expm_multiply``): its energy error in mHa, its
    amplitudes, and the CNOTs of its first-order Trotter circuit (``2 (w - 1)`` per Pauli string
    of weight ``w``) — the chemist's reference circuit. Jordan-Wigner molecules only."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.sparse.linalg import expm_multiply

    _, of = _imports()
    if mol.mapping != "jordan_wigner" or mol.hf_state is None:
        raise ChemistryError("the UCCSD reference is built for the jordan_wigner mapping")
    n, electrons = mol.num_qubits, mol.active_space[0]
    h = sum(c * of.get_sparse_operator(of.QubitOperator(" ".join(f"{p}{q}" for q, p in enumerate(w) if p != "I")), n)
            for c, w in mol.hamiltonian)
    hf = np.zeros(2**n, dtype=complex)
    hf[int(mol.hf_state, 2)] = 1.0  # OpenFermion's order is ours: qubit 0 is the leading bit
    size = of.uccsd_singlet_paramsize(n, electrons)
    # the generator is linear in the amplitudes: one sparse matrix per amplitude
    pieces = [of.get_sparse_operator(of.jordan_wigner(of.uccsd_singlet_generator(np.eye(size)[k], n, electrons)), n)
              for k in range(size)]

    def energy(amps: np.ndarray) -> float:
        psi = expm_multiply(sum(a * g for a, g in zip(amps, pieces)), hf)
        return float(np.real(np.vdot(psi, h @ psi)))

    res = minimize(energy, np.zeros(size), method="BFGS", options={"gtol": 1e-8})
    generator = of.jordan_wigner(of.uccsd_singlet_generator(np.ones(size), n, electrons))
    return {"error_mha": 1000.0 * (res.fun - mol.exact_energy), "amplitudes": float(size),
            "cnots": float(sum(2 * (len(term) - 1) for term in generator.terms if term))}
