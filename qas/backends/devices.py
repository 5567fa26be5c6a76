"""Google processors as targets: their qubits, couplers, native gates and calibrated noise.

cirq-google ships real calibration snapshots of three processors (Rainbow 2021-11-16, Weber
2021-11-03, Willow Pink 2024-08-16). Everything here comes from cirq-google itself:

- the device (``create_device_from_processor_id``): its ``GridQubit`` s, couplers and gateset,
  whose ``validate_circuit`` is the check an exported circuit must pass;
- the calibration (``load_device_noise_properties``): per-qubit one-qubit gate error, readout
  error, T1 and Tphi, and per-coupler two-qubit gate error, which
  ``cirq_google.NoiseModelFromGoogleNoiseProperties`` turns into a noise model qsim simulates.

A :class:`Device` maps our DAG's qubits ``0..n-1`` to ``n`` of its ``GridQubit`` s (sorted by
row, then column); :func:`pick_qubits` chooses a connected patch by its calibrated errors;
:func:`device_space` makes a space's device version (native gates, the patch's couplers);
:func:`device_circuit` writes a circuit in the device's native gates on its qubits; and
:class:`DeviceNoise` is the noise setting that scores candidates under the calibrated model.

cirq-google is imported inside functions only: ``import qas`` never loads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import QasError
from qas.core.registry import Registry

#: our device names -> cirq-google processor ids
DEVICES: Registry[str] = Registry("device")
DEVICES.add("willow-pink", "willow_pink")
DEVICES.add("weber", "weber")
DEVICES.add("rainbow", "rainbow")

#: native entanglers we know: gate kind -> the Cirq gate type the calibration keys its errors by
_ENTANGLERS = {"CZ": "CZPowGate", "SQRT_ISWAP": "ISwapPowGate"}
#: one-qubit gates are PhasedXZ (our U3 is one: ``qas.core.gates._u3``)
ONE_QUBIT_KIND = "U3"
#: beam width of the patch search: exhaustive while fewer connected patches exist per size
PATCH_BEAM = 2000


@lru_cache(maxsize=None)
def _grid_device(processor_id: str) -> Any:
    from cirq_google.engine import virtual_engine_factory as vef

    return vef.create_device_from_processor_id(processor_id)


@lru_cache(maxsize=None)
def _noise_properties(processor_id: str) -> Any:
    from cirq_google.engine import virtual_engine_factory as vef

    return vef.load_device_noise_properties(processor_id)


@lru_cache(maxsize=None)
def _noise_model(processor_id: str) -> Any:
    import cirq_google

    return cirq_google.NoiseModelFromGoogleNoiseProperties(_noise_properties(processor_id))


@lru_cache(maxsize=None)
def _couplers(processor_id: str) -> frozenset[frozenset]:
    return frozenset(_grid_device(processor_id).metadata.qubit_pairs)


@lru_cache(maxsize=None)
def _entangler(processor_id: str) -> str:
    import cirq

    calibrated = {k.gate_type.__name__ for k in _noise_properties(processor_id).gate_pauli_errors if len(k.qubits) == 2}
    for kind, type_name in _ENTANGLERS.items():
        if type_name in calibrated and getattr(cirq, kind) in _grid_device(processor_id).metadata.gateset:
            return kind
    raise QasError(f"processor {processor_id}: none of {sorted(_ENTANGLERS)} is both native and calibrated")


def qubit_name(q: Any) -> str:
    """``GridQubit(4, 5)`` -> ``"4_5"`` (cirq-google's own spelling of a qubit)."""
    return f"{q.row}_{q.col}"


@dataclass(frozen=True)
class Device:
    """A Google processor by name (``willow-pink``, ``weber``, ``rainbow``)."""

    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", DEVICES.canonical(self.name))

    @property
    def processor_id(self) -> str:
        return DEVICES.get(self.name)

    @property
    def grid_device(self) -> Any:
        """The ``cirq_google.GridDevice``."""
        return _grid_device(self.processor_id)

    @property
    def noise_properties(self) -> Any:
        """The calibration as ``cirq_google.GoogleNoiseProperties``."""
        return _noise_properties(self.processor_id)

    def noise_model(self) -> Any:
        return _noise_model(self.processor_id)

    @property
    def qubits(self) -> list[Any]:
        return sorted(self.grid_device.metadata.qubit_set)

    @property
    def couplers(self) -> frozenset[frozenset]:
        return _couplers(self.processor_id)

    @property
    def entangler(self) -> str:
        """The native two-qubit gate kind: the one the gateset accepts and the calibration
        measured (Rainbow's gateset also accepts CZ, but only sqrt-iSWAP and Sycamore were calibrated)."""
        return _entangler(self.processor_id)

    @property
    def gates(self) -> tuple[str, str]:
        """The device's alphabet: PhasedXZ one-qubit gates (``U3``) and the native entangler."""
        return (ONE_QUBIT_KIND, self.entangler)

    # -- calibration figures (the Pauli errors the noise model applies) ------------------------
    def one_qubit_error(self, q: Any) -> float:
        import cirq

        return float(self.noise_properties.gate_pauli_errors[cirq.OpIdentifier(cirq.PhasedXZGate, q)])

    def readout_error(self, q: Any) -> float:
        """Mean of P(read 1 | 0) and P(read 0 | 1)."""
        return float(np.mean(self.noise_properties.readout_errors[q]))

    def two_qubit_error(self, a: Any, b: Any) -> float:
        import cirq

        gate_type = getattr(cirq, _ENTANGLERS[self.entangler])
        return float(self.noise_properties.gate_pauli_errors[cirq.OpIdentifier(gate_type, a, b)])

    def __str__(self) -> str:
        return self.name


def get_device(name: str) -> Device:
    """A device by name; an unknown name lists the valid ones."""
    return Device(name)


def parse_qubits(device: Device, text: str | Sequence[str]) -> tuple[Any, ...]:
    """``"4_5,4_6"`` (or a list of such names) -> the device's ``GridQubit`` s, sorted."""
    import cirq

    names = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    on_device = set(device.qubits)
    out = []
    for name in names:
        row, sep, col = name.partition("_")
        try:
            q = cirq.GridQubit(int(row), int(col))
        except ValueError:
            q = None
        if not sep or q is None:
            raise QasError(f"qubit {name!r}: write qubits as ROW_COL, e.g. --qubits 4_5,4_6 ({device.name} names them so)")
        if q not in on_device:
            raise QasError(f"qubit {name!r} is not on {device.name}; its qubits are {_ranges(device)}")
        out.append(q)
    if len(set(out)) != len(out):
        raise QasError(f"--qubits names a qubit twice: {','.join(names)}")
    return tuple(sorted(out))


def _ranges(device: Device) -> str:
    qs = device.qubits
    return f"{len(qs)} qubits, rows {min(q.row for q in qs)}-{max(q.row for q in qs)}, e.g. {qubit_name(qs[0])}"


def induced_couplers(device: Device, qubits: Sequence[Any]) -> list[tuple[int, int]]:
    """The device's couplers among ``qubits``, as index pairs into ``qubits``."""
    index = {q: i for i, q in enumerate(qubits)}
    pairs = [tuple(sorted(index[q] for q in c)) for c in device.couplers if all(q in index for q in c)]
    return sorted(pairs)  # type: ignore[arg-type]


def check_connected(device: Device, qubits: Sequence[Any]) -> None:
    pairs = induced_couplers(device, qubits)
    if len(qubits) > 1 and _components(len(qubits), pairs) > 1:
        names = ",".join(qubit_name(q) for q in qubits)
        raise QasError(f"qubits {names} are not connected by couplers of {device.name}; "
                       "choose neighbouring qubits or --qubits AUTO")


def _max_spanning_tree(n: int, weighted: Sequence[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Kruskal: the ``(weight, a, b)`` edges of a maximum-weight spanning forest of nodes
    ``0..n-1`` (ties in the given order). ``n - len(forest)`` is the number
    of connected components."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    forest = []
    for w, a, b in sorted(weighted, key=lambda t: -t[0]):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            forest.append((w, a, b))
    return forest


def _components(n: int, pairs: Sequence[tuple[int, int]]) -> int:
    return n - len(_max_spanning_tree(n, [(0.0, a, b) for a, b in pairs]))


@dataclass(frozen=True)
class PatchScore:
    """Why a patch was chosen: its calibrated errors and its log-fidelity score."""

    qubits: tuple[Any, ...]
    score: float                                   # sum of log(1 - error), see :func:`patch_score`
    one_qubit: dict[str, float]                    # qubit name -> PhasedXZ Pauli error
    readout: dict[str, float]                      # qubit name -> mean readout error
    two_qubit: dict[str, float]                    # "a-b" -> entangler Pauli error (every coupler in the patch)
    tree: tuple[str, ...]                          # the couplers of the best spanning tree (scored)

    def lines(self) -> list[str]:
        """A short table for a report."""
        out = [f"| qubit | PhasedXZ error | readout error |", "|---|---|---|"]
        out += [f"| {q} | {self.one_qubit[q]:.2e} | {self.readout[q]:.2e} |" for q in self.one_qubit]
        out += ["", "| coupler | two-qubit error | in best spanning tree |", "|---|---|---|"]
        out += [f"| {c} | {e:.2e} | {'yes' if c in self.tree else ''} |" for c, e in self.two_qubit.items()]
        return out


def patch_score(device: Device, qubits: Sequence[Any]) -> PatchScore:
    """Score a connected patch: the sum of ``log(1 - error)`` over each qubit's PhasedXZ error and
    readout error and over the couplers of its best spanning tree (n - 1 of them).

    Scoring a spanning tree, not every coupler, compares patches of one size on the same
    number of two-qubit terms: a square of 4 qubits is not penalised for its fourth coupler
    (more couplers only give the search more choice; it uses the good ones)."""
    qubits = tuple(sorted(qubits))
    names = [qubit_name(q) for q in qubits]
    e1 = {n: device.one_qubit_error(q) for n, q in zip(names, qubits)}
    ro = {n: device.readout_error(q) for n, q in zip(names, qubits)}
    pairs = induced_couplers(device, qubits)
    e2 = {f"{names[a]}-{names[b]}": device.two_qubit_error(qubits[a], qubits[b]) for a, b in pairs}
    # the maximum spanning tree of log(1 - e): the best couplers, smallest error first
    edges = [(math.log1p(-e2[key]), a, b) for (a, b), key in zip(pairs, e2)]
    tree = [f"{names[a]}-{names[b]}" for _, a, b in _max_spanning_tree(len(qubits), edges)]
    score = sum(math.log1p(-e) for e in (*e1.values(), *ro.values())) + sum(math.log1p(-e2[k]) for k in tree)
    return PatchScore(qubits, score, e1, ro, e2, tuple(tree))


def pick_qubits(device: Device, n: int, *, beam: int = PATCH_BEAM) -> PatchScore:
    """The connected ``n``-qubit patch with the best :func:`patch_score`.

    Patches grow by BFS from every qubit, one neighbour at a time; each size keeps the
    ``beam`` best (all of them while there are fewer: exhaustive for small ``n``). Ties go to
    the lexicographically first patch, so the choice is deterministic."""
    qubits = device.qubits
    if not 1 <= n <= len(qubits):
        raise QasError(f"{device.name} has {len(qubits)} qubits; cannot place {n}")
    index = {q: i for i, q in enumerate(qubits)}
    single = [math.log1p(-device.one_qubit_error(q)) + math.log1p(-device.readout_error(q)) for q in qubits]
    neighbours: list[dict[int, float]] = [{} for _ in qubits]  # j -> log(1 - e2) of coupler (i, j)
    for c in device.couplers:
        a, b = sorted(c)
        w = math.log1p(-device.two_qubit_error(a, b))
        neighbours[index[a]][index[b]] = neighbours[index[b]][index[a]] = w

    def score(patch: frozenset) -> float:
        """Singles plus the maximum spanning tree of the couplers inside ``patch``."""
        local = {q: i for i, q in enumerate(sorted(patch))}
        edges = [(w, local[i], local[j]) for i in patch for j, w in neighbours[i].items() if j in patch and i < j]
        return sum(single[i] for i in patch) + sum(w for w, _, _ in _max_spanning_tree(len(patch), edges))

    level = {frozenset([i]): single[i] for i in range(len(qubits))}
    for _ in range(n - 1):
        grown: dict[frozenset, float] = {}
        for patch in level:
            for j in set().union(*(neighbours[i].keys() for i in patch)) - patch:
                bigger = patch | {j}
                if bigger not in grown:
                    grown[bigger] = score(bigger)
        level = dict(sorted(grown.items(), key=lambda kv: (-kv[1], sorted(kv[0])))[:beam])
    best = min(level, key=lambda p: (-level[p], sorted(p)))
    return patch_score(device, tuple(qubits[i] for i in best))


def device_space(space: Any, device: Device, qubits: Sequence[Any]) -> Any:
    """``space`` on ``device``'s ``qubits``: its native alphabet (PhasedXZ and the entangler) and
    the couplers among those qubits; encoding, gate counts, depth and re-uploading unchanged."""
    from dataclasses import replace

    if len(qubits) != space.num_qubits:
        raise QasError(f"space {space.name!r} has {space.num_qubits} qubits, but {len(qubits)} device qubits were "
                       f"given ({','.join(qubit_name(q) for q in qubits)})")
    check_connected(device, qubits)
    coupling = induced_couplers(device, qubits) or None
    return replace(space, name=f"{space.name}@{device.name}", gates=device.gates, coupling=tuple(coupling or ()) or None,
                   description=f"{space.description} (on {device.name} qubits "
                               f"{','.join(qubit_name(q) for q in qubits)}: native gates {', '.join(device.gates)})")


# -- circuits in the device's native gates ------------------------------------------------------
def _symbolic_phased_xz(kind: str, angle: Any) -> Any:
    """A symbolic one-qubit rotation as a ``PhasedXZGate`` (equal up to a global phase)."""
    import cirq

    t = angle / math.pi
    if kind == "RX":
        return cirq.PhasedXZGate(x_exponent=t, z_exponent=0, axis_phase_exponent=0)
    if kind == "RY":
        return cirq.PhasedXZGate(x_exponent=t, z_exponent=0, axis_phase_exponent=0.5)
    if kind == "RZ":
        return cirq.PhasedXZGate(x_exponent=0, z_exponent=t, axis_phase_exponent=0)
    raise QasError(f"gate {kind} with a symbolic angle has no PhasedXZ form here; bind its angle first")


def _is_symbolic(angles: Sequence[Any]) -> bool:
    return any(getattr(a, "free_symbols", None) for a in angles)


def device_circuit(dag: CircuitDAG, params: np.ndarray | Sequence[float] | None, device: Device,
                   qubits: Sequence[Any]) -> Any:
    """``dag`` as a ``cirq.Circuit`` on ``qubits`` (qubit ``i`` -> ``qubits[i]``) in ``device``'s
    native gates, with the trained ``params`` bound and the features left as symbols ``x_i``.

    One-qubit gates become ``PhasedXZGate`` s (feature rotations symbolically); the native
    entangler stays itself; any other two-qubit gate with bound angles is compiled by Cirq to the
    entangler and PhasedXZ gates. Gates are kept one for one (no merging), so the noise the model
    adds is the noise of this circuit's gates."""
    import cirq

    from qas.core.cirq_io import gate_angles

    if len(qubits) != dag.num_qubits:
        raise QasError(f"the circuit has {dag.num_qubits} qubits, {len(qubits)} device qubits were given")
    couplers = device.couplers
    native = device.entangler
    target = cirq.CZTargetGateset() if native == "CZ" else cirq.SqrtIswapTargetGateset()
    ops: list[Any] = []
    for g, angles in zip(dag.gates, gate_angles(dag, params, None)):
        qs = [qubits[i] for i in g.qubits]
        gate = g.spec.cirq_gate(angles)
        if len(qs) == 1:
            if isinstance(gate, cirq.PhasedXZGate):
                ops.append(gate.on(*qs))
            elif _is_symbolic(angles):
                ops.append(_symbolic_phased_xz(g.kind, angles[0]).on(*qs))
            else:
                ops.append(cirq.PhasedXZGate.from_matrix(cirq.unitary(gate)).on(*qs))
            continue
        if frozenset(qs) not in couplers:
            raise QasError(f"{g.kind} on qubits {g.qubits} = {qubit_name(qs[0])}, {qubit_name(qs[1])}: "
                           f"no coupler of {device.name} joins them")
        if g.kind == native:
            ops.append(gate.on(*qs))
            continue
        if _is_symbolic(angles):
            raise QasError(f"gate {g.kind} with free parameters has no native form on {device.name}; "
                           "pass the trained parameters")
        compiled = cirq.optimize_for_target_gateset(cirq.Circuit(gate.on(*qs)), gateset=target)
        for op in compiled.all_operations():
            if len(op.qubits) == 1:
                ops.append(cirq.PhasedXZGate.from_matrix(cirq.unitary(op)).on(*op.qubits))
            else:
                ops.append(op)
    return cirq.Circuit(ops, strategy=cirq.InsertStrategy.EARLIEST)


@dataclass(frozen=True)
class Routed:
    """A circuit placed on a device patch by a router: ``dag`` acts on the patch's qubits
    (qubit ``j`` is ``qubits[j]``), with SWAPs where its gates needed them, ``params`` in its
    order, and ``readout[i]``, the patch qubit that holds the original qubit ``i`` at the end."""

    dag: CircuitDAG
    params: np.ndarray
    readout: tuple[int, ...]

    @property
    def swaps(self) -> int:
        return sum(1 for g in self.dag.gates if g.kind == "SWAP")


def route_to_device(dag: CircuitDAG, params: np.ndarray | Sequence[float], device: Device,
                    qubits: Sequence[Any]) -> Routed:
    """Place a circuit found without the device in mind onto ``qubits`` of ``device``, the way a
    compiler would: Cirq's router (``cirq.RouteCQC``, with its own initial mapping) inserts SWAPs
    so that every two-qubit gate acts on a coupler. :func:`device_circuit` then writes the result
    in native gates. This is the usual workflow a device-aware search is measured against."""
    import cirq
    import networkx as nx

    check_connected(device, qubits)
    params = np.asarray(params, dtype=np.float64)
    if len(params) != dag.num_params:
        raise QasError(f"the circuit has {dag.num_params} parameters, {len(params)} were given")
    line = cirq.LineQubit.range(dag.num_qubits)
    placeholders = cirq.Circuit(cirq.IdentityGate(len(g.qubits)).on(*(line[q] for q in g.qubits)).with_tags(i)
                                for i, g in enumerate(dag.gates))
    graph = nx.Graph()
    graph.add_nodes_from(qubits)
    graph.add_edges_from((qubits[a], qubits[b]) for a, b in induced_couplers(device, qubits))
    routed, initial, swaps = cirq.RouteCQC(graph).route_circuit(placeholders)
    index = {q: j for j, q in enumerate(qubits)}
    slices = dag.param_slices()
    gates, pieces = [], []
    for op in routed.all_operations():
        where = tuple(index[q] for q in op.qubits)
        tags = [t for t in op.tags if isinstance(t, int)]
        if not tags:  # an inserted SWAP
            gates.append(Gate("SWAP", where))
            continue
        g = dag.gates[tags[0]]
        gates.append(Gate(g.kind, where, g.role, g.angles, g.feature, g.weighted))
        pieces.append((gates[-1], params[slices[tags[0]]] if slices[tags[0]] is not None else params[:0]))
    placed = CircuitDAG(len(qubits), gates)
    # the DAG keeps its own canonical order: take each gate's angles in that order (equal gates
    # on the same qubits depend on each other, so their order is kept and the first match is right)
    ordered = []
    for g in placed.gates:
        if g.kind == "SWAP":
            continue
        k = next(i for i, (h, _) in enumerate(pieces) if h == g)
        ordered.append(pieces.pop(k)[1])
    new_params = np.concatenate(ordered) if ordered else np.zeros(0)
    readout = tuple(index[swaps[initial[q]]] for q in line)
    return Routed(placed, new_params, readout)


def validate(device: Device, circuit: Any) -> None:
    """The device's own check (``GridDevice.validate_circuit``); a failure is one line."""
    try:
        device.grid_device.validate_circuit(circuit)
    except ValueError as exc:
        raise QasError(f"circuit fails {device.name}'s validation: {exc}") from None


@dataclass(frozen=True)
class DeviceNoise:
    """Score on qsim trajectories under a device's calibrated noise model, on its qubits.

    The same role as :class:`~qas.backends.noise.NoiseSpec` (``model()``, ``repetitions``,
    ``qubits(n)``, ``circuit(dag, params)``): candidates are written in the device's native gates
    on its qubits (:func:`device_circuit`), then ``NoiseModelFromGoogleNoiseProperties`` adds
    each gate's depolarising error, its coherent two-qubit error and T1/Tphi decay over each
    moment's duration. (Readout error applies to measurements; expectation values have none.)

    ``readout`` is for a routed circuit (:func:`route_to_device`): circuit qubit ``i`` is read on
    ``grid_qubits[readout[i]]``; by default on ``grid_qubits[i]``.
    """

    device: Device
    grid_qubits: tuple[Any, ...]
    repetitions: int = 100
    readout: tuple[int, ...] | None = None

    def model(self) -> Any:
        return self.device.noise_model()

    def qubits(self, n: int) -> list[Any]:
        if n != len(self.grid_qubits):
            raise QasError(f"a {n}-qubit circuit cannot run on the {len(self.grid_qubits)} chosen qubits of {self.device}")
        if self.readout is not None:
            return [self.grid_qubits[j] for j in self.readout]
        return list(self.grid_qubits)

    def circuit(self, dag: CircuitDAG, params: np.ndarray | None) -> Any:
        return device_circuit(dag, params, self.device, self.grid_qubits)

    def __str__(self) -> str:
        read = "" if self.readout is None else f":readout={','.join(map(str, self.readout))}"
        return f"device:{self.device.name}:{','.join(qubit_name(q) for q in self.grid_qubits)}{read}"
