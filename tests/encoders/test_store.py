"""The embedding store: save/load round trips, compact files rebuilt into a cache, clear
errors for another space, corruption, newer versions and pickled objects; nearest_unvisited."""

from __future__ import annotations

import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from encoders import CheckpointError, EmbeddingError, EmbeddingStore, embed_circuit, load_embeddings
from encoders.store import FORMAT_VERSION, read_checkpoint
from qas import CircuitDAG, Gate
from search_spaces import load_space, sample_pool


@pytest.fixture(scope="module")
def store(tiny_trained, tiny_space):
    return EmbeddingStore.load(tiny_trained[1], space=tiny_space)


def test_full_file_round_trip(store, tiny_pool, tiny_trained):
    assert len(store) == len(tiny_pool) and store.pool == tiny_pool
    assert store.latents.shape == (300, 8) and store.latents.dtype == np.float32
    # a pool circuit embedded on the fly gets its stored latent back
    for i in (0, 7, 299):
        np.testing.assert_allclose(store.embed(tiny_pool[i]), store.latents[i], atol=1e-5)
    np.testing.assert_allclose(store.embed(tiny_pool[:5]), store.latents[:5], atol=1e-5)
    assert store.position(tiny_pool[42]) == 42
    header, tensors, _ = read_checkpoint(tiny_trained[1])
    assert header["space_fingerprint"] == store.space.fingerprint
    assert tensors["pool.keys"].shape == (300, 32) and "latents" in tensors
    assert header["meta"]["report"]["reconstruction"]["ops"] > 0
    assert "qas pretrain" in header["meta"]["command"]


def test_out_of_pool_circuits_embed_on_the_fly(store, tiny_space, tiny_pool, tiny_trained):
    outside = next(d for d in sample_pool(tiny_space, 400, seed=99) if d not in set(tiny_pool))
    z = store.embed(outside)
    assert z.shape == (8,) and np.isfinite(z).all()
    assert store.position(outside) is None
    with pytest.raises(EmbeddingError, match="not in space 'tiny-3q'"):
        store.embed(CircuitDAG(3, [Gate("X", (0,))] * 3))
    path = tiny_trained[1].parent / "c.json"
    path.write_text(tiny_pool[3].to_json())
    np.testing.assert_allclose(embed_circuit(path, embeddings=tiny_trained[1]), store.latents[3], atol=1e-5)


def test_nearest_unvisited(store):
    """The store's pool, read through the one nearest-neighbour index agents use."""
    index = store.index()
    rng = np.random.default_rng(0)
    lo, hi = index.bounds()
    assert (lo <= store.latents).all() and (store.latents <= hi).all()
    lo2, hi2 = index.bounds(margin=0.1)
    assert (lo2 < lo).all() and (hi2 > hi).all()
    for _ in range(20):
        z = rng.uniform(lo, hi).astype(np.float32)
        i = index.nearest_unvisited(z)
        d = ((store.latents - z) ** 2).sum(1)
        d[index.visited] = np.inf
        assert d[i] == pytest.approx(d.min(), rel=1e-5, abs=1e-5)
        index.mark(index.circuit(i))
        assert index.visited[i]
    fresh = index.fresh()
    assert not fresh.visited.any() and np.allclose(store.latents[fresh.nearest_unvisited(store.latents[5])], store.latents[5])
    fresh.visited[:] = True
    with pytest.raises(EmbeddingError, match="every circuit"):
        fresh.nearest_unvisited(lo)
    with pytest.raises(EmbeddingError, match="shape"):
        index.nearest_unvisited(np.zeros(3))


def test_compact_file_rebuilds_pool_and_latents_into_cache(tiny_space, tmp_path):
    from encoders import pretrain

    cache = tmp_path / "cache"
    path = tmp_path / "compact.pt"
    pretrain(tiny_space, n=120, pool_seed=4, out=path, compact=True, progress=False, epochs=2, batch_size=32,
             hidden=16, hops=2, decoder_hidden=16, latent=4, prior_samples=50, structure_pairs=50)
    header, tensors, _ = read_checkpoint(path)
    assert header["latents"] == "rebuild" and "latents" not in tensors and "pool.tokens" not in tensors
    first = EmbeddingStore.load(path, space=tiny_space, cache_dir=cache)
    assert first.pool == list(sample_pool(tiny_space, 120, seed=4))
    assert len(list(cache.rglob("latents.npy"))) == 1
    second = EmbeddingStore.load(path, space=tiny_space, cache_dir=cache)  # from the cache
    np.testing.assert_array_equal(first.latents, second.latents)
    np.testing.assert_allclose(second.embed(second.pool[10]), second.latents[10], atol=1e-5)
    # a damaged cache entry is rebuilt, not trusted
    (next(cache.rglob("pool_tokens.npz"))).write_bytes(b"junk")
    third = EmbeddingStore.load(path, space=tiny_space, cache_dir=cache)
    assert third.pool == first.pool


