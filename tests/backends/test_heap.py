"""The trainer's process keeps freed memory (glibc's thresholds, qas.backends.heap)."""

import subprocess
import sys

import pytest

PROBE = ("import numpy as np\n"
         "from qas.backends.heap import keep_freed_memory\n"
         "from qas.tasks import make_task\n"
         "from qas.trainer import TrainConfig, train\n"
         "from search_spaces import build_ansatz, load_space\n"
         "r = train(build_ansatz('u3cu3:2', load_space('qml-4q')), make_task('fashion-2'), TrainConfig(epochs=1, batch_size=256))\n"
         "print(keep_freed_memory(), np.round(r.params, 6).tolist())\n")


def _probe(env_value: str | None) -> tuple[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "QAS_KEEP_FREED_MEMORY"}
    if env_value is not None:
        env["QAS_KEEP_FREED_MEMORY"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
    flag, params = out.strip().splitlines()[-1].split(" ", 1)
    return flag, params


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_training_sets_the_thresholds_once_and_the_opt_out_holds():
    kept, params_kept = _probe(None)
    off, params_off = _probe("0")
    assert (kept, off) == ("True", "False")
    assert params_kept == params_off  # an allocator setting: the same training, bit for bit
