"""Searches of one space started side by side pretrain its embeddings once, seeded 0, on every core."""

from __future__ import annotations

import os
import threading
import time

import encoders
from qas.search import embeddings
from search_spaces import load_space


def test_parallel_first_uses_pretrain_once_with_seed_0(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def slow_pretrain(space, *, n, seed, out, threads, **_):  # the real one takes minutes; the lock is what is tested
        calls.append((space.fingerprint, n, seed, threads))
        time.sleep(0.5)
        out.write_bytes(b"weights")

    monkeypatch.setattr(encoders, "pretrain", slow_pretrain)
    space = load_space("paper-4q")
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(embeddings.pretrain_on_first_use(space, 80))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [(space.fingerprint, 8_000, 0, os.cpu_count())]
    assert paths == [embeddings.cached_path(space)] * 3
    assert paths[0].read_bytes() == b"weights"
    assert not list(paths[0].parent.glob("*.tmp.pt"))


def test_an_interrupted_pretraining_leaves_no_file_and_the_next_search_pretrains(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def interrupted(space, *, out, **_):
        out.write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(encoders, "pretrain", interrupted)
    space = load_space("paper-4q")
    path = embeddings.cached_path(space)
    try:
        embeddings.pretrain_on_first_use(space, 80)
    except KeyboardInterrupt:
        pass
    assert not path.exists() and not list(path.parent.glob("*.pt"))
    monkeypatch.setattr(encoders, "pretrain", lambda space, *, out, **_: out.write_bytes(b"weights"))
    assert embeddings.pretrain_on_first_use(space, 80).read_bytes() == b"weights"
