"""The shipped pretrained embeddings: present, small, loadable, made for their space."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from encoders import EmbeddingStore, pretrained_path
from encoders.store.file_format import model_of as _model_of, read_checkpoint, space_of as _space_of
from qas.core.circuit import CircuitDAG
from search_spaces import load_space, sample_pool

SHIPPED = ["paper-4q", "paper-8q", "qml-4q", "qml-10q", "ansatz-8q"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_is_small_and_fits_its_space(name):
    path = pretrained_path(name)
    assert path is not None, f"encoders/pretrained/{name}.pt is missing"
    assert path.stat().st_size < 5_000_000
    header, tensors, _ = read_checkpoint(path)
    space = load_space(name)
    assert header["space_fingerprint"] == space.fingerprint
    assert header["latents"] == "rebuild" and header["pool"]["source"] == "sampled"
    assert header["meta"]["command"].startswith(f"qas pretrain --space {name}")
    report = header["meta"]["report"]
    assert report["reconstruction"]["ops"] >= 0.99 and report["prior"]["validity"] >= 0.95
    model = _model_of(path, header, tensors, _space_of(path, header))
    assert model.latent == (16 if space.num_qubits <= 4 else 32)
    # the model embeds circuits of its space
    store = EmbeddingStore(model=model, space=space, pool=list(sample_pool(space, 20, seed=0)))
    assert store.latents.shape == (20, model.latent) and np.isfinite(store.latents).all()


def _iris_task():
    from sklearn import datasets

    from qas.tasks import DataTask

    return DataTask(*datasets.load_iris(return_X_y=True), label="iris")


def _lih_task():
    from qas.tasks import VQE

    return VQE(molecule="LiH", hf=True)


#: files for the cell spaces of tasks (any 4-feature table on 3 qubits; any 4-qubit
#: Hartree-Fock-started molecule), found by fingerprint, made with the first-use recipe
TASK_CELLS = {"data-3q-4f": _iris_task, "vqe-hea-4q": _lih_task}


@pytest.mark.parametrize("name", sorted(TASK_CELLS))
def test_task_cell_files_are_found_by_fingerprint_and_are_the_first_use_recipe(name, tmp_path):
    from encoders.store.pretrained import PRETRAINED_DIR
    from qas.search.embeddings import FIRST_USE, available

    task = TASK_CELLS[name]()
    cell = task.default_space.cell_space
    path = PRETRAINED_DIR / f"{name}.pt"
    assert pretrained_path(cell) == path and available(task.default_space) == path
    assert pretrained_path(cell.name) is None  # found by fingerprint, not by a name another space could share
    header, tensors, _ = read_checkpoint(path)
    assert header["space_fingerprint"] == cell.fingerprint
    assert header["latents"] == "rebuild" and header["pool"]["source"] == "sampled"
    report = header["meta"]["report"]
    assert json.loads(path.with_suffix(".json").read_text())["fingerprint"] == cell.fingerprint
    assert (report["pool_size"], report["config"]["epochs"], report["config"]["batch_size"]) == \
        (FIRST_USE["n"], FIRST_USE["epochs"], FIRST_USE["batch_size"])
    assert report["reconstruction"]["ops"] == 1.0 and report["prior"]["validity"] >= 0.9
    store = EmbeddingStore.load(path, space=cell, cache_dir=tmp_path)
    assert len(store) == FIRST_USE["n"]
    np.testing.assert_allclose(store.embed(store.pool[:3]), store.latents[:3], atol=1e-5)
    index = store.index(task.default_space)  # searched circuits: lifted cells, lowered again to embed
    np.testing.assert_allclose(index.embed([index.circuit(i) for i in range(3)]), store.latents[:3], atol=1e-5)


@pytest.mark.slow
def test_shipped_paper_4q_rebuilds_and_embeds_pool_circuits_exactly(tmp_path):
    store = EmbeddingStore.load(pretrained_path("paper-4q"), space="paper-4q", cache_dir=tmp_path)
    assert len(store) == 100_000 and store.dim == 16
    for i in (0, 12345, 99_999):
        np.testing.assert_allclose(store.embed(store.pool[i]), store.latents[i], atol=1e-5)
    again = EmbeddingStore.load(pretrained_path("paper-4q"), space="paper-4q", cache_dir=tmp_path)
    np.testing.assert_array_equal(again.latents, store.latents)


def test_reuploaded_circuits_embed_as_their_cell(tmp_path):
    """qml-4q-reup searches cells of qml-4q: its circuits embed through qml-4q's shipped file."""
    from encoders import embed_circuit

    store = EmbeddingStore.load(pretrained_path("qml-4q"), space="qml-4q")
    reup = load_space("qml-4q-reup")
    assert pretrained_path(reup.cell_space) == pretrained_path("qml-4q")
    stacked = reup.lift(store.pool[7])
    path = tmp_path / "stacked.json"
    path.write_text(stacked.to_json())
    np.testing.assert_allclose(embed_circuit(path, embeddings=store), store.latents[7], atol=1e-5)


GOLDEN = json.loads((Path(__file__).parent / "data" / "shipped_latents.json").read_text())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_give_the_latents_they_gave_before(name):
    """Bit for bit: the latents recorded with the code before the encoder registry existed."""
    golden = GOLDEN[name]
    header, tensors, checksum = read_checkpoint(pretrained_path(name))
    assert checksum == golden["checksum"]
    model = _model_of(pretrained_path(name), header, tensors, _space_of(pretrained_path(name), header))
    dags = [CircuitDAG.from_json(text) for text in golden["circuits"]]
    store = EmbeddingStore(model=model, space=load_space(name), pool=dags)
    want = np.asarray(golden["latents"], dtype=np.float32)
    np.testing.assert_array_equal(store.latents, want)
    np.testing.assert_array_equal(store.embed(dags), want)


def test_a_user_space_that_only_shares_a_builtin_name_does_not_get_its_encoder(tmp_path):
    """A user's ``paper-4q.toml`` with other gates is named ``paper-4q`` (its file's stem) but is
    another space: the default search pretrains for it on first use instead of planning on the
    built-in's file, which would then refuse to load; an identical copy finds the shipped file."""
    from qas.search.embeddings import available, plan

    builtin = load_space("paper-4q")
    other = tmp_path / "paper-4q.toml"
    other.write_text('num_qubits = 4\ngates = ["RX", "RY", "RZ", "CNOT"]\nmin_gates = 10\nmax_gates = 10\nmax_depth = 5\n')
    mine = load_space(other)
    assert mine.name == "paper-4q" and mine.fingerprint != builtin.fingerprint
    assert pretrained_path(mine) is None and pretrained_path(builtin) == pretrained_path("paper-4q")
    assert available(mine) is None or available(mine).parent.name == "spaces"  # a first-use cache, never the shipped file
    if available(mine) is None:
        assert "pretrained on first use for paper-4q" in plan(mine, 100).why
    same = tmp_path / "copy" / "paper-4q.toml"
    same.parent.mkdir()
    d = builtin.to_dict()
    same.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in d.items() if k not in ("name", "description") and v is not None))
    assert pretrained_path(load_space(same)) == pretrained_path("paper-4q")
