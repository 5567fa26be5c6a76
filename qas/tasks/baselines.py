"""Classical baselines on the same features a QNN sees, to give QNN scores context.

A QNN reaching 85% on 16 pooled pixels means little on its own; next to what a linear
model gets on exactly those 16 numbers it says whether the circuit learned anything a
logistic regression could not. The CLI prints :func:`logistic_regression_accuracy` next to
QNN scores, and ``experiments/logreg_baseline.py`` records it for the standard tasks.

The model is multinomial logistic regression with an L2 penalty on the weights (not the
bias), fitted by Newton's method: with at most a few hundred parameters the exact Hessian
is cheap, converges in a handful of steps and needs no learning rate, and the problem is
convex, so the result does not depend on any seed. Features are standardised with the
training split's statistics first. The penalty is chosen on the validation split by
log-loss (on a few hundred validation images accuracy moves in coarse steps and ties).

The arithmetic runs in torch (float64) on one thread. The problem is small (a Hessian of
at most 370x370), so threads gain little on an idle machine, but on a busy one (a search
runs several evaluations side by side) threaded BLAS slowed the same fit down 5-20x; numpy
cannot be limited to one thread without an extra dependency, torch can.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from qas.tasks.datasets import ClassificationData

__all__ = ["L2_GRID", "fit_softmax_regression", "logistic_regression_accuracy"]

# Penalty strengths tried, on the mean per-example loss: l2/2 * ||W||^2.
L2_GRID: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
_BIAS_RIDGE = 1e-9  # keeps the Hessian invertible along the softmax's shift symmetry

Tensor = torch.Tensor


@contextmanager
def _one_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _as_tensor(a: np.ndarray | Tensor, dtype: torch.dtype = torch.float64) -> Tensor:
    if isinstance(a, Tensor):
        return a.to(dtype)
    numpy_dtype = {torch.float64: np.float64, torch.int64: np.int64}[dtype]
    return torch.from_numpy(np.array(a, dtype=numpy_dtype))  # a writable copy


def _with_bias(x: Tensor) -> Tensor:
    return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)


def _objective(theta: Tensor, xa: Tensor, y: Tensor, ridge: Tensor) -> float:
    z = xa @ theta
    nll = torch.logsumexp(z, dim=1) - z.gather(1, y[:, None])[:, 0]
    return float(nll.mean() + 0.5 * (ridge[:, None] * theta**2).sum())


def _gradient(theta: Tensor, xa: Tensor, y: Tensor, ridge: Tensor) -> Tensor:
    residual = torch.softmax(xa @ theta, dim=1)
    residual[torch.arange(len(y)), y] -= 1.0
    return xa.T @ residual / len(y) + ridge[:, None] * theta


def _hessian(theta: Tensor, xa: Tensor, ridge: Tensor) -> Tensor:
    """Hessian (k*D, k*D) of the objective, parameters ordered class-major (theta.T)."""
    n, dim = xa.shape
    k = theta.shape[1]
    p = torch.softmax(xa @ theta, dim=1)
    # H = blockdiag_a(X^T diag(p_a) X) - M^T M, with M[n, (a, i)] = p_na x_ni; all over n.
    m = (p[:, :, None] * xa[:, None, :]).reshape(n, k * dim)
    hess = -(m.T @ m)
    for a in range(k):
        block = slice(a * dim, (a + 1) * dim)
        hess[block, block] += (xa * p[:, a : a + 1]).T @ xa
    hess /= n
    hess.diagonal().add_(ridge.repeat(k))
    return hess


def fit_softmax_regression(
    x: np.ndarray | Tensor,
    y: np.ndarray | Tensor,
    n_classes: int,
    l2: float,
    init: Tensor | None = None,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> Tensor:
    """Minimise mean cross-entropy + l2/2 ||W||^2 by damped Newton; return theta (d+1, k).

    Stops when no gradient component exceeds ``tol``. The last row of theta is the bias;
    predict with ``argmax([x, 1] @ theta)``.
    """
    xa = _with_bias(_as_tensor(x))
    y = _as_tensor(y, torch.int64)
    dim = xa.shape[1]
    ridge = torch.full((dim,), float(l2), dtype=xa.dtype)
    ridge[-1] = _BIAS_RIDGE
    theta = torch.zeros(dim, n_classes, dtype=xa.dtype) if init is None else init.clone()
    loss = _objective(theta, xa, y, ridge)
    for _ in range(max_iter):
        grad = _gradient(theta, xa, y, ridge)
        if float(grad.abs().max()) < tol:
            break
        step = torch.linalg.solve(_hessian(theta, xa, ridge), grad.T.reshape(-1))
        step = step.reshape(n_classes, dim).T
        slope = float((grad * step).sum())
        t = 1.0
        while t > 1e-10:  # backtracking (Armijo) keeps Newton monotone far from the optimum
            candidate = theta - t * step
            new_loss = _objective(candidate, xa, y, ridge)
            if new_loss <= loss - 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            break  # no decrease left at machine precision: converged as far as it can
        theta, loss = candidate, new_loss
    return theta


def _accuracy(theta: Tensor, x: Tensor, y: Tensor) -> float:
    if not len(y):
        return float("nan")
    return float(((_with_bias(x) @ theta).argmax(dim=1) == y).double().mean())


def _log_loss(theta: Tensor, x: Tensor, y: Tensor) -> float:
    z = _with_bias(x) @ theta
    return float((torch.logsumexp(z, dim=1) - z.gather(1, y[:, None])[:, 0]).mean())


def logistic_regression_accuracy(
    data: ClassificationData, seed: int = 0, l2_grid: Sequence[float] = L2_GRID
) -> dict:
    """Fit on ``data``'s train split for each L2 strength, keep the one with the lowest
    validation log-loss, and report its accuracies.

    The fit is deterministic (convex, Newton from zero); ``seed`` is only recorded, so a
    result row has the same shape as a QNN's. With an empty validation split the choice is
    made on the training split (which amounts to the weakest penalty). Returns a dict with
    ``val_acc``, ``test_acc``, ``train_acc``, ``l2``, ``val_log_loss``, sizes, ``seconds``.
    """
    if not l2_grid:
        raise ValueError("l2_grid is empty")
    with _one_thread():
        return _logistic_regression(data, seed, l2_grid)


def _logistic_regression(data: ClassificationData, seed: int, l2_grid: Sequence[float]) -> dict:
    start = time.perf_counter()
    x_train = _as_tensor(data.x_train)
    mean, std = x_train.mean(dim=0), x_train.std(dim=0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    x_train, x_val, x_test = (
        (_as_tensor(x) - mean) / std for x in (data.x_train, data.x_val, data.x_test)
    )
    y_train, y_val, y_test = (
        _as_tensor(y, torch.int64) for y in (data.y_train, data.y_val, data.y_test)
    )
    x_sel, y_sel = (x_val, y_val) if len(y_val) else (x_train, y_train)
    fits = []
    theta = None
    for l2 in sorted(l2_grid, reverse=True):  # strong to weak penalty, each warm-starting the next
        theta = fit_softmax_regression(x_train, y_train, data.n_classes, l2, init=theta)
        fits.append((_log_loss(theta, x_sel, y_sel), l2, theta))
    sel_loss, l2, theta = min(fits, key=lambda fit: fit[0])
    return {
        "model": "logistic_regression",
        "dataset": data.dataset,
        "classes": list(data.classes),
        "n_features": data.n_features,
        "n_train": len(y_train),
        "n_val": len(y_val),
        "n_test": len(y_test),
        "l2": l2,
        "val_log_loss": sel_loss if len(y_val) else float("nan"),
        "train_acc": _accuracy(theta, x_train, y_train),
        "val_acc": _accuracy(theta, x_val, y_val),
        "test_acc": _accuracy(theta, x_test, y_test),
        "seed": seed,
        "seconds": time.perf_counter() - start,
    }
