"""Benchmark: our training step against TorchQuantum and PennyLane on the same circuits.

Three workloads, each one gradient step (loss and its gradient w.r.t. every trainable
parameter) on the same circuit, parameters and data in every library, one process, one torch
thread:

- ``qnn4``: fashion-2 (4x4 pooled features, RY,RZ,RX,RY angle encoding on 4 qubits), then
  ``u3cu3q:2``: QuantumNAS's U3+CU3 blocks with the textbook CU3 (qas's ``CU3Q``, which is
  TorchQuantum's ``tq.CU3`` and PennyLane's ``ctrl(U3)``), batch 256, cross-entropy of the
  task's logits from ``<Z_i>``;
- ``qnn10``: fashion-10 (6x6 pooled features, 36 angles on 10 qubits), ``u3cu3q:2``, batch 256;
- ``vqe8``: the 8-qubit TFIM ring (``tfim-8``), RY on every qubit then a CNOT ladder, 4 times
  (32 parameters), loss = ``<H>``.

Backends (a peer that is not installed is skipped with one line):

- ``ours``: :class:`qas.backends.TorchCircuit` + autograd, complex64 (as the trainer runs it);
- ``torchquantum``: TorchQuantum 0.1.8, ``tq.QuantumDevice`` with its functional gates
  (``tqf.ry/rz/rx/u3/cu3/cnot``, complex64, the batch in the device), ``tq.MeasureAll(tq.PauliZ)``
  for the QNNs; for the VQE its state with the dense ``H`` built once (its cheapest analytic
  energy; ``expval_joint_analytical`` would rebuild ``H`` per term per step);
- ``pennylane``: PennyLane ``default.qubit``, ``diff_method="backprop"``, torch interface,
  float64, the batch broadcast over the feature angles (``qml.U3``, ``qml.ctrl(qml.U3)``,
  ``qml.expval(qml.Hamiltonian)``);
- ``qsim forward`` (gradient-free): ``qsimcirq``'s public
  ``simulate_expectation_values_sweep`` over the batch, the loss only (no gradient);
- ``qiskit estimator param-shift`` (``vqe8`` only, where every parameter is an RY and the
  two-term rule is exact): Qiskit's ``StatevectorEstimator`` on the 1 + 2 x 32 shifted
  parameter sets in one call.

Before any timing, every backend's loss and gradient at the shared parameters are checked
against ours in complex128 (``|dloss|, max |dgrad| <= 1e-5``; the qsim forward: loss only); the
script stops if one disagrees. Times are medians over ``--repeats`` rounds that visit the
backends in turn, so load drift on a shared machine hits all alike; compare ratios, not
milliseconds. Writes ``experiments/results/bench_peers.csv`` and ``bench_peers.md``.

The peers live in their own environment, which sees qas's (CPU torch 2.13, Cirq, Qiskit 2)::

    python -m venv /work/peers-venv
    echo "$(python -c 'import site; print(site.getsitepackages()[0])')" \\
        > /work/peers-venv/lib/python3.11/site-packages/qas-main-venv.pth   # qas's packages, after the venv's
    /work/peers-venv/bin/pip install --no-deps torchquantum==0.1.8 opt_einsum torchpack multimethod toml \\
        loguru pathos ppft torchdiffeq
    /work/peers-venv/bin/pip install "pennylane==0.45.*"                # pulls no torch
    cd experiments && PYTHONPATH=.. /work/peers-venv/bin/python bench_peers.py

A plain ``pip install torchquantum==0.1.8`` pulls a CUDA torch, TensorFlow and Qiskit 0.46.
With ``--no-deps``, ``import torchquantum`` still reaches names of Qiskit 0.46 (``qiskit.providers.aer``,
``qiskit_ibm_runtime``), torchvision and its Qiskit plugin at import time; none of them is
used by the code timed here, so :func:`import_torchquantum` stands empty modules in for exactly
those that are missing (it prints which).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, Callable

import numpy as np
import torch
from common import (RESULTS, init_params, machine_line, median_seconds, ry_cnot_ladder, torch_backend_at,
                    trainer_outputs, write_rows)

from qas import CircuitDAG, feature_symbols, param_symbols, to_cirq
from qas.backends import TorchCircuit, keep_freed_memory
from qas.tasks import Batch, make_task
from search_spaces import build_ansatz, load_space

TOL = 1e-5
Step = Callable[[np.ndarray], tuple[float, np.ndarray]]   # params -> (loss, gradient)


# -- workloads ------------------------------------------------------------------------------------
class Workload:
    """A circuit, a task, shared parameters and (for the QNNs) one batch of training data."""

    def __init__(self, name: str, dag: CircuitDAG, task: Any, feats: np.ndarray | None, targets: np.ndarray | None,
                 what: str) -> None:
        self.name, self.dag, self.task, self.feats, self.targets, self.what = name, dag, task, feats, targets, what
        self.params = init_params(dag)
        self.n = dag.num_qubits

    def loss(self, out: torch.Tensor) -> torch.Tensor:
        return self.task.loss(out, Batch(self.feats, self.targets))


def workload(name: str, batch: int) -> Workload:
    if name == "vqe8":
        return Workload(name, ry_cnot_ladder(8, 4), make_task("tfim-8"), None, None, "8-qubit VQE, RY + CNOT ladder x4, TFIM energy")
    task_name, space, what = {"qnn4": ("fashion-2", "qml-4q", "4-qubit QNN, 16 features, u3cu3q:2"),
                              "qnn10": ("fashion-10", "qml-10q", "10-qubit QNN, 36 features, u3cu3q:2")}[name]
    task = make_task(task_name)
    train = task.split("train")
    idx = np.random.default_rng(0).permutation(len(train.targets))[:batch]
    dag = build_ansatz("u3cu3q:2", load_space(space))
    return Workload(name, dag, task, train.features[idx][:, : dag.num_features], train.targets[idx],
                    f"{what}, batch {batch}")


def program(dag: CircuitDAG) -> list[tuple[str, tuple[int, ...], str, Any]]:
    """``(kind, qubits, source, index)`` per gate: source ``param`` (index: slice), ``feature``
    (index: column), ``fixed`` (index: the angles) or ``none``."""
    out = []
    for g, sl in zip(dag.gates, dag.param_slices()):
        if g.role == "trainable":
            out.append((g.kind, g.qubits, "param", sl))
        elif g.role == "feature":
            assert not g.weighted, "the benchmark's circuits have plain feature angles"
            out.append((g.kind, g.qubits, "feature", g.feature))
        elif g.role == "fixed":
            out.append((g.kind, g.qubits, "fixed", g.angles))
        else:
            out.append((g.kind, g.qubits, "none", None))
    return out


# -- ours -----------------------------------------------------------------------------------------
def ours(w: Workload, dtype: torch.dtype = torch.complex64, module: Any = None) -> Step:
    """The trainer's step (a real circuit on real amplitudes); ``module``: our backend at another
    revision (``--compare-rev``), run as that revision's trainer ran it."""
    circ = (module.TorchCircuit if module is not None else TorchCircuit)(w.dag, dtype=dtype)
    real = torch.float64 if dtype == torch.complex128 else torch.float32
    feats = None if w.feats is None else torch.as_tensor(w.feats, dtype=real)

    def step(params: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.tensor(params, dtype=real, requires_grad=True)
        out = trainer_outputs(circ, p, feats, w.task.readout, module)
        loss = w.loss(out)
        loss.backward()
        return float(loss.detach()), p.grad.double().numpy()

    return step


# -- TorchQuantum ---------------------------------------------------------------------------------
def import_torchquantum() -> Any:
    """``torchquantum`` 0.1.8 under Qiskit 2: empty stand-ins for the modules of its import chain
    that are missing (Qiskit 0.46-only names, torchvision, its Qiskit plugin), none used here."""
    import importlib.abc
    import importlib.machinery
    import types

    class _Anything(type):
        def __getattr__(cls, name: str) -> Any:
            return _Placeholder

    class _Placeholder(metaclass=_Anything):
        def __init__(self, *a: Any, **k: Any) -> None:
            pass

    class _Empty(types.ModuleType):
        __path__: list[str] = []

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return _Placeholder

    class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        prefixes = ("qiskit", "torchvision", "torchquantum.plugin")

        def __init__(self) -> None:
            self.used: list[str] = []

        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if not name.startswith(self.prefixes) or name.rsplit(".", 1)[-1][:1].isupper():
                return None
            if not name.startswith("torchquantum.plugin"):  # a real module wins
                for finder in sys.meta_path:
                    if finder is not self and getattr(finder, "find_spec", None):
                        try:
                            if finder.find_spec(name, path, target) is not None:
                                return None
                        except (ImportError, AttributeError, ValueError):
                            continue
            self.used.append(name)
            return importlib.machinery.ModuleSpec(name, self, is_package=True)

        def create_module(self, spec: Any) -> Any:
            return _Empty(spec.name)

        def exec_module(self, module: Any) -> None:
            pass

    stand_ins = _StandIns()
    sys.meta_path.insert(0, stand_ins)
    try:
        import torchquantum as tq
    finally:
        sys.meta_path.remove(stand_ins)
    if stand_ins.used:
        tops = sorted({n if n.startswith("torchquantum") else ".".join(n.split(".")[:3]) for n in stand_ins.used})
        print(f"# torchquantum imported with empty stand-ins for: {', '.join(tops)}")
    return tq


def dense_hamiltonian(terms: Any) -> np.ndarray:
    """``sum c * P`` over Pauli words (qubit 0 leftmost, as TorchQuantum orders its wires)."""
    paulis = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
              "Z": np.diag([1.0, -1.0])}
    out = 0
    for c, word in terms:
        m = np.ones((1, 1))
        for ch in word:
            m = np.kron(m, paulis[ch])
        out = out + c * m
    return np.asarray(out, dtype=np.complex128)


