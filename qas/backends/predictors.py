"""Training-free predictors of how a circuit fares under noise.

:func:`clifford_noise_resilience` is Élivágar's Clifford noise resilience (Anagolum et al.,
ASPLOS'24): the circuit, with its angles drawn at random and then snapped to Clifford values,
runs with and without the noise model, and the fidelity of the noisy state to the noiseless one
is its score (1: noise does nothing to it). The snap is done on the circuit the noise acts on
(a device's native circuit, or ``to_cirq``'s compiled to CZ and PhasedXZ), so every gate the
noise model sees is there; a PhasedXZ gate's three exponents are rounded to multiples of 1/2,
which makes it a Clifford gate. Density-matrix simulation: exact, no trajectories; cheap up to
about 8 qubits.

    noise = run.noise                        # a DeviceNoise, NoiseSpec or NoiseFile
    score = clifford_noise_resilience(dag, noise, samples=4, seed=0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qas.core.circuit import CircuitDAG

__all__ = ["clifford_noise_resilience"]


def _snapped(circuit: Any) -> Any:
    """``circuit`` (numbers only) in CZ / sqrt-iSWAP and PhasedXZ gates with Clifford angles."""
    import cirq

    def snap(op: Any, _: int) -> Any:
        g = op.gate
        if isinstance(g, cirq.PhasedXZGate):
            half = lambda e: round(2 * float(e)) / 2  # noqa: E731
            return cirq.PhasedXZGate(x_exponent=half(g.x_exponent), z_exponent=half(g.z_exponent),
                                     axis_phase_exponent=half(g.axis_phase_exponent)).on(*op.qubits)
        return op

    native = all(isinstance(op.gate, cirq.PhasedXZGate) or op.gate in (cirq.CZ, cirq.SQRT_ISWAP)
                 for op in circuit.all_operations())
    if not native:
        circuit = cirq.optimize_for_target_gateset(circuit, gateset=cirq.CZTargetGateset())
        circuit = cirq.Circuit(cirq.PhasedXZGate.from_matrix(cirq.unitary(op)).on(*op.qubits)
                               if cirq.num_qubits(op) == 1 else op for op in circuit.all_operations())
    return cirq.map_operations(circuit, snap)


def clifford_noise_resilience(dag: CircuitDAG, noise: Any, *, samples: int = 4, seed: int = 0) -> float:
    """Mean fidelity <psi|rho|psi> of the noisy to the noiseless state over ``samples`` random
    Clifford versions of ``dag`` under ``noise`` (an object with ``model()``, ``qubits(n)`` and
    ``circuit(dag, params)``: :class:`~qas.backends.noise.NoiseSpec`, ``NoiseFile``, ``DeviceNoise``)."""
    import cirq

    from qas.core.cirq_io import resolver
    from qas.core.feature_weights import lower_inputs

    rng = np.random.default_rng(seed)
    qubits = noise.qubits(dag.num_qubits)
    noisy_sim = cirq.DensityMatrixSimulator(noise=noise.model(), dtype=np.complex128)
    fidelities = []
    for _ in range(samples):
        params = rng.uniform(-np.pi, np.pi, dag.num_params)
        features = rng.uniform(0, np.pi, dag.num_features)
        low, low_params, low_features = lower_inputs(dag, params, features[None] if dag.num_features else None)
        circuit = noise.circuit(low, low_params)
        row = None if low_features is None else low_features[0][: low.num_features]
        circuit = cirq.resolve_parameters(circuit, resolver(low, low_params, row))
        clean = _snapped(circuit)
        clean = clean + cirq.Circuit(cirq.I.on_each(*[q for q in qubits if q not in clean.all_qubits()]))
        psi = cirq.final_state_vector(clean, qubit_order=qubits, dtype=np.complex128)
        rho = noisy_sim.simulate(clean, qubit_order=qubits).final_density_matrix
        fidelities.append(float(np.real(np.conj(psi) @ rho @ psi)))
    return float(np.mean(fidelities))
