"""``SearchSpace``: which circuits may exist.

A space fixes the qubit count, the gate alphabet, bounds on the number of gates and on the
depth of the searchable part (the *ansatz*), an optional coupling map for two-qubit gates,
and, for classification spaces, a fixed data-encoding layer placed before the ansatz.

With ``reuploads = R > 1`` the circuit is ``R`` copies of (encoding, cell): the data are
re-uploaded (Pérez-Salinas et al. 2020) and the searched object is the *cell*, as in
cell-based NAS (NASNet, DARTS). Each copy has its own trainable parameters. One encoding
pass caps what a 4-qubit ``<Z>`` classifier can express (its output is multilinear in four
Bloch vectors); re-uploading raises the Fourier degree in the features.
Specs are plain frozen values; user specs load from TOML (:func:`load_space`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Iterable, Sequence

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import CircuitError, SpaceError, UnknownNameError
from qas.core.gates import GATES, GateKind


@dataclass(frozen=True)
class AngleEncoding:
    """Features as rotation angles, layer by layer: layer ``l`` applies ``rotations[l]`` to
    qubits 0..n-1 with the next ``n`` features, until ``num_features`` are placed.

    With 4 qubits, 16 features and ``("RY", "RZ", "RX", "RY")`` this is QuantumNAS's
    ``4x4_ryzxy`` encoder.
    """

    num_features: int
    rotations: tuple[str, ...] = ("RY", "RZ", "RX", "RY")
    weighted: bool = False  # trainable input scaling: each angle is w * x + b (see qas.core.circuit)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rotations", tuple(GATES.get(r).name for r in self.rotations))
        for r in self.rotations:
            if GATES.get(r).num_qubits != 1 or GATES.get(r).num_angles != 1:
                raise SpaceError(f"encoding rotation {r} must be a one-qubit, one-angle gate")
        if self.num_features < 1:
            raise SpaceError("an encoding needs at least one feature")

    def gates(self, num_qubits: int) -> tuple[Gate, ...]:
        layers = -(-self.num_features // num_qubits)
        if layers > len(self.rotations):
            raise SpaceError(
                f"{self.num_features} features on {num_qubits} qubits need {layers} rotation "
                f"layers, but only {len(self.rotations)} rotations are given"
            )
        return tuple(
            Gate(self.rotations[f // num_qubits], (f % num_qubits,), "feature", feature=f, weighted=self.weighted)
            for f in range(self.num_features)
        )


@dataclass(frozen=True)
class SearchSpace:
    """A space of circuits. ``min_gates``/``max_gates``/``max_depth`` bound the ansatz (the cell)."""

    name: str
    num_qubits: int
    gates: tuple[str, ...]
    min_gates: int
    max_gates: int
    max_depth: int | None = None
    coupling: tuple[tuple[int, int], ...] | None = None
    encoding: AngleEncoding | None = None
    description: str = field(default="", compare=False)
    reuploads: int = 1
    #: a basis state prepared before everything (X on each ``1``, qubit 0 first), e.g. the
    #: Hartree-Fock state ``"1100"`` of a molecule; ``None``: circuits start in ``|0...0>``
    initial_state: str | None = None

    def __post_init__(self) -> None:
        try:
            kinds = tuple(GATES.get(g).name for g in self.gates)
        except UnknownNameError as exc:
            raise SpaceError(f"space {self.name!r}: {exc}") from None
        object.__setattr__(self, "gates", kinds)
        if not kinds:
            raise SpaceError(f"space {self.name!r}: the gate alphabet is empty")
        if self.num_qubits < 1:
            raise SpaceError(f"space {self.name!r}: num_qubits must be >= 1")
        if not 0 <= self.min_gates <= self.max_gates:
            raise SpaceError(f"space {self.name!r}: need 0 <= min_gates <= max_gates")
        if self.max_depth is not None and self.max_depth < 1:
            raise SpaceError(f"space {self.name!r}: max_depth must be >= 1")
        if self.max_depth is not None and self.min_gates > self.max_depth * self.num_qubits:
            raise SpaceError(f"space {self.name!r}: {self.min_gates} gates cannot fit in depth {self.max_depth}")
        if self.coupling is not None:
            pairs = tuple(sorted({tuple(sorted((int(a), int(b)))) for a, b in self.coupling}))
            for a, b in pairs:
                if a == b or not (0 <= a < self.num_qubits and 0 <= b < self.num_qubits):
                    raise SpaceError(f"space {self.name!r}: bad coupling pair ({a}, {b})")
            object.__setattr__(self, "coupling", pairs)
        if self.num_qubits < 2 and any(GATES.get(k).num_qubits == 2 for k in kinds):
            raise SpaceError(f"space {self.name!r}: two-qubit gates need at least 2 qubits")
        if self.encoding is not None:
            self.encoding.gates(self.num_qubits)  # raises if it does not fit
        if self.initial_state is not None:
            bits = str(self.initial_state)
            if len(bits) != self.num_qubits or set(bits) - {"0", "1"}:
                raise SpaceError(f"space {self.name!r}: initial_state must be {self.num_qubits} bits of 0 and 1, "
                                 f"got {self.initial_state!r}")
        if isinstance(self.reuploads, bool) or not isinstance(self.reuploads, int) or self.reuploads < 1:
            raise SpaceError(f"space {self.name!r}: reuploads must be an integer >= 1, got {self.reuploads!r}")
        if self.reuploads > 1:
            if self.encoding is None:
                raise SpaceError(f"space {self.name!r}: reuploads > 1 needs an encoding to re-upload")
            if self.encoding.num_features < self.num_qubits:
                raise SpaceError(
                    f"space {self.name!r}: reuploads > 1 needs an encoding that touches every qubit "
                    f"({self.encoding.num_features} features on {self.num_qubits} qubits)"
                )
            if self.min_gates < 1:
                raise SpaceError(f"space {self.name!r}: reuploads > 1 needs min_gates >= 1")

    # -- structure ---------------------------------------------------------------------------
    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """Allowed qubit pairs for two-qubit gates, both directions (computed once: a space is frozen)."""
        base = self.coupling
        if base is None:
            base = tuple((a, b) for a in range(self.num_qubits) for b in range(a + 1, self.num_qubits))
        return tuple(p for a, b in base for p in ((a, b), (b, a)))

    def off_coupling(self, gates: Iterable[Gate]) -> list[Gate]:
        """The two-qubit gates of ``gates`` on a pair outside the coupling map."""
        allowed = set(self.pairs)
        return [g for g in gates if len(g.qubits) == 2 and g.qubits not in allowed]

    def encoding_gates(self) -> tuple[Gate, ...]:
        return self._encoding_gates

    @cached_property
    def _encoding_gates(self) -> tuple[Gate, ...]:
        return self.encoding.gates(self.num_qubits) if self.encoding else ()

    @cached_property
    def alphabet(self) -> tuple[GateKind, ...]:
        """The registered kinds of :attr:`gates`, in order."""
        return tuple(GATES.get(g) for g in self.gates)

    def initial_gates(self) -> tuple[Gate, ...]:
        """The X gates that prepare :attr:`initial_state` (none without one)."""
        return tuple(Gate("X", (q,)) for q, b in enumerate(self.initial_state or "") if b == "1")

    def _without_initial(self, gates: Iterable[Gate]) -> list[Gate]:
        """``gates`` less the initial-state X gates: the first gate on each prepared wire."""
        todo = {g.qubits[0] for g in self.initial_gates()}
        out = []
        for g in gates:
            if g.kind == "X" and g.qubits[0] in todo:
                todo.discard(g.qubits[0])
                continue
            todo.difference_update(g.qubits)
            out.append(g)
        return out

    @property
    def num_features(self) -> int:
        return self.encoding.num_features if self.encoding else 0

    def ansatz(self, dag: CircuitDAG) -> tuple[Gate, ...]:
        """The searchable gates of ``dag`` (everything but the encoding), in canonical order.

        With re-uploading, the first cell: the gates whose wires have passed exactly one
        encoding copy. (Every copy touches every qubit, so a cell gate sits between the same
        two copies on all its wires.)
        """
        gates = self._without_initial(dag.gates) if self.initial_state else dag.gates
        if self.reuploads == 1:
            return tuple(g for g in gates if g.role != "feature")
        per_qubit = [0] * self.num_qubits
        for g in self.encoding_gates():
            per_qubit[g.qubits[0]] += 1
        seen = [0] * dag.num_qubits
        cell = []
        for g in gates:
            if g.role == "feature":
                seen[g.qubits[0]] += 1
            elif all(seen[q] <= per_qubit[q] for q in g.qubits if q < len(per_qubit)):
                cell.append(g)
        return tuple(cell)

    def build(self, ansatz: Iterable[Gate]) -> CircuitDAG:
        """The circuit made of this space's encoding followed by ``ansatz`` (``reuploads`` times)."""
        block = self.encoding_gates() + tuple(ansatz)
        return CircuitDAG(self.num_qubits, self.initial_gates() + block * self.reuploads)

    @property
    def lifts_cells(self) -> bool:
        """Whether circuits are built from cells of another space: stacked (re-uploading) or
        with a weighted encoding."""
        return self.reuploads > 1 or (self.encoding is not None and self.encoding.weighted)

    @property
    def cell_space(self) -> "SearchSpace":
        """The space of one (encoding, cell) block: where cells are sampled and embedded.

        Its encoding is unweighted: trainable input scaling changes how a circuit is trained,
        not its structure, so weighted spaces share the embeddings of their plain cells.
        """
        if not self.lifts_cells:
            return self
        return replace(self, reuploads=1, encoding=replace(self.encoding, weighted=False) if self.encoding else None)

    def lift(self, dag: CircuitDAG) -> CircuitDAG:
        """A circuit of :attr:`cell_space` as the circuit of this space with that cell."""
        return self.build(self.cell_space.ansatz(dag)) if self.lifts_cells else dag

    def lower(self, dag: CircuitDAG) -> CircuitDAG:
        """The inverse of :meth:`lift`: this space's circuit as its one-block cell circuit."""
        return self.cell_space.build(self.ansatz(dag)) if self.lifts_cells else dag

    def problems(self, dag: CircuitDAG) -> list[str]:
        """Why ``dag`` is not in this space (empty list if it is)."""
        out = []
        if dag.num_qubits != self.num_qubits:
            return [f"circuit has {dag.num_qubits} qubits, space {self.name!r} has {self.num_qubits}"]
        ansatz = self.ansatz(dag)
        try:
            if self.build(ansatz) != dag:
                out.append("the data-encoding layer differs from the space's")
        except CircuitError as exc:  # pragma: no cover - ansatz gates were valid in dag
            out.append(str(exc))
        return out + self.ansatz_problems(ansatz)

    def ansatz_problems(self, ansatz: Sequence[Gate]) -> list[str]:
        """Why ``self.build(ansatz)`` would not be in this space: gate count, alphabet, coupling
        and depth (the encoding layer is the space's own by construction)."""
        out = []
        if not self.min_gates <= len(ansatz) <= self.max_gates:
            out.append(f"{len(ansatz)} gates, space allows {self.min_gates}..{self.max_gates}")
        alphabet = set(self.gates)
        off = set(self.off_coupling(ansatz))
        for g in ansatz:
            if g.kind not in alphabet:
                out.append(f"gate {g.kind} is not in the space's alphabet")
            if g in off:
                out.append(f"{g.kind} on {g.qubits} is not in the coupling map")
        depth = ansatz_depth(self.num_qubits, ansatz)
        if self.max_depth is not None and depth > self.max_depth:
            out.append(f"depth {depth} exceeds max_depth {self.max_depth}")
        return out

    def contains(self, dag: CircuitDAG) -> bool:
        return not self.problems(dag)

    # -- identity ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["gates"] = list(self.gates)
        d["coupling"] = None if self.coupling is None else [list(p) for p in self.coupling]
        if self.encoding is not None:
            d["encoding"] = {"num_features": self.encoding.num_features, "rotations": list(self.encoding.rotations)}
            if self.encoding.weighted:  # omitted when false: older fingerprints stay valid
                d["encoding"]["weighted"] = True
        if self.reuploads == 1:
            del d["reuploads"]  # fingerprints of spaces without re-uploading predate the field
        if self.initial_state is None:
            del d["initial_state"]  # likewise
        return d

    @property
    def fingerprint(self) -> str:
        """A hash of everything that decides which circuits exist (not the name)."""
        d = self.to_dict()
        d.pop("name")
        d.pop("description")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def ansatz_depth(num_qubits: int, gates: Iterable[Gate]) -> int:
    front = [0] * num_qubits
    for g in gates:
        layer = 1 + max(front[q] for q in g.qubits)
        for q in g.qubits:
            front[q] = layer
    return max(front, default=0)


