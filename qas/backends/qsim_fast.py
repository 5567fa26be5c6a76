"""Fast qsim scoring of one parameterized circuit structure over many parameter sets.

Why this module exists
----------------------
``qsimcirq.QSimSimulator.simulate_expectation_values_sweep`` spends almost all of
its time (95-97 % at 4 qubits) in Python, *per parameter set*: it calls
``cirq.resolve_parameters`` on the whole circuit and then re-translates the
resolved cirq circuit into qsim's C++ representation gate by gate.  qsim's
compiled simulation is only a few percent of the cost.

In architecture search we score one circuit *structure* on many inputs
(data-encoding angles and/or trainable angles change, the gates do not), so all
of that per-input work is redundant.  :class:`QsimBatchExpectation` does the
structural work once:

1. **Plan (once per structure).**  Every operation becomes a small "gate
   matrix" object that can produce its unitary for a whole batch of parameter
   values with numpy.  Gate angles are sympy expressions; affine ones (the
   common case: ``theta_3``, ``x_5/pi``, ``0.318*theta_0 + 0.5``) are compiled
   into a sparse coefficient table so that all angles of all gates for the
   whole batch come out of one gather.  Operations are greedily
   fused into blocks of at most ``max_block_qubits`` qubits (default 2), in a
   way that respects gate ordering.
2. **Batch (once per call).**  Each block's unitary is computed for the whole
   batch with a gather + batched ``matmul`` per gate (cheap: 4x4 matrices), cast to
   complex64 (qsim is float32), and converted to Python lists in one go.
3. **Per input.**  Only a fresh ``qsim.Circuit`` is filled with one
   ``qsim.add_matrix_gate`` per block and simulated.  No cirq, no sympy in
   the loop.  By default (<= 14 qubits) qsim returns the final state
   (``qsim_simulate_fullstate``) and the observables are evaluated for the
   whole batch at once in numpy; otherwise qsim's own
   ``qsim_simulate_expectation_values`` is called per input.

Measured (2-core dev box, experiments/bench_qsim_scoring.py, 1000 inputs):
~45x at 4 qubits / 40 gates, ~35x at 8 qubits / 80 gates, ~48x for the
15-term H2 Hamiltonian.  The remaining per-input cost is about half Python
list -> ``std::vector`` conversion of the block matrices and half qsim itself.

qsimcirq internals used (version sensitivity)
---------------------------------------------
This bypasses ``QSimSimulator`` and uses the low-level pybind module
``qsimcirq.qsim`` directly (checked against qsimcirq 0.22.1):

* ``qsim.Circuit()`` with its ``num_qubits`` attribute,
* ``qsim.add_matrix_gate(time, qubits, flat_float32_re_im_list, circuit)``:
  the matrix is in cirq's convention for the qubits *in the order given*
  (qsim's ``MatrixGate1/2/MatrixGate`` reverse the qubit list internally,
  which is what ``qsimcirq.qsim_circuit`` relies on too),
* ``qsim.qsim_simulate_fullstate(options, 0)`` -> float32 ``[re, im, ...]``
  array indexed like cirq's state vector (what ``QSimSimulator.simulate``
  returns after ``.view(np.complex64)``),
* ``qsim.OpString`` / ``qsim.add_gate_to_opstring`` and
  ``qsim.qsim_simulate_expectation_values(options, opsums_and_qubit_counts,
  initial_state)`` (only with ``numpy_expectations=False``),
* the option keys ``c`` (circuit), ``s`` (seed), ``f``, ``t``, ``v``, ``z``
  etc. as produced by ``qsimcirq.QSimOptions.as_dict()``,
* qsim's qubit numbering: qsim index ``i`` is ``reversed(cirq order)[i]``.

These are the same entry points ``qsimcirq.qsim_circuit`` /
``qsim_simulator`` use, so a qsimcirq release that changes them would also
change its own translator; the test-suite compares against the public path
and would catch such a change.  Gate conventions are cirq's (we compute the
unitaries ourselves), so qsim's per-gate parameter conventions do not matter.

Numerics: both this and the public path run float32 state vectors, so they
differ by float32 round-off: <1e-6 for single-qubit Z (typically 3-7e-7),
scaling with the observable's coefficient 1-norm for Hamiltonians.  Against a
float64 cirq simulation this path is typically ~2x *more* accurate than the
public qsim path (median over random circuits; gate matrices are computed and
fused in float64 before the cast to complex64).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cirq
import numpy as np
import sympy
from qsimcirq import qsim
from qsimcirq import QSimOptions, QSimSimulator

from qas.core.errors import CircuitError

__all__ = [
    "QsimBatchExpectation",
    "UnsupportedGateError",
    "reference_expectations",
]

Observable = Union[cirq.PauliSum, cirq.PauliString]

#: qsim's generic matrix gate accepts at most 6 qubits.
_QSIM_MAX_MATRIX_QUBITS = 6
#: Default cut-off for evaluating observables in numpy from full states.
_NUMPY_EV_MAX_QUBITS = 14
#: Max complex amplitudes held at once when collecting states (bounds memory: 2**22 * 8 B = 32 MiB).
_STATE_BUFFER_AMPLITUDES = 2**22


class UnsupportedGateError(CircuitError, NotImplementedError):
    """Raised at construction when an operation cannot be handled by the fast path.

    A :class:`~qas.core.errors.CircuitError` (so the CLI reports it cleanly) and a
    ``NotImplementedError`` (it is a backend limitation, not a broken circuit).
    """


# ---------------------------------------------------------------------------
# Batched gate matrices
# ---------------------------------------------------------------------------


class _GateMatrix:
    """Produces a gate's unitary (cirq convention) for a batch of parameter values.

    ``exprs`` are the sympy expressions of the gate's numeric parameters; at
    evaluation time they arrive already evaluated as columns of ``p``.
    """

    exprs: Tuple[sympy.Expr, ...] = ()
    dim: int

    def __call__(self, p: np.ndarray) -> np.ndarray:
        """``p``: ``(batch, len(exprs))`` float64 -> ``(batch or 1, dim, dim)`` complex128."""
        raise NotImplementedError


@dataclass
class _ConstMatrix(_GateMatrix):
    """Gate without symbols: its unitary is computed once by cirq."""

    unitary: np.ndarray

    def __post_init__(self) -> None:
        self.dim = self.unitary.shape[0]
        self._u = self.unitary[None].astype(np.complex128)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return self._u


@dataclass
class _EigenMatrix(_GateMatrix):
    """Any ``cirq.EigenGate`` (rx/ry/rz, X/Y/Z/H/CZ/CNOT/SWAP powers) with a symbolic exponent.

    cirq defines ``U(e) = sum_k exp(i*pi*e*(lambda_k + global_shift)) P_k``; we
    evaluate exactly that, vectorised over the batch, so cirq's global-phase
    convention is kept (it matters once the gate is controlled).
    """

    exponent: sympy.Expr
    half_turns: np.ndarray  # (K,) lambda_k + global_shift
    projectors: np.ndarray  # (K, d, d)

    def __post_init__(self) -> None:
        self.exprs = (self.exponent,)
        self.dim = self.projectors.shape[1]

    def __call__(self, p: np.ndarray) -> np.ndarray:
        phases = np.exp(1j * np.pi * p[:, 0:1] * self.half_turns[None, :])  # (B, K)
        return (phases[:, :, None, None] * self.projectors[None]).sum(axis=1)


@dataclass
class _PhasedXZMatrix(_GateMatrix):
    """``cirq.PhasedXZGate`` = Z**(z+a) . X**x . Z**(-a) (cirq's own formula)."""

    x: sympy.Expr
    z: sympy.Expr
    a: sympy.Expr

    def __post_init__(self) -> None:
        self.exprs = (self.x, self.z, self.a)
        self.dim = 2

    def __call__(self, p: np.ndarray) -> np.ndarray:
        x, z, a = p[:, 0], p[:, 1], p[:, 2]
        half = np.exp(0.5j * np.pi * x)
        ucx = half * np.cos(0.5 * np.pi * x)
        usx = -1j * half * np.sin(0.5 * np.pi * x)
        u = np.empty((p.shape[0], 2, 2), dtype=np.complex128)
        u[:, 0, 0] = ucx
        u[:, 0, 1] = usx * np.exp(-1j * np.pi * a)
        u[:, 1, 0] = usx * np.exp(1j * np.pi * (z + a))
        u[:, 1, 1] = ucx * np.exp(1j * np.pi * z)
        return u


@dataclass
class _ControlledMatrix(_GateMatrix):
    """``cirq.ControlledGate`` of a symbolic sub-gate: identity except on the active control block(s)."""

    sub: _GateMatrix
    num_controls: int
    active_offsets: Tuple[int, ...]  # row/col offsets (in units of sub.dim) where controls are satisfied

    def __post_init__(self) -> None:
        self.exprs = self.sub.exprs
        self.dim = self.sub.dim * (2**self.num_controls)

    def __call__(self, p: np.ndarray) -> np.ndarray:
        sub = self.sub(p)
        u = np.zeros((sub.shape[0], self.dim, self.dim), dtype=np.complex128)
        diag = np.arange(self.dim)
        u[:, diag, diag] = 1.0
        s = self.sub.dim
        for k in self.active_offsets:
            u[:, k * s : (k + 1) * s, k * s : (k + 1) * s] = sub
        return u


def _op_name(op: cirq.Operation) -> str:
    gate = op.gate
    return f"{type(gate).__name__} ({gate!r}) in operation {op!r}" if gate is not None else repr(op)


def _symbolic_matrix(gate: cirq.Gate, op: cirq.Operation) -> _GateMatrix:
    """Batched-matrix builder for a parameterized gate; raises for unsupported types."""
    if isinstance(gate, cirq.PhasedXZGate):
        return _PhasedXZMatrix(
            sympy.sympify(gate.x_exponent),
            sympy.sympify(gate.z_exponent),
            sympy.sympify(gate.axis_phase_exponent),
        )
    if isinstance(gate, cirq.ControlledGate):
        if any(d != 2 for d in gate.control_qid_shape):
            raise UnsupportedGateError(f"Only qubit controls are supported: {_op_name(op)}")
        sub = _gate_matrix(gate.sub_gate, op)
        offsets = sorted(
            {int("".join(str(int(v)) for v in assignment), 2) for assignment in gate.control_values.expand()}
        )
        return _ControlledMatrix(sub, gate.num_controls(), tuple(offsets))
    if isinstance(gate, cirq.EigenGate):
        shift = gate.global_shift
        if cirq.is_parameterized(shift):
            raise UnsupportedGateError(f"Symbolic global_shift is not supported: {_op_name(op)}")
        comps = gate._eigen_components()  # part of EigenGate's subclass contract
        half_turns = np.array([float(h) + float(shift) for h, _ in comps])
        projectors = np.array([np.asarray(c, dtype=np.complex128) for _, c in comps])
        return _EigenMatrix(sympy.sympify(gate.exponent), half_turns, projectors)
    raise UnsupportedGateError(
        f"Unsupported parameterized gate {_op_name(op)}. The fast qsim path supports symbolic "
        "cirq.EigenGate subclasses (rx/ry/rz, XPow/YPow/ZPow/HPow/CZPow/CXPow/SwapPow...), "
        "cirq.PhasedXZGate and cirq.ControlledGate of those; any gate without symbols that "
        "has a unitary is supported."
    )


def _gate_matrix(gate: cirq.Gate, op: cirq.Operation) -> _GateMatrix:
    if not cirq.is_parameterized(gate):
        u = cirq.unitary(gate, None)
        if u is None:
            raise UnsupportedGateError(f"Gate has no unitary (measurement/channel?): {_op_name(op)}")
        return _ConstMatrix(np.asarray(u))
    return _symbolic_matrix(gate, op)


# ---------------------------------------------------------------------------
# Parameter evaluation
# ---------------------------------------------------------------------------


class _ParamTable:
    """Evaluates all gate-parameter expressions for a batch of symbol values.

    Affine expressions (the common case) are stored sparsely -- each gate
    parameter depends on one or two symbols -- as padded ``(num_params, K)``
    symbol-index / coefficient tables, so the whole batch is one gather and a
    short sum.  Anything non-affine falls back to a vectorised
    ``sympy.lambdify``.

    Deliberately no BLAS here or in the other per-call numpy code: the
    products are tiny, and a multi-threaded OpenBLAS call on a loaded 2-core box
    can stall for milliseconds waiting for its worker thread (measured: 3-4x
    slower calls under contention).
    """

    def __init__(self, exprs: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]):
        self.num_symbols = len(symbols)
        index = {s: i for i, s in enumerate(symbols)}
        known = set(symbols)
        terms: List[List[Tuple[int, float]]] = []
        self.b = np.zeros(len(exprs))
        self._nonlinear: List[Tuple[int, Callable[..., np.ndarray]]] = []
        for row, expr in enumerate(exprs):
            free = expr.free_symbols
            unknown = free - known
            if unknown:
                names = ", ".join(sorted(str(s) for s in unknown))
                raise ValueError(f"Circuit parameter expression {expr} uses symbols not in `symbols`: {names}")
            derivs = {s: sympy.diff(expr, s) for s in free}
            if all(not d.free_symbols for d in derivs.values()):
                terms.append([(index[s], float(d)) for s, d in derivs.items() if d != 0])
                self.b[row] = float(expr.subs({s: 0 for s in free}))
            else:
                terms.append([])
                self._nonlinear.append((row, sympy.lambdify(list(symbols), expr, "numpy")))
        width = max((len(t) for t in terms), default=0)
        self._idx = np.zeros((len(exprs), width), dtype=np.intp)
        self._coef = np.zeros((len(exprs), width))
        for row, t in enumerate(terms):
            for j, (col, c) in enumerate(t):
                self._idx[row, j] = col
                self._coef[row, j] = c

    def __call__(self, values: np.ndarray) -> np.ndarray:
        p = np.broadcast_to(self.b, (values.shape[0], self.b.shape[0])).copy()
        for j in range(self._idx.shape[1]):
            p += values[:, self._idx[:, j]] * self._coef[:, j]
        for row, fn in self._nonlinear:
            p[:, row] = fn(*values.T)
        return p