def torchquantum_step(w: Workload, tq: Any) -> Step:
    import torchquantum.functional as tqf

    ops = {"RX": tqf.rx, "RY": tqf.ry, "RZ": tqf.rz, "U3": tqf.u3, "CU3Q": tqf.cu3, "CNOT": tqf.cnot}
    prog = program(w.dag)
    missing = sorted({k for k, *_ in prog} - set(ops))
    if missing:
        raise ValueError(f"no TorchQuantum mapping for {missing}")
    feats = None if w.feats is None else torch.as_tensor(w.feats, dtype=torch.float32)
    bsz = 1 if feats is None else len(feats)
    measure = tq.MeasureAll(tq.PauliZ)
    if w.task.readout.kind == "energy":
        h = torch.as_tensor(dense_hamiltonian(w.task.readout.hamiltonian), dtype=torch.complex64)

    def step(params: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.tensor(params, dtype=torch.float32, requires_grad=True)
        qdev = tq.QuantumDevice(n_wires=w.n, bsz=bsz)
        for kind, qubits, source, index in prog:
            wires = list(qubits) if len(qubits) > 1 else qubits[0]
            if source == "param":
                ops[kind](qdev, wires=wires, params=p[index].unsqueeze(0))
            elif source == "feature":
                ops[kind](qdev, wires=wires, params=feats[:, index])
            elif source == "fixed":
                ops[kind](qdev, wires=wires, params=torch.tensor([index], dtype=torch.float32))
            else:
                ops[kind](qdev, wires=wires)
        if w.task.readout.kind == "energy":
            s = qdev.get_states_1d()
            out = torch.einsum("bi,bi->b", s.conj(), s @ h.T).real
        else:
            out = measure(qdev)
        loss = w.loss(out)
        loss.backward()
        return float(loss.detach()), p.grad.double().numpy()

    return step


# -- PennyLane ------------------------------------------------------------------------------------
def pennylane_step(w: Workload, qml: Any) -> Step:
    prog = program(w.dag)
    dev = qml.device("default.qubit", wires=w.n)
    simple = {"RX": qml.RX, "RY": qml.RY, "RZ": qml.RZ, "U3": qml.U3, "CNOT": qml.CNOT}
    if w.task.readout.kind == "energy":
        words = w.task.readout.hamiltonian
        paulis = {"X": qml.PauliX, "Y": qml.PauliY, "Z": qml.PauliZ}

        def term(word: str) -> Any:
            factors = [paulis[c](i) for i, c in enumerate(word) if c != "I"]
            return qml.prod(*factors) if len(factors) > 1 else factors[0]

        hamiltonian = qml.Hamiltonian([c for c, _ in words], [term(word) for _, word in words])

    def circuit(x: Any, p: Any) -> Any:
        for kind, qubits, source, index in prog:
            if source == "param":
                a = [p[k] for k in range(index.start, index.stop)]
            elif source == "feature":
                a = [x[:, index]]
            elif source == "fixed":
                a = list(index)
            else:
                a = []
            if kind == "CU3Q":
                qml.ctrl(qml.U3(*a, wires=qubits[1]), control=qubits[0])
            else:
                simple[kind](*a, wires=list(qubits))
        if w.task.readout.kind == "energy":
            return qml.expval(hamiltonian)
        return [qml.expval(qml.PauliZ(q)) for q in range(w.n)]

    qnode = qml.QNode(circuit, dev, interface="torch", diff_method="backprop")
    feats = None if w.feats is None else torch.as_tensor(w.feats, dtype=torch.float64)

    def step(params: np.ndarray) -> tuple[float, np.ndarray]:
        p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
        res = qnode(feats, p)
        out = res.reshape(1) if w.task.readout.kind == "energy" else torch.stack(list(res), -1)
        loss = w.loss(out)
        loss.backward()
        return float(loss.detach()), p.grad.numpy()

    return step


# -- gradient-free qsim, Qiskit's Estimator --------------------------------------------------------
def qsim_forward(w: Workload) -> Step:
    """The loss from ``qsimcirq``'s public expectation sweep over the batch; no gradient (NaN)."""
    import cirq
    import qsimcirq

    circuit = to_cirq(w.dag)
    qubits = cirq.LineQubit.range(w.n)
    symbols = param_symbols(w.dag.num_params) + feature_symbols(w.dag.num_features)
    if w.task.readout.kind == "energy":
        paulis = {"X": cirq.X, "Y": cirq.Y, "Z": cirq.Z}
        observables = [sum((c * cirq.PauliString({qubits[i]: paulis[ch] for i, ch in enumerate(word) if ch != "I"})
                            for c, word in w.task.readout.hamiltonian), cirq.PauliSum())]
    else:
        observables = [cirq.Z(q) for q in qubits]
    sim = qsimcirq.QSimSimulator(qsimcirq.QSimOptions(cpu_threads=1))
    feats = np.zeros((1, 0)) if w.feats is None else np.asarray(w.feats, dtype=np.float64)

    def step(params: np.ndarray) -> tuple[float, np.ndarray]:
        values = np.concatenate([np.broadcast_to(params, (len(feats), len(params))), feats], 1)
        resolvers = [cirq.ParamResolver({s.name: float(v) for s, v in zip(symbols, row)}) for row in values]
        ev = np.real(np.asarray(sim.simulate_expectation_values_sweep(circuit, observables, resolvers)))
        out = torch.as_tensor(ev[:, 0] if w.task.readout.kind == "energy" else ev)
        return float(w.loss(out)), np.full(len(params), np.nan)

    return step


def qiskit_param_shift(w: Workload) -> Step:
    """Qiskit's ``StatevectorEstimator``: ``<H>`` at the parameters and at every +-pi/2 shift
    (exact for RY), in one call."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp

    if w.task.readout.kind != "energy" or {g.kind for g in w.dag.gates} - {"RY", "CNOT"}:
        raise ValueError("the parameter-shift row is for RY + CNOT circuits and an energy")
    theta = ParameterVector("t", w.dag.num_params)
    qc = QuantumCircuit(w.n)
    for kind, qubits, source, index in program(w.dag):
        if kind == "RY":
            qc.ry(theta[index.start], w.n - 1 - qubits[0])   # Qiskit is little-endian: qas's qubit 0 leads
        else:
            qc.cx(w.n - 1 - qubits[0], w.n - 1 - qubits[1])
    h = SparsePauliOp.from_list([(word[::-1], c) for c, word in w.task.readout.hamiltonian])
    est = StatevectorEstimator()
    k = w.dag.num_params

    def step(params: np.ndarray) -> tuple[float, np.ndarray]:
        shifted = np.repeat(params[None], 1 + 2 * k, 0)
        shifted[1 + np.arange(k), np.arange(k)] += np.pi / 2
        shifted[1 + k + np.arange(k), np.arange(k)] -= np.pi / 2
        ev = np.asarray(est.run([(qc, h, shifted)]).result()[0].data.evs)
        return float(ev[0]), 0.5 * (ev[1:1 + k] - ev[1 + k:])

    return step


# -- the run --------------------------------------------------------------------------------------
def peers(names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The peer modules that import, and one line per peer skipped or found."""
    found, lines = {}, []
    if "torchquantum" in names:
        try:
            tq = import_torchquantum()
            found["torchquantum"] = tq
            lines.append(f"torchquantum {getattr(tq, '__version__', '?')}")
        except Exception as exc:  # noqa: BLE001 - any failure to import skips the peer
            lines.append(f"torchquantum skipped: {type(exc).__name__}: {exc} (see this script's docstring to install it)")
    if "pennylane" in names:
        try:
            import pennylane as qml

            found["pennylane"] = qml
            lines.append(f"pennylane {qml.__version__}")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"pennylane skipped: {type(exc).__name__}: {exc} (pip install 'pennylane==0.45.*')")
    for name, module in (("qsim", "qsimcirq"), ("qiskit", "qiskit")):
        if name in names:
            try:
                mod = __import__(module)
                found[name] = mod
                lines.append(f"{module} {mod.__version__}")
            except Exception as exc:  # noqa: BLE001
                lines.append(f"{module} skipped: {type(exc).__name__}: {exc}")
    return found, lines


