"""Hostile embedding checkpoints: byte flips, truncations and splices of a real file.

Every mutated file must load to an equal store or end in our own error (2,000 cases)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qas.core.errors import QasError

# Each case loads a checkpoint: CI runs 500; `FUZZ_CHECKPOINT_EXAMPLES=2000` for the full count.
EXAMPLES = int(os.environ.get("FUZZ_CHECKPOINT_EXAMPLES", "500"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_checkpoint_bytes(tiny_trained, tmp_path_factory, data):
    from encoders.store import EmbeddingStore

    original = tiny_trained[1].read_bytes()
    blob = bytearray(original)
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice", "garbage"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    elif kind == "splice":
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        blob = bytearray(data.draw(st.binary(max_size=256)))
    path = tmp_path_factory.mktemp("fz") / "mutated.pt"
    path.write_bytes(bytes(blob))
    try:
        EmbeddingStore.load(path)  # a flip in zip padding may leave the content intact: loads
    except QasError:
        pass  # our own error, naming the file: the only acceptable failure