# ---------------------------------------------------------------------------
# Fusion plan
# ---------------------------------------------------------------------------


@dataclass
class _PlannedOp:
    matrix: _GateMatrix
    qubits: Tuple[cirq.Qid, ...]
    param_slice: slice


@dataclass
class _Block:
    qubits: List[cirq.Qid]
    ops: List[_PlannedOp] = field(default_factory=list)
    alive: bool = True


def _fuse(ops: Sequence[_PlannedOp], max_block_qubits: int) -> List[_Block]:
    """Greedy, order-preserving fusion of operations into blocks of few qubits.

    ``last[q]`` is the block holding the latest operation on qubit ``q``.  An
    operation joins the single block owning its qubits if the union stays
    small enough (valid: no later block touches those qubits).  If several
    blocks own its qubits they are merged only if each is on the "frontier"
    (no later block touches any of its qubits), so moving them to the end
    cannot reorder non-commuting operations.  Otherwise a new block starts.
    """
    blocks: List[_Block] = []
    last: Dict[cirq.Qid, int] = {}
    for op in ops:
        owners = sorted({last[q] for q in op.qubits if q in last})
        target: Optional[int] = None
        if len(owners) == 1:
            blk = blocks[owners[0]]
            extra = [q for q in op.qubits if q not in blk.qubits]
            if len(blk.qubits) + len(extra) <= max_block_qubits:
                blk.qubits.extend(extra)
                target = owners[0]
        elif len(owners) > 1:
            frontier = all(all(last[q] == o for q in blocks[o].qubits) for o in owners)
            union = [q for o in owners for q in blocks[o].qubits]
            union += [q for q in op.qubits if q not in union]
            if frontier and len(union) <= max_block_qubits:
                merged = _Block(union, [p for o in owners for p in blocks[o].ops])
                for o in owners:
                    blocks[o].alive = False
                blocks.append(merged)
                target = len(blocks) - 1
                for q in merged.qubits:
                    last[q] = target
        if target is None:
            blocks.append(_Block(list(op.qubits)))
            target = len(blocks) - 1
        blocks[target].ops.append(op)
        for q in op.qubits:
            last[q] = target
    return [b for b in blocks if b.alive]


