"""What a circuit costs to run: the figures a chemist or a hardware user compares.

Two-qubit gates are counted after Cirq compiles the circuit to CZ and one-qubit gates
(``cirq.CZTargetGateset``; a CZ is a CNOT up to Hadamards on the target, so the count is the
CNOT count), with generic angles so that no gate cancels by accident of its values. Depth is
the number of moments of that compiled circuit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qas.core.circuit import CircuitDAG


@dataclass(frozen=True)
class CircuitCost:
    two_qubit: int      # CNOT (= CZ) count after compilation to CZ + one-qubit gates
    depth: int          # moments of the compiled circuit
    params: int         # trainable parameters
    gates: int          # gates as searched (before compilation)

    def __str__(self) -> str:
        return (f"{self.two_qubit} two-qubit gates (CNOT/CZ after compilation), depth {self.depth}, "
                f"{self.params} trainable parameters")


def circuit_cost(dag: CircuitDAG, *, seed: int = 0) -> CircuitCost:
    """Compile ``dag`` (angles drawn at random, features too) and count its gates."""
    import cirq

    from qas.core.cirq_io import to_cirq

    rng = np.random.default_rng(seed)
    circuit = to_cirq(dag, rng.uniform(0.1, 3.0, dag.num_params), rng.uniform(0.1, 3.0, dag.num_features))
    compiled = cirq.optimize_for_target_gateset(circuit, gateset=cirq.CZTargetGateset())
    two = sum(1 for op in compiled.all_operations() if cirq.num_qubits(op) == 2)
    return CircuitCost(two, len(compiled), dag.num_params, len(dag))
