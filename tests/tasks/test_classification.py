"""Classification readout defaults: the logit scale per variant, and the 10-qubit default space."""

import numpy as np
import pytest

from qas.core.errors import QasError
from qas.tasks import make_task
from search_spaces import load_space
from search_spaces.ansatze import build_ansatz


@pytest.mark.parametrize("variant, scale", [("fashion-2", 5.0), ("fashion-4", 5.0), ("fashion-10", 20.0), ("mnist-10", 20.0)])
def test_default_logit_scale_per_variant(variant, scale):
    task = make_task(variant)
    assert task.logit_scale == scale and task.config()["logit_scale"] == scale
    z = np.full((1, task.num_qubits), -0.5)
    z[0, 0] = 0.25
    logits = task.logits(z)
    group = task.num_qubits // len(task.classes)
    assert logits.shape == (1, len(task.classes))
    assert logits[0, 0] == pytest.approx(scale * (0.25 - 0.5 * (group - 1)))
    assert logits[0, 1] == pytest.approx(scale * -0.5 * group)


def test_explicit_logit_scale_wins_and_bad_one_is_refused():
    assert make_task("fashion-10", logit_scale=5.0).logit_scale == 5.0
    with pytest.raises(QasError, match="logit_scale must be positive"):
        make_task("fashion-2", logit_scale=0.0)
    with pytest.raises(QasError, match="logit_scale must be a positive number, got 'abc'"):
        make_task("fashion-2", logit_scale="abc")


def test_ten_qubit_default_space_holds_the_hand_designed_cell():
    task = make_task("fashion-10")
    space = load_space(task.default_space)
    assert space.reuploads == 5 and space.encoding.weighted
    cell = build_ansatz("u3cu3:2", space)
    assert space.contains(cell)  # depth 22 on a 10-qubit ring: the final round lets it compete
    assert cell.num_params == 5 * (2 * 36 + 2 * (10 * 3 + 10 * 3))