class _BlockProgram:
    """Computes one fused block's unitary for a whole batch.

    Each constituent gate is embedded into the block's ``d x d`` space with a
    precomputed gather (``kron`` with identity on the block's other qubits,
    done as one ``take``), then multiplied in with a batched ``matmul``.  For
    ``d <= 8`` this is much faster than ``einsum`` with broadcasting.
    """

    def __init__(self, block: _Block):
        self.qubits = tuple(block.qubits)
        k = len(self.qubits)
        self.dim = d = 2**k
        pos = {q: i for i, q in enumerate(self.qubits)}
        # bits[i, j]: value of block qubit j (big-endian, cirq convention) in basis state i.
        bits = (np.arange(d)[:, None] >> (k - 1 - np.arange(k))[None, :]) & 1
        self.steps: List[Tuple[_PlannedOp, np.ndarray]] = []
        for op in block.ops:
            m = len(op.qubits)
            g = 2**m
            cols = [pos[q] for q in op.qubits]
            others = [j for j in range(k) if j not in cols]
            weights = 1 << (m - 1 - np.arange(m))
            sub = bits[:, cols] @ weights  # index of each block basis state in the gate's space
            row, col = sub[:, None], sub[None, :]
            same_rest = np.all(bits[:, None, others] == bits[None, :, others], axis=-1)
            # Entries outside the gate's support point at an appended zero (index g*g).
            gather = np.where(same_rest, row * g + col, g * g)
            self.steps.append((op, gather))
        self.constant = all(isinstance(op.matrix, _ConstMatrix) for op in block.ops)

    def __call__(self, params: np.ndarray) -> np.ndarray:
        """``params``: (batch, P) -> (batch or 1, dim, dim) complex128 block unitary."""
        u: Optional[np.ndarray] = None
        for op, gather in self.steps:
            g = op.matrix(params[:, op.param_slice])
            flat = np.concatenate([g.reshape(g.shape[0], -1), np.zeros((g.shape[0], 1), g.dtype)], axis=1)
            full = flat[:, gather]
            u = full if u is None else np.matmul(full, u)
        assert u is not None
        return u


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _to_symbols(symbols: Sequence[Union[sympy.Symbol, str]]) -> List[sympy.Symbol]:
    out = [sympy.Symbol(s) if isinstance(s, str) else s for s in symbols]
    if len(set(out)) != len(out):
        raise ValueError("`symbols` contains duplicates")
    return out


