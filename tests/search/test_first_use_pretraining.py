"""Searches of one space started side by side pretrain its embeddings once, seeded 0, on every
core, with settings that do not depend on the search or the machine."""

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

    def slow_pretrain(space, *, n, epochs, batch_size, seed, out, threads, **rest):  # the lock is what is tested
        calls.append((space.fingerprint, n, epochs, batch_size, seed, threads, "time_limit" in rest))
        time.sleep(0.5)
        out.write_bytes(b"weights")

    monkeypatch.setattr(encoders, "pretrain", slow_pretrain)
    space = load_space("paper-4q")
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(embeddings.pretrain_on_first_use(space))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [(space.fingerprint, 10_000, 5, 32, 0, os.cpu_count(), False)]
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
        embeddings.pretrain_on_first_use(space)
    except KeyboardInterrupt:
        pass
    assert not path.exists() and not list(path.parent.glob("*.pt"))
    monkeypatch.setattr(encoders, "pretrain", lambda space, *, out, **_: out.write_bytes(b"weights"))
    assert embeddings.pretrain_on_first_use(space).read_bytes() == b"weights"


def test_first_use_embeddings_are_the_same_whichever_search_made_them(tmp_path, monkeypatch):
    """Real pretraining (a small pool) into two caches gives the same latents. (On another core
    count they differ by summation order: 3e-3 after one epoch here.)"""
    from encoders.store import load_embeddings

    from search_spaces import SearchSpace
    from search_spaces.builtin import QML_GATES

    monkeypatch.setattr(embeddings, "FIRST_USE", {"n": 300, "epochs": 1, "batch_size": 32})
    space = SearchSpace("user-3q", 3, QML_GATES, min_gates=3, max_gates=10, max_depth=6)  # ships no encoder
    assert embeddings.available(space) is None
    latents = []
    for cache in ("a", "b"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / cache))
        path = embeddings.warm_embeddings(space)
        assert path == embeddings.cached_path(space) and path.is_file()
        store = load_embeddings(str(path), space, progress=False)
        assert len(store) == 300
        latents.append(store.embed([store.circuit(i) for i in range(20)]))
    assert (latents[0] == latents[1]).all()
