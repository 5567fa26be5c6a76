"""A batched, differentiable statevector simulator on torch: the training backend.

Candidate training needs gradients over thousands of inputs; qsim through ``qsimcirq`` pays
~0.6 ms of Python/Cirq overhead per input circuit (../shared/COSTS.md), so training runs here
and qsim scores. One :class:`TorchCircuit` is compiled per circuit structure and applies each
gate to the whole batch at once. States are ``(B, 2**n)`` in Cirq's big-endian order.

Speed-ups that keep the maths identical:
- the data-encoding prefix (feature rotations that come first on their wires) is built
  directly as a product state, one 2-vector per qubit, instead of gate by gate;
- consecutive single-qubit gates on one wire with shared (trainable/fixed) angles are fused
  into one 2x2 matrix per forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from qas.backends.torch_gates import MATRICES
from qas.circuit import CircuitDAG, Gate
from qas.tasks.base import Readout


@dataclass(frozen=True)
class _Op:
    kind: str
    qubits: tuple[int, ...]
    source: str  # "none" | "fixed" | "param" | "feature"
    index: tuple[int, ...] = ()  # param indices or (feature,)
    angles: tuple[float, ...] = ()


class TorchCircuit:
    """A compiled circuit: ``state(params, features)`` for a batch of inputs."""

    def __init__(self, dag: CircuitDAG, *, dtype: torch.dtype = torch.complex64) -> None:
        self.dag = dag
        self.n = dag.num_qubits
        self.dtype = dtype
        self.real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
        self._prefix, self._ops = self._compile(dag)

    @staticmethod
    def _compile(dag: CircuitDAG) -> tuple[list[list[_Op]], list[_Op]]:
        ops: list[_Op] = []
        for g, sl in zip(dag.gates, dag.param_slices()):
            if g.role == "fixed":
                ops.append(_Op(g.kind, g.qubits, "fixed", angles=g.angles))
            elif g.role == "trainable":
                ops.append(_Op(g.kind, g.qubits, "param", tuple(range(sl.start, sl.stop))))
            elif g.role == "feature":
                ops.append(_Op(g.kind, g.qubits, "feature", (g.feature,)))
            else:
                ops.append(_Op(g.kind, g.qubits, "none"))
        # Leading one-qubit gates on each wire (before any two-qubit gate touches it) act on
        # a product state: keep them per qubit and build the product directly.
        prefix: list[list[_Op]] = [[] for _ in range(dag.num_qubits)]
        blocked = [False] * dag.num_qubits
        rest: list[_Op] = []
        for op in ops:
            if len(op.qubits) == 1 and not blocked[op.qubits[0]]:
                prefix[op.qubits[0]].append(op)
            else:
                rest.append(op)
                for q in op.qubits:
                    blocked[q] = True
        return prefix, rest

    # -- matrices -------------------------------------------------------------------------
    def _matrix(self, op: _Op, params: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        fn = MATRICES[op.kind]
        if op.source == "none":
            return fn((), self.dtype)
        if op.source == "fixed":
            return fn([torch.tensor(a, dtype=self.real_dtype) for a in op.angles], self.dtype)
        if op.source == "param":
            return fn([params[i] for i in op.index], self.dtype)
        assert features is not None
        return fn([features[:, op.index[0]]], self.dtype)

    # -- simulation -----------------------------------------------------------------------
    def state(self, params: torch.Tensor | np.ndarray | Sequence[float], features: torch.Tensor | np.ndarray | None = None,
              batch_size: int | None = None) -> torch.Tensor:
        """Final states ``(B, 2**n)``; ``B`` is the number of feature rows (1 without data)."""
        params = torch.as_tensor(params, dtype=self.real_dtype)
        if features is not None:
            features = torch.as_tensor(features, dtype=self.real_dtype)
            if features.ndim != 2 or features.shape[1] < self.dag.num_features:
                raise ValueError(f"features must be (batch, >= {self.dag.num_features}), got {tuple(features.shape)}")
        elif self.dag.num_features:
            raise ValueError(f"this circuit reads {self.dag.num_features} features; none given")
        if params.shape != (self.dag.num_params,):
            raise ValueError(f"expected {self.dag.num_params} parameters, got shape {tuple(params.shape)}")
        b = features.shape[0] if features is not None else (batch_size or 1)
        state = self._product_state(params, features, b)
        for op in self._ops:
            state = self._apply(state, self._matrix(op, params, features), op.qubits, b)
        return state.reshape(b, 2**self.n)

    def _product_state(self, params: torch.Tensor, features: torch.Tensor | None, b: int) -> torch.Tensor:
        state = torch.ones(b, 1, dtype=self.dtype)
        zero = torch.tensor([1, 0], dtype=self.dtype)
        for q in range(self.n):
            vec = zero.expand(b, 2)
            for op in self._prefix[q]:
                m = self._matrix(op, params, features)
                vec = torch.einsum("...ij,bj->bi", m, vec) if m.ndim == 2 else torch.einsum("bij,bj->bi", m, vec)
            state = (state[:, :, None] * vec[:, None, :]).reshape(b, -1)
        return state.reshape((b,) + (2,) * self.n)

    def _apply(self, state: torch.Tensor, m: torch.Tensor, qubits: tuple[int, ...], b: int) -> torch.Tensor:
        k = len(qubits)
        axes = [q + 1 for q in qubits]
        moved = torch.movedim(state, axes, list(range(self.n + 1 - k, self.n + 1)))
        shape = moved.shape
        flat = moved.reshape(b, -1, 2**k)
        if m.ndim == 2:
            out = flat @ m.transpose(-1, -2)
        else:
            out = torch.bmm(flat, m.transpose(-1, -2))
        return torch.movedim(out.reshape(shape), list(range(self.n + 1 - k, self.n + 1)), axes)


# -- readouts ------------------------------------------------------------------------------
_Z_SIGNS: dict[tuple[int, torch.dtype], torch.Tensor] = {}
_HAMILTONIANS: dict[tuple, torch.Tensor] = {}


def z_signs(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(2**n, n)`` matrix of Z eigenvalues: row = basis state, column = qubit (big-endian)."""
    key = (n, dtype)
    if key not in _Z_SIGNS:
        idx = torch.arange(2**n)
        bits = (idx[:, None] >> torch.arange(n - 1, -1, -1)[None, :]) & 1
        _Z_SIGNS[key] = (1 - 2 * bits).to(dtype)
    return _Z_SIGNS[key]


