"""Simulator backends: a batched differentiable torch statevector for training, qsim for scoring."""
