"""Training-free predictors: what can be said of a circuit before any training.

Three from the QAS literature, on the torch statevector (float64), with angles drawn uniformly
in [-pi, pi] and features in [0, pi]:

- :func:`expressibility` (Sim et al. 2019): minus the KL divergence between the distribution of
  fidelities of pairs of its random states and the Haar one (0 is Haar-like; more negative is
  less expressive);
- :func:`entangling_capability` (Sim et al. 2019): the mean Meyer-Wallach entanglement of its
  random states (0: product states, 1: maximal);
- :func:`gradient_variance` (McClean et al. 2018): the variance over random angles of the
  gradient of the mean ``<Z>`` over the qubits, averaged over the angles (a barren plateau makes
  it vanish).

and one for noise:

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

__all__ = ["clifford_noise_resilience", "entangling_capability", "expressibility", "gradient_variance"]


def _random_states(dag: CircuitDAG, samples: int, rng: np.random.Generator, *, grad: bool = False) -> Any:
    """``(samples, 2**n)`` states at random angles and features (and the angles, for gradients)."""
    import torch

    from qas.backends.torch_sv import TorchCircuit

    circuit = TorchCircuit(dag, dtype=torch.complex128)
    params = torch.as_tensor(rng.uniform(-np.pi, np.pi, (samples, dag.num_params)))
    feats = torch.as_tensor(rng.uniform(0, np.pi, (samples, dag.num_features))) if dag.num_features else None
    params.requires_grad_(grad)
    # one vectorised call over the samples (torch.func.vmap: 12x the loop on a 4-qubit QNN)
    if feats is None:
        states = torch.func.vmap(lambda p: circuit.state(p)[0])(params)
    else:
        states = torch.func.vmap(lambda p, x: circuit.state(p, x[None])[0])(params, feats)
    return states, params


def expressibility(dag: CircuitDAG, *, pairs: int = 200, bins: int = 75, seed: int = 0) -> float:
    """Minus ``KL(P_circuit(F) || P_Haar(F))`` over ``pairs`` pairs of random states (Sim et al.
    2019, with their 75 bins): higher is more expressive, 0 at best."""
    import torch

    states, _ = _random_states(dag, 2 * pairs, np.random.default_rng(seed))
    with torch.no_grad():
        fid = (states[:pairs].conj() * states[pairs:]).sum(1).abs().square().numpy()
    edges = np.linspace(0.0, 1.0, bins + 1)
    p = np.histogram(np.clip(fid, 0.0, 1.0), bins=edges)[0] / pairs
    dim = 2 ** dag.num_qubits
    haar = (1 - edges[:-1]) ** (dim - 1) - (1 - edges[1:]) ** (dim - 1)  # P_Haar integrated over each bin
    mask = p > 0
    return -float(np.sum(p[mask] * np.log(p[mask] / np.maximum(haar[mask], 1e-300))))


def entangling_capability(dag: CircuitDAG, *, samples: int = 100, seed: int = 0) -> float:
    """Mean Meyer-Wallach ``Q = 2 (1 - mean_k tr(rho_k^2))`` of random states (Sim et al. 2019)."""
    import torch

    n = dag.num_qubits
    if n < 2:
        return 0.0
    states, _ = _random_states(dag, samples, np.random.default_rng(seed))
    with torch.no_grad():
        psi = states.reshape(samples, *([2] * n))
        purity = torch.zeros(samples, dtype=torch.float64)
        for k in range(n):
            m = psi.movedim(1 + k, 1).reshape(samples, 2, -1)  # qubit k against the rest
            rho = m @ m.conj().transpose(1, 2)
            purity += (rho.abs().square()).sum((1, 2))
    return float((2 * (1 - purity / n)).mean())


def gradient_variance(dag: CircuitDAG, *, samples: int = 50, seed: int = 0) -> float:
    """Variance over random angles of ``d<Z>/dtheta`` (``<Z>``: the mean over the qubits),
    averaged over the angles; 0 for a circuit without trainable angles."""
    import torch

    from qas.backends.torch_sv import z_signs

    if dag.num_params == 0:
        return 0.0
    states, params = _random_states(dag, samples, np.random.default_rng(seed), grad=True)
    probs = states.abs().square()
    cost = (probs @ z_signs(dag.num_qubits, probs.dtype)).mean(1)  # one cost per sample
    (grads,) = torch.autograd.grad(cost.sum(), params)  # row i: the gradient of sample i's cost
    return float(grads.var(0).mean())


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
