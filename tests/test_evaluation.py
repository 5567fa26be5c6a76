"""Trainer, evaluation and result cache on real small tasks."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from qas import CircuitDAG, CircuitError, Gate
from qas.cache import ResultCache
from qas.evaluation import evaluate
from qas.tasks import make_task
from qas.tasks.base import Batch
from qas.trainer import TrainConfig, train
from search_spaces import load_space
from search_spaces.ansatze import build_ansatz

FAST = TrainConfig(epochs=1, batch_size=32, lr=0.05)


@pytest.fixture(scope="module")
def fashion():
    return make_task("fashion-2", train_limit=300, val_limit=100, test_limit=200)


@pytest.fixture(scope="module")
def ansatz():
    return build_ansatz("u3cu3:1", load_space("qml-4q"))


def test_training_is_deterministic_for_a_seed(fashion, ansatz):
    a = train(ansatz, fashion, FAST)
    b = train(ansatz, fashion, FAST)
    c = train(ansatz, fashion, TrainConfig(epochs=1, batch_size=32, lr=0.05, seed=1))
    assert np.array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


def test_training_learns_something(fashion, ansatz):
    result = train(ansatz, fashion, TrainConfig(epochs=2, batch_size=16, lr=0.05))
    assert result.val_score > 0.7  # two balanced classes: chance is 0.5


def test_evaluate_scores_on_qsim_and_caches(tmp_path, fashion, ansatz, monkeypatch):
    cache = ResultCache(tmp_path / "cache.sqlite")
    first = evaluate(ansatz, fashion, FAST, splits=("val",), cache=cache)
    assert not first.cached and 0.0 <= first.score <= 1.0
    assert abs(first.metrics["val_score"] - first.metrics["torch_val_score"]) <= 0.02
    # a cache hit never trains: make training explode to prove it
    import qas.evaluation

    monkeypatch.setattr(qas.evaluation, "train", lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    again = evaluate(ansatz, fashion, FAST, splits=("val", "test"), cache=cache)
    assert again.cached and again.params == first.params
    assert "test_accuracy" in again.metrics and cache.hits == 1
    assert len(cache) == 1
    other_seed = TrainConfig(epochs=1, batch_size=32, lr=0.05, seed=5)
    with pytest.raises(AssertionError, match="retrained"):
        evaluate(ansatz, fashion, other_seed, cache=cache)


def test_qubit_mismatch_is_a_clear_error(fashion):
    dag = CircuitDAG(3, [Gate("H", (0,))])
    with pytest.raises(CircuitError, match="the circuit has 3 qubits but task .* needs 4"):
        evaluate(dag, fashion, FAST)


def test_classification_metrics_by_hand():
    task = make_task("fashion-2", logit_scale=1.0)
    z = np.array([[0.9, 0.8, -0.1, 0.0], [-0.5, -0.5, 0.2, 0.3], [0.1, 0.1, 0.1, 0.1]])
    # logits: (q0+q1, q2+q3) -> [1.7, -0.1], [-1.0, 0.5], [0.2, 0.2]
    m = task.metrics(z, Batch(None, np.array([0, 1, 1])))
    assert m["accuracy"] == pytest.approx(2 / 3)  # the tie goes to class 0
    expected_loss = np.mean([np.log1p(np.exp(-1.8)), np.log1p(np.exp(-1.5)), np.log(2)])
    assert m["loss"] == pytest.approx(expected_loss, abs=1e-12)


def test_cache_survives_sigkill_mid_write(tmp_path):
    """A writer killed at a random point leaves a readable cache holding every committed row."""
    path = tmp_path / "cache.sqlite"
    script = textwrap.dedent(
        f"""
        from qas.cache import ResultCache
        from qas.records import EvaluationRecord
        cache = ResultCache({str(path)!r})
        i = 0
        while True:
            cache.put(f"k{{i}}", EvaluationRecord(f"c{{i}}", "{{}}", "t", {{}}, {{}}, (0.1,) * 500, float(i)))
            print(i, flush=True)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    done = -1
    for line in proc.stdout:
        done = int(line)
        if done >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cache = ResultCache(path)
    assert len(cache) >= done + 1
    assert cache.get(f"k{done}").score == float(done)
