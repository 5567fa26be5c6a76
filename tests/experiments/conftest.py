"""The experiment scripts run with their own folder first on the path (``python experiments/x.py``),
so that they import ``common``; their tests import them the same way."""

import sys
from pathlib import Path

EXPERIMENTS = str(Path(__file__).resolve().parents[2] / "experiments")
if EXPERIMENTS not in sys.path:
    sys.path.insert(0, EXPERIMENTS)
