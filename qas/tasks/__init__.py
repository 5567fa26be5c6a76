"""Tasks: what a circuit is trained and scored on (datasets, Hamiltonians, losses, metrics)."""
