"""Several worker processes on one PostgreSQL study: no circuit evaluated twice, exact budget.

Needs a PostgreSQL server: `.ci/run` starts one on loopback and sets QAS_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

URL = os.environ.get("QAS_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="QAS_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL)")

CONFIG = """
[search]
task = "state-prep"
budget = {budget}
seed = 2
final = false
[search.train]
steps = 15
patience = 0
lr = 0.1
"""


@pytest.mark.parametrize("agent", ["random", "evolution"])
def test_three_workers_share_one_study(tmp_path, agent):
    import optuna

    budget = 12
    study = f"qas-test-{uuid.uuid4().hex[:8]}"
    cfg = tmp_path / "search.toml"
    cfg.write_text(CONFIG.format(budget=budget))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "qas", "search", "--config", str(cfg), "--agent", agent, "--workers", "1", "--storage", URL,
             "--study", study, "--out", str(tmp_path / f"w{k}")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for k in range(3)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    loaded = optuna.load_study(study_name=study, storage=URL)
    done = [t for t in loaded.trials if t.state == optuna.trial.TrialState.COMPLETE]
    keys = [t.user_attrs["key"] for t in done]
    assert len(done) == budget  # trials = budget
    assert len(set(keys)) == budget  # 0 duplicate evaluations
    assert len({t.user_attrs["worker"] for t in done}) >= 2  # the work was really shared
