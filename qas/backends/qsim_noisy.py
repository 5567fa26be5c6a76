"""Noisy qsim scoring of one circuit over many inputs, translated once (quantum trajectories).

``qsimcirq.QSimSimulator.simulate_expectation_values_sweep`` with a noise model resolves the
noisy circuit and translates it into qsim's ``NoisyCircuit`` again for every input: for a
4-qubit device circuit that is ~75 ms of Python per input against ~10 ms of trajectories.
:class:`QsimTrajectoryExpectation` does what :class:`~qas.backends.qsim_fast.QsimBatchExpectation`
does for noiseless scoring, with the noise model's channels kept in place:

1. **Once per circuit.** The noise model is applied to the symbolic circuit. Its channels
   (mixtures and Kraus channels) are packed in qsim's format once, exactly as qsimcirq's
   ``translate_cirq_to_qtrajectory`` packs them. Gates get batched matrices
   (:mod:`qas.backends.qsim_plan`) and are fused into blocks of at most two qubits that never
   cross a channel on its qubits.
2. **Per call.** Every block's unitary for the whole batch, in numpy.
3. **Per input.** A fresh ``qsim.NoisyCircuit`` of matrix gates and the packed channels, and
   qsim's ``qtrajectory_simulate_expectation_values`` with its own seed.

Seeds follow ``QSimSimulator(seed=s)``: input ``i`` runs with the ``i``-th draw of
``RandomState(s).randint(2**31 - 1)``. Mixture channels draw independently of the state, so
on circuits whose channels are all mixtures (depolarising, bit and phase flips, Pauli noise)
the trajectories are the public path's, and the results agree to float32 round-off.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import cirq
import numpy as np
import sympy
from qsimcirq import QSimOptions, qsim

from qas.backends.qsim_matrices import UnsupportedGateError, gate_matrix
from qas.backends.qsim_observables import Observable, build_opsums
from qas.backends.qsim_plan import (QSIM_MAX_MATRIX_QUBITS, Barrier, BlockProgram, ParamTable, PlannedOp, flat_float32,
                                    fuse, to_symbols)

__all__ = ["QsimTrajectoryExpectation", "channel_data"]

Channel = List[Tuple[float, List[float], bool]]


def channel_data(op: cirq.Operation) -> Optional[Channel]:
    """A noise operation in qsim's ``add_channel`` format, or ``None`` for a gate.

    Mixtures are ``(probability, matrix, True)``; other channels ``(lower bound of the Kraus
    operator's probability, matrix, is unitary)``, as qsimcirq's translator writes them."""
    if cirq.is_measurement(op):
        raise UnsupportedGateError(f"noisy scoring supports gates and channels only, not the measurement {op!r}")
    if cirq.is_parameterized(op) or cirq.has_unitary(op):
        return None
    data: Channel = []
    if cirq.has_mixture(op):
        for prob, mat in cirq.mixture(op):
            square = np.reshape(mat, (int(np.sqrt(np.size(mat))), -1))
            data.append((float(prob), _flat(square), bool(cirq.is_unitary(square))))
        return data
    if cirq.has_kraus(op):
        for mat in cirq.kraus(op):
            square = np.reshape(mat, (int(np.sqrt(np.size(mat))), -1))
            lower = float(min(np.linalg.svd(square)[1]) ** 2)
            data.append((lower, _flat(square), bool(cirq.is_unitary(square))))
        return data
    raise UnsupportedGateError(f"operation {op!r} is neither a gate nor a noise channel")


def _flat(mat: np.ndarray) -> List[float]:
    return np.ascontiguousarray(mat, dtype=np.complex64).reshape(-1).view(np.float32).tolist()


class QsimTrajectoryExpectation:
    """Expectation values of Pauli observables under a noise model, over many parameter sets.

    Args:
        circuit: the parameterized, noiseless cirq circuit (unitary operations).
        symbols: the symbols, in the column order of ``values`` (extra ones are allowed).
        observables: ``cirq.PauliSum`` / ``cirq.PauliString`` observables.
        noise: a ``cirq.NoiseModel`` (or anything ``cirq.NoiseModel.from_noise_model_like`` takes).
        repetitions: trajectories per input (qsim's ``ev_noisy_repetitions``).
        seed: the seed of the per-input seeds (see the module docstring).
        qubits: the qubit order; default: the circuit's qubits, sorted.
    """

    def __init__(
        self,
        circuit: cirq.Circuit,
        symbols: Sequence[Union[sympy.Symbol, str]],
        observables: Sequence[Observable],
        *,
        noise: Any,
        repetitions: int,
        seed: int = 0,
        qubits: Optional[Sequence[cirq.Qid]] = None,
        max_block_qubits: int = 2,
        num_threads: int = 1,
    ) -> None:
        if not 1 <= max_block_qubits <= QSIM_MAX_MATRIX_QUBITS:
            raise ValueError(f"max_block_qubits must be in 1..{QSIM_MAX_MATRIX_QUBITS}")
        if repetitions < 1:
            raise ValueError("repetitions must be >= 1")
        self.symbols = to_symbols(symbols)
        self.observables = [observables] if isinstance(observables, (cirq.PauliSum, cirq.PauliString)) else list(observables)
        self.qubits = tuple(sorted(circuit.all_qubits()) if qubits is None else qubits)
        missing = circuit.all_qubits() - set(self.qubits)
        if missing:
            raise ValueError(f"`qubits` is missing circuit qubits {sorted(missing)}")
        self.seed = seed
        model = cirq.NoiseModel.from_noise_model_like(noise)
        noisy = cirq.Circuit(model.noisy_moments(circuit, sorted(circuit.all_qubits())))

        items: List[Union[PlannedOp, Barrier]] = []
        exprs: List[sympy.Expr] = []
        for moment in noisy:
            channels = []
            for op in moment:  # a moment's gates come before its channels, as in qsimcirq
                data = channel_data(op)
                if data is not None:
                    channels.append(Barrier(tuple(op.qubits), data))
                    continue
                if op.gate is None:
                    raise UnsupportedGateError(f"noisy scoring supports gates and channels only: {op!r}")
                matrix = gate_matrix(op.gate, op)
                start = len(exprs)
                exprs.extend(matrix.exprs)
                items.append(PlannedOp(matrix, tuple(op.qubits), slice(start, len(exprs))))
            items.extend(channels)
        self._params = ParamTable(exprs, self.symbols)
        index = {q: i for i, q in enumerate(reversed(self.qubits))}  # qsim numbers qubits in reverse
        zero = np.zeros((1, len(exprs)))
        # Per step: (qsim qubits, packed channel | constant gate | None, batched slot)
        self._steps: List[Tuple[List[int], Any, int]] = []
        self._batched: List[BlockProgram] = []
        self.num_channels = 0
        for block in fuse(items, max_block_qubits):
            qidx = [index[q] for q in block.qubits]
            if block.barrier is not None:
                self._steps.append((qidx, block.barrier.payload, -2))
                self.num_channels += 1
                continue
            prog = BlockProgram(block)
            if prog.constant:
                self._steps.append((qidx, flat_float32(prog(zero))[0], -1))
            else:
                self._steps.append((qidx, None, len(self._batched)))
                self._batched.append(prog)
        self._opsums = build_opsums(self.observables, index)
        options = QSimOptions(max_fused_gate_size=2, cpu_threads=num_threads, ev_noisy_repetitions=repetitions).as_dict()
        self._options = options

    @property
    def num_steps(self) -> int:
        """Matrix gates and channels qsim gets per input."""
        return len(self._steps)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """``(batch, len(symbols))`` values -> ``(batch, len(observables))`` float64."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        if values.shape[1] != len(self.symbols):
            raise ValueError(f"values must have shape (batch, {len(self.symbols)}); got {values.shape}")
        batch = len(values)
        params = self._params(values)
        flats = [flat_float32(prog(params), batch) for prog in self._batched]
        prng = np.random.RandomState(self.seed)
        out = np.empty((batch, len(self.observables)))
        options = dict(self._options)
        add_gate, add_channel = qsim.add_matrix_gate_channel, qsim.add_channel
        for i in range(batch):
            circuit = qsim.NoisyCircuit()
            circuit.num_qubits = len(self.qubits)
            for t, (qidx, const, slot) in enumerate(self._steps):
                if slot == -2:
                    add_channel(t, qidx, const, circuit)
                else:
                    add_gate(t, qidx, const if slot == -1 else flats[slot][i], circuit)
            options["c"] = circuit
            options["s"] = prng.randint(2**31 - 1)
            evs = qsim.qtrajectory_simulate_expectation_values(options, self._opsums, 0)
            if len(evs) != len(self._opsums):
                raise RuntimeError("qsim simulation failed (see stderr)")
            out[i] = [ev.real for ev in evs]
        return out