def backends_for(w: Workload, found: dict[str, Any], compare: tuple[str, Any] | None = None) -> list[tuple[str, Step, bool]]:
    """``(name, step, has_gradient)``; ours first, then ours as another version of it (``compare``)."""
    out = [("ours", ours(w), True)]
    if compare is not None:
        out.append((f"ours, {compare[0]}", ours(w, module=compare[1]), True))
    if "torchquantum" in found:
        out.append(("torchquantum 0.1.8", torchquantum_step(w, found["torchquantum"]), True))
    if "pennylane" in found:
        out.append(("pennylane default.qubit backprop", pennylane_step(w, found["pennylane"]), True))
    if "qsim" in found:
        out.append(("qsim forward only (no gradient)", qsim_forward(w), False))
    if "qiskit" in found and w.name == "vqe8":
        out.append(("qiskit StatevectorEstimator param-shift", qiskit_param_shift(w), True))
    return out


def check(w: Workload, backends: list[tuple[str, Step, bool]]) -> list[str]:
    """Every backend's loss (and gradient) at the shared parameters against ours in complex128."""
    ref_loss, ref_grad = ours(w, torch.complex128)(w.params)
    bad = []
    print(f"#   agreement with ours/complex128 (loss {ref_loss:.6f}):")
    for name, step, has_grad in backends:
        loss, grad = step(w.params)
        dl = abs(loss - ref_loss)
        dg = float(np.abs(grad - ref_grad).max()) if has_grad else float("nan")
        print(f"#     {name:44s} |dloss| {dl:.1e}  max|dgrad| {dg:.1e}")
        if dl > TOL or (has_grad and not dg <= TOL):
            bad.append(f"{w.name}: {name} disagrees with ours (|dloss| {dl:.1e}, max|dgrad| {dg:.1e} > {TOL})")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="qnn4,qnn10,vqe8")
    ap.add_argument("--peers", default="torchquantum,pennylane,qsim,qiskit", help="comma list, or 'none'")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=0.3, help="each timed call is repeated for at least this long")
    ap.add_argument("--quick", action="store_true", help="3 rounds of >= 0.15 s per backend (~1 min with the peers)")
    ap.add_argument("--compare-rev", default=None, metavar="REV",
                    help="also time our backend as of this git revision (its torch_sv, torch_plan, torch_tables)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", action="store_true", help="end with one JSON line: {workload: {backend: ms per step}}")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.min_seconds = 3, 0.15
    compare = (f"at {args.compare_rev}", torch_backend_at(args.compare_rev)) if args.compare_rev else None

    torch.set_num_threads(1)
    keep_freed_memory()  # as the trainer runs; the peers share the process, so they keep it too (bench_heap.py)
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = machine_line(1)
    print(f"# bench_peers {date}\n# {machine}")
    found, lines = peers([] if args.peers == "none" else args.peers.split(","))
    for line in lines:
        print(f"# {line}")
    rows: list[dict[str, Any]] = []
    for name in args.workloads.split(","):
        w = workload(name, args.batch)
        print(f"\n## {name}: {w.what}; {w.dag.num_params} parameters, {len(w.dag.gates)} gates")
        backends = backends_for(w, found, compare)
        bad = check(w, backends)
        if bad:
            print("ERROR: " + "\n       ".join(bad) + "\nnot timing", file=sys.stderr)
            return 1
        med = median_seconds({b: (lambda s=s: s(w.params), args.min_seconds) for b, s, _ in backends}, args.repeats)
        for b, _, has_grad in backends:
            rows.append(dict(date=date, workload=name, what=w.what, backend=b, gradient=has_grad,
                             ms_per_step=round(med[b] * 1e3, 3), ratio_peer_over_ours=round(med[b] / med["ours"], 2),
                             machine=machine))
        print("\n".join(table([r for r in rows if r["workload"] == name])))
    print("\n" + "\n".join(summary(rows)))
    if args.json:
        import json

        out: dict[str, dict[str, float]] = {}
        for r in rows:
            out.setdefault(r["workload"], {})[r["backend"]] = r["ms_per_step"]
        print(json.dumps(out))
    if not args.no_write:
        write_rows(RESULTS / "bench_peers.csv", rows)
        head = [f"# bench_peers: one training step, peers against ours", "",
                f"Measured {date} in one run of `python experiments/bench_peers.py"
                + (f" --compare-rev {args.compare_rev}" if compare else "")
                + (" --quick" if args.quick else f" --repeats {args.repeats}") + f"` on {machine}; "
                + "; ".join(lines) + ".", "",
                "Loss and gradient of every backend agree with ours (complex128) to 1e-5 at the shared parameters "
                "before timing. Medians over interleaved rounds; the machine is shared, so compare ratios.", ""]
        body = []
        for name in dict.fromkeys(r["workload"] for r in rows):
            body += [f"## {name}: {rows[[r['workload'] for r in rows].index(name)]['what']}", ""]
            body += table([r for r in rows if r["workload"] == name]) + [""]
        (RESULTS / "bench_peers.md").write_text("\n".join(head + body + summary(rows)) + "\n")
        print(f"\nwrote {RESULTS / 'bench_peers.csv'} and bench_peers.md")
    return 0


