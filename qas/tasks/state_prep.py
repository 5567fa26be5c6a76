"""``state-prep``: prepare a fixed target state (Sun et al. 2024's state-preparation task).

The target is the state of a seeded random circuit of the task's space (``paper-4q`` for 4
qubits, ``paper-8q`` for 8): the circuit is ``sample_circuit(space, random.Random(seed))``,
its parameters ``np.random.default_rng(seed).uniform(-pi, pi, num_params)``, and the state
comes from ``cirq.Simulator(dtype=complex128)`` on ``to_cirq(dag, params)`` with qubit order
``LineQubit.range(n)`` (big-endian, idle qubits included).

Because the target is drawn from the same space, it is reachable exactly: that very circuit
with those parameters has fidelity 1 (up to the simulator's precision). Most other circuits
of the space cannot reach it (DESIGN.md §4: about 1 random 4-qubit circuit in 10,000 reaches
0.95), which is what makes this a search task.
"""

from __future__ import annotations

import math
import random
from functools import cached_property
from typing import Any

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.readout import Readout
from qas.tasks.base import TASKS, Batch, Task

SPACE_FOR_QUBITS = {4: "paper-4q", 8: "paper-8q"}


@TASKS.register("state-prep")
class StatePrep(Task):
    """Maximise ``|<target|psi>|^2``."""

    name = "state-prep"
    score_name = "fidelity"
    #: the final round trains at the search's rate: FINAL_TRAIN's lr 0.01 is the data tasks' (tfim-8: a
    #: circuit at 0.922 after the search's 150 steps at 0.05 fell to 0.903 after 500 at 0.01; 0.924 at 0.05)
    final_train = {"lr": 0.05}

    def __init__(self, *, num_qubits: int = 4, target_seed: int = 0) -> None:
        from qas.core.errors import UnknownNameError

        if num_qubits not in SPACE_FOR_QUBITS:
            raise UnknownNameError(f"state-prep supports num_qubits in {sorted(SPACE_FOR_QUBITS)}, got {num_qubits!r}")
        self.num_qubits = int(num_qubits)
        self.target_seed = int(target_seed)
        self.readout = Readout("state")
        self._torch_target: dict[Any, Any] = {}

    @property
    def default_space(self) -> str:
        return SPACE_FOR_QUBITS[self.num_qubits]

    def config(self) -> dict[str, Any]:
        return {"num_qubits": self.num_qubits, "target_seed": self.target_seed}

    # -- the target ----------------------------------------------------------------------------
    @cached_property
    def target_circuit(self) -> CircuitDAG:
        """The seeded random circuit of the space whose state is the target."""
        from search_spaces import SPACES, sample_circuit

        space = SPACES.get(self.default_space)()
        return sample_circuit(space, random.Random(self.target_seed))

    @cached_property
    def target_params(self) -> np.ndarray:
        rng = np.random.default_rng(self.target_seed)
        return rng.uniform(-math.pi, math.pi, self.target_circuit.num_params)

    @cached_property
    def target_state(self) -> np.ndarray:
        """The target state, complex128, shape ``(2**n,)``, big-endian."""
        import cirq

        from qas.core.cirq_io import to_cirq

        circuit = to_cirq(self.target_circuit, self.target_params)
        result = cirq.Simulator(dtype=np.complex128).simulate(
            circuit, qubit_order=cirq.LineQubit.range(self.num_qubits)
        )
        state = np.asarray(result.final_state_vector, dtype=np.complex128)
        return state / np.linalg.norm(state)

    def _target_like(self, outputs: Any) -> Any:
        import torch

        key = (outputs.dtype, outputs.device)
        if key not in self._torch_target:
            self._torch_target[key] = torch.as_tensor(self.target_state, dtype=outputs.dtype, device=outputs.device)
        return self._torch_target[key]

    # -- loss and metrics ----------------------------------------------------------------------
    def loss(self, outputs: Any, batch: Batch) -> Any:
        """``1 - mean |<target|psi>|^2`` over the batch; ``outputs`` is ``(B, 2**n)`` complex."""
        overlap = outputs @ self._target_like(outputs).conj()
        fidelity = overlap.real**2 + overlap.imag**2
        return 1 - fidelity.mean()

    def fidelity(self, outputs: np.ndarray) -> np.ndarray:
        """Per-row fidelity of ``(B, 2**n)`` (or one ``(2**n,)``) states to the target."""
        psi = np.asarray(outputs, dtype=np.complex128).reshape(-1, 2**self.num_qubits)
        return np.abs(psi @ self.target_state.conj()) ** 2

    def metrics(self, outputs: np.ndarray, batch: Batch) -> dict[str, float]:
        fid = float(self.fidelity(outputs).mean())
        return {"fidelity": fid, "score": fid}