def _build_opsums(
    observables: Sequence[Observable], qubit_index: Dict[cirq.Qid, int]
) -> List[Tuple[List["qsim.OpString"], int]]:
    """Observables -> qsim opsums, exactly as ``QSimSimulator`` builds them."""
    kinds = {cirq.X: qsim.kX, cirq.Y: qsim.kY, cirq.Z: qsim.kZ}
    result = []
    for obs in observables:
        psum = cirq.PauliSum.wrap(obs)
        opsum = []
        touched = set()
        for pstr in psum:
            opstring = qsim.OpString()
            opstring.weight = pstr.coefficient
            for q, pauli in pstr.items():
                if q not in qubit_index:
                    raise ValueError(
                        f"Observable acts on qubit {q!r} which is not in `qubits`."
                    )
                touched.add(q)
                qsim.add_gate_to_opstring(kinds[pauli], [qubit_index[q]], opstring)
            opsum.append(opstring)
        result.append((opsum, len(touched)))
    return result


class _PauliEvaluator:
    """Batched ``<psi|O|psi>`` for Pauli sums, straight from qsim's final states.

    Why: qsim's own expectation routine copies the state and applies each
    Pauli string separately (15 terms of H2 cost ~3x the simulation itself).
    Here a Pauli string is a bit-flip permutation ``i -> i ^ x_mask`` times a
    phase, so all terms sharing an ``x_mask`` collapse into one weight matrix
    ``W_x`` (dim x num_observables) and the whole batch needs one gather and one
    matmul per distinct ``x_mask`` (Z-only terms: just ``|psi|^2 @ W_0``).

    State layout: qsim's full state is indexed like cirq's (first qubit of the
    cirq order is the most significant bit), see ``QSimSimulator.simulate``.
    """

    def __init__(self, observables: Sequence[Observable], qubits: Sequence[cirq.Qid]):
        n = len(qubits)
        self.dim = dim = 2**n
        bit = {q: n - 1 - i for i, q in enumerate(qubits)}
        idx = np.arange(dim)
        weights: Dict[int, np.ndarray] = {}
        for k, obs in enumerate(observables):
            for pstr in cirq.PauliSum.wrap(obs):
                x_mask = z_mask = 0
                num_y = 0
                for q, pauli in pstr.items():
                    if q not in bit:
                        raise ValueError(
                            f"Observable acts on qubit {q!r} which is not in `qubits`."
                        )
                    b = 1 << bit[q]
                    if pauli == cirq.X:
                        x_mask |= b
                    elif pauli == cirq.Z:
                        z_mask |= b
                    else:  # Y = i X Z
                        x_mask |= b
                        z_mask |= b
                        num_y += 1
                parity = _popcount(idx & z_mask) & 1
                # P|i> = i^{num_y} (-1)^{popcount(i & z_mask)} |i ^ x_mask>
                phase = (1j**num_y) * (1 - 2 * parity)
                w = weights.setdefault(x_mask, np.zeros((dim, len(observables)), dtype=np.complex128))
                w[:, k] += complex(pstr.coefficient) * phase
        diagonal = weights.pop(0, None)  # Z-only terms: real weights on |psi_i|^2
        self.diagonal: Optional[np.ndarray] = None if diagonal is None else diagonal.real.copy()
        self.flips = [(idx ^ x_mask, w) for x_mask, w in weights.items()]
        self.num_observables = len(observables)

    def __call__(self, psi: np.ndarray) -> np.ndarray:
        """``psi``: (batch, dim) complex -> (batch, num_observables) float64.

        Uses ``einsum`` (no BLAS threads, see :class:`_ParamTable`).
        """
        psi = psi.astype(np.complex128)
        out = np.zeros((psi.shape[0], self.num_observables))
        if self.diagonal is not None:
            out += np.einsum("bi,io->bo", psi.real**2 + psi.imag**2, self.diagonal)
        for perm, w in self.flips:
            prod = psi[:, perm].conj() * psi  # Re(prod @ w) = Re(prod) Re(w) - Im(prod) Im(w)
            out += np.einsum("bi,io->bo", prod.real, w.real) - np.einsum("bi,io->bo", prod.imag, w.imag)
        return out


