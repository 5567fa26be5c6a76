"""bench_peers without the peers: our step agrees with itself in complex128 (and with Qiskit's
parameter shift where Qiskit is installed), and a peer that is absent is skipped in one line."""

from __future__ import annotations

import numpy as np
import torch
from bench_peers import check, ours, peers, qiskit_param_shift, workload


def test_our_vqe_step_agrees_with_complex128_and_qiskit_param_shift():
    w = workload("vqe8", 256)
    assert w.dag.num_params == 32
    backends = [("ours", ours(w), True)]
    try:
        backends.append(("qiskit", qiskit_param_shift(w), True))
    except ImportError:
        pass
    assert check(w, backends) == []
    loss, grad = ours(w, torch.complex128)(w.params)
    assert np.isfinite(loss) and grad.shape == (32,)


def test_an_absent_peer_is_skipped_in_one_line(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pennylane(name, *args, **kwargs):
        if name.split(".")[0] == "pennylane":
            raise ImportError("No module named 'pennylane'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pennylane)
    found, lines = peers(["pennylane"])
    assert found == {} and len(lines) == 1 and lines[0].startswith("pennylane skipped:")