def test_mismatched_space_is_a_clear_error(tiny_trained):
    with pytest.raises(CheckpointError) as err:
        EmbeddingStore.load(tiny_trained[1], space=load_space("paper-4q"))
    msg = str(err.value)
    assert str(tiny_trained[1]) in msg and "tiny-3q" in msg and "paper-4q" in msg and "qas pretrain" in msg
    with pytest.raises(CheckpointError, match="paper-4q"):
        load_embeddings(tiny_trained[1], "paper-4q")


def test_corrupted_files_are_clear_errors(tiny_trained, tmp_path):
    src = tiny_trained[1]
    data = bytearray(src.read_bytes())
    # flip bytes in the middle (inside tensor data)
    flipped = tmp_path / "flipped.pt"
    mid = len(data) // 2
    data2 = data[:]
    for k in range(mid, mid + 16):
        data2[k] ^= 0xFF
    flipped.write_bytes(bytes(data2))
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(2048))
    for path in (flipped, truncated, garbage):
        with pytest.raises(CheckpointError) as err:
            EmbeddingStore.load(path)
        assert str(path) in str(err.value)
    with pytest.raises(CheckpointError, match="does not exist"):
        EmbeddingStore.load(tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not a qas embedding file"):
        EmbeddingStore.load(other)


def test_format_version_is_checked(tiny_trained, tmp_path):
    payload = torch.load(tiny_trained[1], weights_only=True)
    payload["version"] = FORMAT_VERSION + 1
    newer = tmp_path / "newer.pt"
    torch.save(payload, newer)
    with pytest.raises(CheckpointError, match="newer than this qas reads"):
        EmbeddingStore.load(newer)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/qas_pwned_by_pickle",))


def test_pickled_objects_are_refused(tmp_path):
    marker = "/tmp/qas_pwned_by_pickle"
    if os.path.exists(marker):
        os.remove(marker)
    evil = tmp_path / "evil.pt"
    torch.save({"format": "qas.embeddings", "version": 1, "header": "{}", "tensors": {}, "checksum": "", "x": _Exploit()}, evil)
    with pytest.raises(CheckpointError, match="refusing"):
        EmbeddingStore.load(evil)
    evil2 = tmp_path / "evil2.pt"
    with open(evil2, "wb") as fh:
        pickle.dump(_Exploit(), fh)
    with pytest.raises(CheckpointError):
        EmbeddingStore.load(evil2)
    assert not os.path.exists(marker)


def test_no_pretrained_embeddings_for_custom_space(tiny_space):
    with pytest.raises(EmbeddingError, match="no pretrained embeddings"):
        load_embeddings(None, tiny_space)


def test_store_copies_are_independent(tiny_trained, tmp_path):
    copy = tmp_path / "copy.pt"
    shutil.copy(tiny_trained[1], copy)
    s = EmbeddingStore.load(copy)
    assert s.path == copy and s.space.name == "tiny-3q"


def test_pools_with_fixed_angles_are_stored_losslessly(store, tiny_space, tmp_path):
    pool = list(store.pool[:10]) + [tiny_space.build([Gate("RX", (0,), "fixed", (0.25,)), Gate("H", (1,)), Gate("CZ", (0, 2))])]
    s = EmbeddingStore(model=store.model, space=tiny_space, pool=pool)
    path = s.save(tmp_path / "angles.pt")
    header, tensors, _ = read_checkpoint(path)
    assert header["pool"]["encoding"] == "jsonl-zlib"
    back = EmbeddingStore.load(path, space=tiny_space)
    assert back.pool == pool
    assert any(g.angles == (0.25,) for g in back.pool[-1].gates)
    np.testing.assert_array_equal(back.latents, s.latents)