_FIELDS = {f.name for f in fields(SearchSpace)}


def space_from_dict(d: dict[str, Any], *, name: str = "custom") -> SearchSpace:
    """Build a space from a TOML-style table, with clear errors for unknown or missing keys."""
    if not isinstance(d, dict):
        raise SpaceError("a space spec must be a table")
    d = dict(d.get("space", d))
    unknown = set(d) - _FIELDS - {"num_gates"}
    if unknown:
        raise SpaceError(f"unknown space key(s) {sorted(unknown)}; valid keys: {sorted(_FIELDS | {'num_gates'})}")
    d.setdefault("name", name)
    if "num_gates" in d:
        n = d.pop("num_gates")
        d.setdefault("min_gates", n)
        d.setdefault("max_gates", n)
    missing = {"num_qubits", "gates", "min_gates", "max_gates"} - set(d)
    if missing:
        raise SpaceError(f"space spec is missing {sorted(missing)} (num_gates sets both bounds)")
    enc = d.get("encoding")
    try:
        if enc is not None:
            if not isinstance(enc, dict):
                raise SpaceError("encoding must be a table with num_features and rotations")
            unknown_enc = set(enc) - {"num_features", "rotations", "weighted"}
            if unknown_enc:
                raise SpaceError(f"unknown encoding key(s) {sorted(unknown_enc)}; valid: num_features, rotations, weighted")
            if not isinstance(enc.get("weighted", False), bool):
                raise SpaceError(f"encoding.weighted must be true or false, got {enc['weighted']!r}")
            d["encoding"] = AngleEncoding(int(enc["num_features"]), tuple(enc.get("rotations", ("RY", "RZ", "RX", "RY"))),
                                          enc.get("weighted", False))
        if d.get("coupling") is not None:
            d["coupling"] = tuple(tuple(p) for p in d["coupling"])
        d["gates"] = tuple(d["gates"])
        for k in ("num_qubits", "min_gates", "max_gates", "reuploads"):
            if k not in d:
                continue
            if isinstance(d[k], bool) or not isinstance(d[k], int):
                raise SpaceError(f"{k} must be an integer, got {d[k]!r}")
        return SearchSpace(**d)
    except (TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, SpaceError):
            raise
        raise SpaceError(f"bad space spec: {exc}") from None
