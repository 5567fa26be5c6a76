"""Training-free predictors against what physics fixes."""

from __future__ import annotations

import numpy as np
import pytest

from qas import CircuitDAG, Gate
from qas.backends import entangling_capability, expressibility, gradient_variance
from search_spaces import load_space
from search_spaces.ansatze import build_ansatz


def test_gradient_variance_of_one_ry_is_the_variance_of_its_sine():
    """<Z> after RY(t) is cos t, so the gradients are -sin t at the same random angles."""
    dag = CircuitDAG(1, [Gate("RY", (0,), "trainable")])
    theta = np.random.default_rng(7).uniform(-np.pi, np.pi, (50, 1))[:, 0]
    assert gradient_variance(dag, samples=50, seed=7) == pytest.approx(np.var(np.sin(theta), ddof=1), abs=1e-12)
    assert gradient_variance(CircuitDAG(2, [Gate("CZ", (0, 1))])) == 0.0


def test_entanglement_is_zero_for_product_circuits_and_haar_like_for_deep_ones():
    space = load_space("paper-4q")
    product = CircuitDAG(4, [Gate("U3", (q,), "trainable") for q in range(4)] + [Gate("RX", (0,), "trainable")])
    assert entangling_capability(product) == pytest.approx(0.0, abs=1e-12)
    deep = build_ansatz("u3cu3:8", space)
    assert entangling_capability(deep, samples=200) == pytest.approx(14 / 17, abs=0.03)  # Haar: (2^n - 2) / (2^n + 1)


def test_expressibility_rises_with_depth_towards_haar():
    space = load_space("paper-4q")
    one_qubit = CircuitDAG(4, [Gate("RY", (q,), "trainable") for q in range(4)])
    values = [expressibility(d) for d in (one_qubit, build_ansatz("u3cu3:1", space), build_ansatz("u3cu3:8", space))]
    assert values[0] < values[1] < values[2] <= 0.0
    assert values[2] > -0.1  # 200 pairs in 75 bins: the estimate's own bias is about this size


def test_features_count_as_random_angles():
    """A QNN's encoding gates take random features: an RY on a feature spreads the state like a trained one."""
    fed = CircuitDAG(1, [Gate("RY", (0,), "feature", feature=0), Gate("RZ", (0,), "trainable")])
    assert expressibility(fed) > expressibility(CircuitDAG(1, [Gate("RZ", (0,), "trainable")]))
