"""``CircuitDAG``: the one circuit type every stage of qas passes around.

A circuit is a DAG: gates are nodes and each qubit wire orders the gates that touch it.
Two gate lists that differ only in the order of gates on disjoint qubits are the same DAG,
so ``CircuitDAG`` stores its gates in a *canonical* topological order (at each step the
smallest ready gate first). Equality, ``hash()`` and the stable content hash :attr:`key`
are therefore DAG equality: reorder commuting gates on disjoint qubits and nothing changes;
change a kind, a qubit or control/target and the key changes.

Parameter roles
    ``"none"``       a gate without angles (X, CNOT, ...);
    ``"fixed"``      angles stored in the gate (``angles``);
    ``"trainable"``  free parameters, numbered in canonical gate order: gate by gate, each
                     takes the next ``num_angles`` entries of the parameter vector;
    ``"feature"``    a one-angle gate driven by input feature ``feature`` (data encoding).
                     With ``weighted=True`` its angle is ``w * x + b``, ``w`` and ``b`` being
                     the gate's two entries of the parameter vector (trainable input scaling,
                     as in data re-uploading classifiers; ``w`` starts at 1 and ``b`` at 0).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable, Sequence

from qas.core.errors import CircuitError, CircuitFormatError, UnknownNameError, check_version
from qas.core.gates import GATES, GateKind

ROLES = ("none", "fixed", "trainable", "feature")
SCHEMA = "qas.circuit"
SCHEMA_VERSION = 1

# Node indices used by :meth:`CircuitDAG.wire_edges`: START is 0, gate i is i + 1, END is n + 1.
START = 0


@dataclass(frozen=True)
class Gate:
    """One gate: its kind, its qubits (control first) and where its angles come from."""

    kind: str
    qubits: tuple[int, ...]
    role: str = "none"
    angles: tuple[float, ...] = ()
    feature: int | None = None
    weighted: bool = False

    def __post_init__(self) -> None:
        try:
            spec = GATES.get(self.kind)
        except UnknownNameError as exc:
            raise CircuitError(str(exc)) from None
        object.__setattr__(self, "kind", spec.name)
        try:
            qubits = tuple(int(q) for q in self.qubits)
        except (TypeError, ValueError):
            raise CircuitError(f"{spec.name}: qubits must be integers, got {self.qubits!r}") from None
        if len(qubits) != spec.num_qubits:
            raise CircuitError(
                f"{spec.name} acts on {spec.num_qubits} qubit(s), got {len(qubits)}: {qubits}"
            )
        if len(set(qubits)) != len(qubits):
            raise CircuitError(f"{spec.name} uses qubit {qubits[0]} twice: {qubits}")
        if any(q < 0 for q in qubits):
            raise CircuitError(f"{spec.name}: negative qubit index in {qubits}")
        if spec.symmetric:
            qubits = tuple(sorted(qubits))
        object.__setattr__(self, "qubits", qubits)
        self._check_role(spec)

    @classmethod
    def drawn(cls, spec: GateKind, qubits: tuple[int, ...]) -> "Gate":
        """A gate of the registered kind ``spec`` on distinct in-range ``qubits`` (ints), role
        ``trainable`` if it takes angles: what a sampler draws, built without re-validating
        what the registry and the space already guarantee (sampling a pool builds ~10^6)."""
        gate = object.__new__(cls)
        put = object.__setattr__
        put(gate, "kind", spec.name)
        put(gate, "qubits", tuple(sorted(qubits)) if spec.symmetric else qubits)
        put(gate, "role", "trainable" if spec.parameterized else "none")
        put(gate, "angles", ())
        put(gate, "feature", None)
        put(gate, "weighted", False)
        return gate

    def _check_role(self, spec: GateKind) -> None:
        role = self.role
        if role not in ROLES:
            raise CircuitError(f"{spec.name}: unknown parameter role {role!r}; choose one of {ROLES}")
        if role == "none":
            if spec.parameterized:
                raise CircuitError(f"{spec.name} needs angles: role must be fixed, trainable or feature")
        elif not spec.parameterized:
            raise CircuitError(f"{spec.name} takes no angles, so its role must be 'none', not {role!r}")
        if role == "fixed":
            try:
                angles = tuple(float(a) + 0.0 for a in self.angles)  # -0.0 -> 0.0: one key per value
            except (TypeError, ValueError):
                raise CircuitError(f"{spec.name}: angles must be numbers, got {self.angles!r}") from None
            if len(angles) != spec.num_angles:
                raise CircuitError(f"{spec.name} takes {spec.num_angles} angle(s), got {len(angles)}")
            if not all(math.isfinite(a) for a in angles):
                raise CircuitError(f"{spec.name}: angles must be finite, got {angles}")
            object.__setattr__(self, "angles", angles)
        elif self.angles:
            raise CircuitError(f"{spec.name}: only role 'fixed' stores angles (role is {role!r})")
        if role == "feature":
            if spec.num_angles != 1:
                raise CircuitError(f"{spec.name}: only one-angle gates can encode a feature")
            if isinstance(self.feature, bool) or not isinstance(self.feature, int) or self.feature < 0:
                raise CircuitError(
                    f"{spec.name}: a feature gate needs a feature index >= 0, got {self.feature!r}"
                )
        elif self.feature is not None:
            raise CircuitError(f"{spec.name}: only role 'feature' has a feature index")
        if not isinstance(self.weighted, bool):
            raise CircuitError(f"{spec.name}: weighted must be true or false, got {self.weighted!r}")
        if self.weighted and role != "feature":
            raise CircuitError(f"{spec.name}: only a feature gate can be weighted (role is {role!r})")

    @property
    def spec(self) -> GateKind:
        return GATES.get(self.kind)

    @property
    def num_trainable(self) -> int:
        if self.role == "trainable":
            return self.spec.num_angles
        return 2 if self.weighted else 0

    def sort_key(self) -> tuple:
        return (self.kind, self.qubits, self.role, self.angles, -1 if self.feature is None else self.feature,
                self.weighted)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "qubits": list(self.qubits)}
        if self.role != "none":
            d["role"] = self.role
        if self.angles:
            d["angles"] = list(self.angles)
        if self.feature is not None:
            d["feature"] = self.feature
        if self.weighted:  # omitted when false: the keys of unweighted circuits never change
            d["weighted"] = True
        return d

    @classmethod
    def from_dict(cls, d: Any) -> "Gate":
        if not isinstance(d, dict):
            raise CircuitFormatError(f"a gate must be a JSON object, got {type(d).__name__}")
        unknown = set(d) - {"kind", "qubits", "role", "angles", "feature", "weighted"}
        if unknown:
            raise CircuitFormatError(f"unknown gate field(s) {sorted(unknown)}")
        if "kind" not in d or "qubits" not in d:
            raise CircuitFormatError(f"a gate needs 'kind' and 'qubits': {d}")
        if not isinstance(d["kind"], str):
            raise CircuitFormatError(f"gate kind must be a string, got {d['kind']!r}")
        qubits = d["qubits"]
        if not isinstance(qubits, list) or not all(isinstance(q, int) and not isinstance(q, bool) for q in qubits):
            raise CircuitFormatError(f"gate qubits must be a list of integers, got {qubits!r}")
        angles = d.get("angles", [])
        if not isinstance(angles, list) or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) for a in angles
        ):
            raise CircuitFormatError(f"gate angles must be a list of numbers, got {angles!r}")
        role = d.get("role", "none")
        if not isinstance(role, str):
            raise CircuitFormatError(f"gate role must be a string, got {role!r}")
        weighted = d.get("weighted", False)
        if not isinstance(weighted, bool):
            raise CircuitFormatError(f"gate field 'weighted' must be true or false, got {weighted!r}")
        return cls(d["kind"], tuple(qubits), role, tuple(angles), d.get("feature"), weighted)

    def __repr__(self) -> str:
        parts = [f"kind={self.kind!r}", f"qubits={self.qubits!r}"]
        if self.role != "none":
            parts.append(f"role={self.role!r}")
        if self.angles:
            parts.append(f"angles={self.angles!r}")
        if self.feature is not None:
            parts.append(f"feature={self.feature!r}")
        if self.weighted:
            parts.append("weighted=True")
        return f"qas.Gate({', '.join(parts)})"

    def __str__(self) -> str:
        feature = f"w·x{self.feature}+b" if self.weighted else f"x{self.feature}"
        arg = {"trainable": "θ", "feature": feature, "fixed": ",".join(f"{a:.3g}" for a in self.angles)}
        label = f"{self.kind}({arg[self.role]})" if self.role in arg else self.kind
        return f"{label}@{','.join(map(str, self.qubits))}"


class CircuitDAG:
    """An immutable circuit on ``num_qubits`` qubits, stored in canonical DAG order."""

    __slots__ = ("_num_qubits", "_gates", "_hash", "__dict__")

    def __init__(self, num_qubits: int, gates: Iterable[Gate]) -> None:
        if isinstance(num_qubits, bool) or not isinstance(num_qubits, int) or num_qubits < 1:
            raise CircuitError(f"num_qubits must be a positive integer, got {num_qubits!r}")
        gates = tuple(gates)
        for g in gates:
            if not isinstance(g, Gate):
                raise CircuitError(f"gates must be qas.Gate values, got {type(g).__name__}")
            bad = [q for q in g.qubits if q >= num_qubits]
            if bad:
                raise CircuitError(
                    f"{g.kind} on qubit {bad[0]} is out of range for a {num_qubits}-qubit circuit"
                )
        self._num_qubits = num_qubits
        self._gates = _canonical_order(num_qubits, gates)
        self._hash = hash((num_qubits, self._gates))

    # -- value semantics -------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return self._num_qubits

    @property
    def gates(self) -> tuple[Gate, ...]:
        return self._gates

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CircuitDAG):
            return NotImplemented
        return self._hash == other._hash and self._num_qubits == other._num_qubits and self._gates == other._gates

    def __hash__(self) -> int:
        return self._hash

    def __len__(self) -> int:
        return len(self._gates)

    def __repr__(self) -> str:
        inner = ", ".join(repr(g) for g in self._gates)
        trail = "," if len(self._gates) == 1 else ""
        return f"qas.CircuitDAG(num_qubits={self._num_qubits}, gates=({inner}{trail}))"

    def __str__(self) -> str:
        return f"[{self._num_qubits}q] " + " ".join(str(g) for g in self._gates)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in CircuitDAG.__slots__ and not hasattr(self, "_hash"):
            object.__setattr__(self, name, value)
        else:
            raise AttributeError("CircuitDAG is immutable")

    def __reduce__(self) -> tuple:
        return (CircuitDAG, (self._num_qubits, self._gates))

    # -- derived structure -----------------------------------------------------------------
    @cached_property
    def key(self) -> str:
        """A stable content hash (sha256 hex) of the canonical circuit, for caches and dedupe."""
        return hashlib.sha256(self._canonical_text().encode()).hexdigest()

    def _canonical_text(self) -> str:
        body = {"num_qubits": self._num_qubits, "gates": [g.to_dict() for g in self._gates]}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @cached_property
    def num_params(self) -> int:
        """Length of the trainable parameter vector."""
        return sum(g.num_trainable for g in self._gates)

    @cached_property
    def num_weighted(self) -> int:
        """How many feature gates scale their input with trainable ``w * x + b``."""
        return sum(1 for g in self._gates if g.weighted)

    @cached_property
    def num_features(self) -> int:
        """How many input features the circuit reads (highest feature index + 1)."""
        return max((g.feature + 1 for g in self._gates if g.feature is not None), default=0)

    def param_slices(self) -> list[slice | None]:
        """For each gate, its slice of the parameter vector (``None`` if not trainable)."""
        out: list[slice | None] = []
        k = 0
        for g in self._gates:
            n = g.num_trainable
            out.append(slice(k, k + n) if n else None)
            k += n
        return out

    def wire_edges(self) -> list[tuple[int, int, int]]:
        """``(src, dst, qubit)`` dependency edges from the wires.

        Nodes: START = 0, gate ``i`` = ``i + 1``, END = ``len(gates) + 1``. Each gate gets an
        edge from the latest earlier gate on each wire it touches (START if none); the last
        gate on every wire links to END. Idle wires link START to END.
        """
        last = [START] * self._num_qubits
        edges: list[tuple[int, int, int]] = []
        for i, g in enumerate(self._gates, start=1):
            for q in g.qubits:
                edges.append((last[q], i, q))
                last[q] = i
        end = len(self._gates) + 1
        edges.extend((last[q], end, q) for q in range(self._num_qubits))
        return edges

    @cached_property
    def layers(self) -> tuple[int, ...]:
        """ASAP layer (1-based) of each gate."""
        front = [0] * self._num_qubits
        out = []
        for g in self._gates:
            layer = 1 + max(front[q] for q in g.qubits)
            for q in g.qubits:
                front[q] = layer
            out.append(layer)
        return tuple(out)

    @property
    def depth(self) -> int:
        return max(self.layers, default=0)

    def count(self, predicate: Any = None) -> int:
        return sum(1 for g in self._gates if predicate is None or predicate(g))

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "num_qubits": self._num_qubits,
            "gates": [g.to_dict() for g in self._gates],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        seps = (",", ":") if indent is None else (",", ": ")
        return json.dumps(self.to_dict(), indent=indent, separators=seps)

    @classmethod
    def from_dict(cls, d: Any) -> "CircuitDAG":
        if not isinstance(d, dict):
            raise CircuitFormatError(f"a circuit must be a JSON object, got {type(d).__name__}")
        if d.get("schema") != SCHEMA:
            raise CircuitFormatError(f"not a qas circuit: expected schema {SCHEMA!r}, got {d.get('schema')!r}")
        check_version(d.get("version"), SCHEMA_VERSION, "circuit schema", CircuitFormatError)
        gates = d.get("gates")
        if not isinstance(gates, list):
            raise CircuitFormatError("a circuit needs a 'gates' list")
        nq = d.get("num_qubits")
        if isinstance(nq, bool) or not isinstance(nq, int):
            raise CircuitFormatError(f"num_qubits must be an integer, got {nq!r}")
        return cls(nq, [Gate.from_dict(g) for g in gates])

    @classmethod
    def from_json(cls, text: str | bytes) -> "CircuitDAG":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise CircuitFormatError(f"malformed circuit JSON: {exc}") from None
        except RecursionError:
            raise CircuitFormatError("malformed circuit JSON: nested too deeply") from None
        return cls.from_dict(data)


def _canonical_order(num_qubits: int, gates: Sequence[Gate]) -> tuple[Gate, ...]:
    """Greedy lexicographically smallest topological order of the wire DAG.

    Gates that are ready at the same time act on disjoint qubits, so their sort keys differ
    and the order depends only on the DAG, not on the input order.
    """
    n = len(gates)
    if n < 2:
        return tuple(gates)
    indeg = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    last: dict[int, int] = {}  # by wire: memory follows the gates, not num_qubits
    for i, g in enumerate(gates):
        preds = {last.get(q, -1) for q in g.qubits} - {-1}
        for p in preds:
            succ[p].append(i)
        indeg[i] = len(preds)
        for q in g.qubits:
            last[q] = i
    keys = [g.sort_key() for g in gates]
    heap = [(keys[i], i) for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(gates[i])
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (keys[j], j))
    return tuple(out)