def hamiltonian_matrix(hamiltonian: tuple[tuple[float, str], ...], n: int, dtype: torch.dtype) -> torch.Tensor:
    from qas.tasks.base import pauli_matrix

    key = (hamiltonian, n, dtype)
    if key not in _HAMILTONIANS:
        _HAMILTONIANS[key] = torch.as_tensor(pauli_matrix(hamiltonian, n), dtype=dtype)
    return _HAMILTONIANS[key]


def readout(state: torch.Tensor, spec: Readout, n: int) -> torch.Tensor:
    """Apply a task's :class:`~qas.tasks.base.Readout` to a batch of states (differentiable)."""
    if spec.kind == "state":
        return state
    probs = state.real**2 + state.imag**2
    if spec.kind == "z":
        return probs @ z_signs(n, probs.dtype)
    if spec.kind == "energy":
        h = hamiltonian_matrix(spec.hamiltonian, n, state.dtype)
        return torch.einsum("bi,bi->b", state.conj(), state @ h.T).real
    raise ValueError(f"unknown readout {spec.kind!r}")


def torch_readout(dag: CircuitDAG, params: np.ndarray, features: np.ndarray | None, spec: Readout,
                  *, dtype: torch.dtype = torch.complex64, chunk: int = 4096) -> np.ndarray:
    """Non-differentiable convenience: the readout as float64/complex128 numpy, in chunks."""
    circ = TorchCircuit(dag, dtype=dtype)
    with torch.no_grad():
        if features is None:
            return readout(circ.state(params), spec, dag.num_qubits).numpy()
        parts = [readout(circ.state(params, features[i:i + chunk]), spec, dag.num_qubits).numpy()
                 for i in range(0, len(features), chunk)]
    return np.concatenate(parts)
