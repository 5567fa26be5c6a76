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
   way that respects gate ordering.  (:mod:`qas.backends.qsim_plan`, with the
   gate matrices in :mod:`qas.backends.qsim_matrices`.)
2. **Batch (once per call).**  Each block's unitary is computed for the whole
   batch with a gather + batched ``matmul`` per gate (cheap: 4x4 matrices), cast to
   complex64 (qsim is float32), and converted to Python lists in one go.
3. **Per input.**  Only a fresh ``qsim.Circuit`` is filled with one
   ``qsim.add_matrix_gate`` per block and simulated.  No cirq, no sympy in
   the loop.  By default (<= 14 qubits) qsim returns the final state
   (``qsim_simulate_fullstate``) and the observables are evaluated for the
   whole batch at once in numpy; otherwise qsim's own
   ``qsim_simulate_expectation_values`` is called per input
   (:mod:`qas.backends.qsim_observables`).

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

from typing import List, Optional, Sequence, Tuple, Union

import cirq
import numpy as np
import sympy
from qsimcirq import qsim
from qsimcirq import QSimOptions, QSimSimulator

from qas.backends.qsim_matrices import UnsupportedGateError
from qas.backends.qsim_observables import Observable, PauliEvaluator, build_opsums
from qas.backends.qsim_plan import QSIM_MAX_MATRIX_QUBITS, BlockProgram, flat_float32, plan_circuit, to_symbols

__all__ = [
    "QsimBatchExpectation",
    "UnsupportedGateError",
    "reference_expectations",
]

#: Default cut-off for evaluating observables in numpy from full states.
_NUMPY_EV_MAX_QUBITS = 14
#: Max complex amplitudes held at once when collecting states (bounds memory: 2**22 * 8 B = 32 MiB).
_STATE_BUFFER_AMPLITUDES = 2**22


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
            observables for the whole batch in numpy (:class:`PauliEvaluator`)
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
        if max_block_qubits < 1 or max_block_qubits > QSIM_MAX_MATRIX_QUBITS:
            raise ValueError(f"max_block_qubits must be in 1..{QSIM_MAX_MATRIX_QUBITS}")
        self.symbols = to_symbols(symbols)
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

        plan = plan_circuit(circuit, self.symbols, max_block_qubits)
        self._params = plan.params
        self._programs = plan.programs

        # Per block: (time, qsim qubit indices, constant flat float list or None, batched slot).
        self._specs: List[Tuple[int, List[int], Optional[List[float]], int]] = []
        self._batched: List[BlockProgram] = []
        zero = np.zeros((1, plan.num_exprs))
        for t, prog in enumerate(self._programs):
            qidx = [self._qsim_index[q] for q in prog.qubits]
            if prog.constant:
                flat = flat_float32(prog(zero))[0]
                self._specs.append((t, qidx, flat, -1))
            else:
                self._specs.append((t, qidx, None, len(self._batched)))
                self._batched.append(prog)

        if numpy_expectations is None:
            numpy_expectations = len(self.qubits) <= _NUMPY_EV_MAX_QUBITS
        self._evaluator: Optional[PauliEvaluator] = None
        self._opsums: List[Tuple[List["qsim.OpString"], int]] = []
        if numpy_expectations:
            self._evaluator = PauliEvaluator(self.observables, self.qubits)
        else:
            self._opsums = build_opsums(self.observables, self._qsim_index)
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
        flats = [flat_float32(prog(params), batch) for prog in self._batched]

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
    syms = to_symbols(symbols)
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    resolvers = [cirq.ParamResolver(dict(zip(syms, row.tolist()))) for row in values]
    sim = simulator if simulator is not None else QSimSimulator()
    if isinstance(observables, (cirq.PauliSum, cirq.PauliString)):
        observables = [observables]
    results = sim.simulate_expectation_values_sweep(circuit, list(observables), resolvers)
    return np.real(np.asarray(results, dtype=np.complex128))