def _popcount(a: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(a).astype(np.int64)
    count = np.zeros_like(a)
    while np.any(a):
        count += a & 1
        a = a >> 1
    return count


class QsimBatchExpectation:
    """Expectation values of Pauli observables for one circuit structure over many parameter sets.

    The circuit is analysed once; each call evaluates all gate matrices for the
    whole batch with numpy and runs qsim once per parameter set on a circuit of
    pre-fused matrix gates (see the module docstring for why and how).

    Args:
        circuit: parameterized cirq circuit (unitary operations only).
        symbols: the symbols, in the column order of ``values``; every symbol
            used by the circuit must be listed (extra ones are allowed).
        observables: ``cirq.PauliSum``/``cirq.PauliString`` observables.
        num_threads: qsim CPU threads per simulation (1 is best for small circuits).
        max_block_qubits: largest fused block handed to qsim.  2 is the sweet
            spot for small circuits: block unitaries stay 4x4 so the numpy
            work is negligible, and the gate count qsim sees drops ~3x.
        qsim_fused_gate_size: qsim's own ``max_fused_gate_size`` option.
        qubits: optional qubit order; defaults to cirq's default order (sorted)
            of the circuit's qubits plus any qubits only the observables act on
            (idle qubits stay in |0>).  The order does not change the results.
        numpy_expectations: take qsim's final state vectors and evaluate the
            observables for the whole batch in numpy (:class:`_PauliEvaluator`)
            instead of calling qsim's per-input expectation routine.  Faster
            for small registers, much faster for many-term Hamiltonians.
            ``None`` (default) = on for <= 14 qubits.

    Raises:
        UnsupportedGateError: naming the first operation that cannot be handled.
        ValueError: if the circuit uses symbols not listed in ``symbols``.
    """

    def __init__(
        self,
        circuit: cirq.Circuit,
        symbols: Sequence[Union[sympy.Symbol, str]],
        observables: Sequence[Observable],
        *,
        num_threads: int = 1,
        max_block_qubits: int = 2,
        qsim_fused_gate_size: int = 2,
        qubits: Optional[Sequence[cirq.Qid]] = None,
        numpy_expectations: Optional[bool] = None,
    ):
        if max_block_qubits < 1 or max_block_qubits > _QSIM_MAX_MATRIX_QUBITS:
            raise ValueError(f"max_block_qubits must be in 1..{_QSIM_MAX_MATRIX_QUBITS}")
        self.symbols = _to_symbols(symbols)
        if isinstance(observables, (cirq.PauliSum, cirq.PauliString)):
            observables = [observables]
        self.observables = list(observables)

        circuit_qubits = circuit.all_qubits()
        if qubits is None:
            # Include qubits that only observables touch (idle wires of a sampled
            # architecture): they stay in |0>.  The public path would KeyError.
            obs_qubits = {q for o in self.observables for q in cirq.PauliSum.wrap(o).qubits}
            ordered = cirq.QubitOrder.DEFAULT.order_for(circuit_qubits | obs_qubits)
        else:
            ordered = list(qubits)
            missing = circuit_qubits - set(ordered)
            if missing:
                raise ValueError(f"`qubits` is missing circuit qubits {sorted(missing)}")
        if not ordered:
            raise ValueError("Circuit has no qubits")
        self.qubits: Tuple[cirq.Qid, ...] = tuple(ordered)
        # qsim numbers qubits in reverse of cirq's order.
        self._qsim_index = {q: i for i, q in enumerate(reversed(self.qubits))}

        planned: List[_PlannedOp] = []
        exprs: List[sympy.Expr] = []
        for op in circuit.all_operations():
            if op.gate is None:
                raise UnsupportedGateError(f"Operation without a gate is not supported: {op!r}")
            if cirq.is_measurement(op):
                raise UnsupportedGateError(f"Measurements are not supported: {op!r}")
            if len(op.qubits) > _QSIM_MAX_MATRIX_QUBITS:
                raise UnsupportedGateError(f"Operations on > {_QSIM_MAX_MATRIX_QUBITS} qubits: {op!r}")
            matrix = _gate_matrix(op.gate, op)
            start = len(exprs)
            exprs.extend(matrix.exprs)
            planned.append(_PlannedOp(matrix, tuple(op.qubits), slice(start, len(exprs))))

        self._params = _ParamTable(exprs, self.symbols)
        blocks = _fuse(planned, max_block_qubits)
        self._programs = [_BlockProgram(b) for b in blocks]

        # Per block: (time, qsim qubit indices, constant flat float list or None, batched slot).
        self._specs: List[Tuple[int, List[int], Optional[List[float]], int]] = []
        self._batched: List[_BlockProgram] = []
        zero = np.zeros((1, len(exprs)))
        for t, prog in enumerate(self._programs):
            qidx = [self._qsim_index[q] for q in prog.qubits]
            if prog.constant:
                flat = _flat_float32(prog(zero))[0]
                self._specs.append((t, qidx, flat, -1))
            else:
                self._specs.append((t, qidx, None, len(self._batched)))
                self._batched.append(prog)

        if numpy_expectations is None:
            numpy_expectations = len(self.qubits) <= _NUMPY_EV_MAX_QUBITS
        self._evaluator: Optional[_PauliEvaluator] = None
        self._opsums: List[Tuple[List["qsim.OpString"], int]] = []
        if numpy_expectations:
            self._evaluator = _PauliEvaluator(self.observables, self.qubits)
        else:
            self._opsums = _build_opsums(self.observables, self._qsim_index)
        options = QSimOptions(max_fused_gate_size=qsim_fused_gate_size, cpu_threads=num_threads).as_dict()
        options["s"] = 0  # seed: unused for noiseless expectation values but required by qsim
        self._options = options

    @property
    def num_blocks(self) -> int:
        """Number of (fused) matrix gates qsim simulates per parameter set."""
        return len(self._specs)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Expectation values for each parameter set.

        Args:
            values: ``(batch, len(symbols))`` (or 1-D ``(len(symbols),)``) floats.

        Returns:
            ``(batch, len(observables))`` float64 (1-D if ``values`` was 1-D).
        """
        values = np.asarray(values, dtype=np.float64)
        squeeze = values.ndim == 1
        if squeeze:
            values = values[None, :]
        if values.ndim != 2 or values.shape[1] != len(self.symbols):
            raise ValueError(f"values must have shape (batch, {len(self.symbols)}); got {values.shape}")
        batch = values.shape[0]
        params = self._params(values)
        flats = [_flat_float32(prog(params), batch) for prog in self._batched]

        out = np.empty((batch, len(self.observables)), dtype=np.float64)
        add_matrix_gate = qsim.add_matrix_gate
        new_circuit = qsim.Circuit
        num_qubits = len(self.qubits)
        specs = self._specs
        options = self._options

        def build(i: int) -> "qsim.Circuit":
            circ = new_circuit()
            circ.num_qubits = num_qubits
            for t, qidx, const, slot in specs:
                add_matrix_gate(t, qidx, const if const is not None else flats[slot][i], circ)
            return circ

        if self._evaluator is not None:
            dim = self._evaluator.dim
            chunk = max(1, min(batch, _STATE_BUFFER_AMPLITUDES // dim))
            states = np.empty((chunk, 2 * dim), dtype=np.float32)
            simulate_state = qsim.qsim_simulate_fullstate
            for start in range(0, batch, chunk):
                stop = min(batch, start + chunk)
                for i in range(start, stop):
                    options["c"] = build(i)
                    state = simulate_state(options, 0)
                    if state.shape != (2 * dim,):  # qsim reports errors on stderr and returns []
                        raise RuntimeError("qsim simulation failed (see stderr)")
                    states[i - start] = state
                out[start:stop] = self._evaluator(states[: stop - start].view(np.complex64))
        else:
            simulate_ev = qsim.qsim_simulate_expectation_values
            opsums = self._opsums
            for i in range(batch):
                options["c"] = build(i)
                evs = simulate_ev(options, opsums, 0)
                if len(evs) != len(opsums):
                    raise RuntimeError("qsim simulation failed (see stderr)")
                out[i] = [ev.real for ev in evs]
        return out[0] if squeeze else out


def _flat_float32(u: np.ndarray, batch: Optional[int] = None) -> List[List[float]]:
    """(B|1, d, d) complex -> per-row flat [re, im, re, im, ...] float32 lists (qsim's format)."""
    if batch is not None and u.shape[0] != batch:
        u = np.broadcast_to(u, (batch,) + u.shape[1:])
    return np.ascontiguousarray(u, dtype=np.complex64).view(np.float32).reshape(u.shape[0], -1).tolist()


def reference_expectations(
    circuit: cirq.Circuit,
    symbols: Sequence[Union[sympy.Symbol, str]],
    observables: Sequence[Observable],
    values: np.ndarray,
    *,
    simulator: Optional[cirq.SimulatesExpectationValues] = None,
) -> np.ndarray:
    """The plain public path: ``simulate_expectation_values_sweep`` with one resolver per row.

    Used as the ground truth in tests and as the baseline in benchmarks.
    ``simulator`` defaults to ``qsimcirq.QSimSimulator()``; pass
    ``cirq.Simulator(dtype=np.complex128)`` for a float64 cross-check.
    """
    syms = _to_symbols(symbols)
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    resolvers = [cirq.ParamResolver(dict(zip(syms, row.tolist()))) for row in values]
    sim = simulator if simulator is not None else QSimSimulator()
    if isinstance(observables, (cirq.PauliSum, cirq.PauliString)):
        observables = [observables]
    results = sim.simulate_expectation_values_sweep(circuit, list(observables), resolvers)
    return np.real(np.asarray(results, dtype=np.complex128))