def table(rows: list[dict[str, Any]]) -> list[str]:
    out = ["| backend | ms per step | peer / ours |", "|---|---|---|"]
    for r in rows:
        grad = "" if r["gradient"] else " (loss only)"
        out.append(f"| {r['backend']}{grad} | {r['ms_per_step']:,.2f} | {r['ratio_peer_over_ours']:,.2f}x |")
    return out


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """The target: at least 10x faster than TorchQuantum on every workload."""
    out = ["Target: ours >= 10x faster than TorchQuantum on every workload."]
    for name in dict.fromkeys(r["workload"] for r in rows):
        tq = [r["ratio_peer_over_ours"] for r in rows if r["workload"] == name and r["backend"].startswith("torchquantum")]
        pl = [r["ratio_peer_over_ours"] for r in rows if r["workload"] == name and r["backend"].startswith("pennylane")]
        tq_text = f"TorchQuantum {tq[0]:.1f}x ({'met' if tq[0] >= 10 else 'NOT met'})" if tq else "TorchQuantum not measured"
        pl_text = f", PennyLane {pl[0]:.1f}x" if pl else ""
        was = [r for r in rows if r["workload"] == name and r["backend"].startswith("ours, ")]
        was_text = "".join(f"; ours {r['ratio_peer_over_ours']:.2f}x faster than {r['backend'][6:]}" for r in was)
        if was and tq:
            was_text += f" (TorchQuantum {tq[0] / was[0]['ratio_peer_over_ours']:.1f}x over that)"
        out.append(f"- {name}: {tq_text}{pl_text}{was_text}")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
