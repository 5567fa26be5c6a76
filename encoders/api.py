"""Library calls behind the embedding commands of the CLI (``qas embed``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qas.core.circuit import CircuitDAG

from encoders.store import EmbeddingStore, load_embeddings

if TYPE_CHECKING:
    from search_spaces.spec import SearchSpace


def embed_circuit(
    circuit: CircuitDAG | str | Path,
    *,
    embeddings: str | Path | EmbeddingStore | None = None,
    space: str | None = None,
    cache_dir: str | Path | None = None,
) -> np.ndarray:
    """The latent vector (float32, ``[latent]``) of a circuit under an embedding file.

    ``circuit`` is a ``CircuitDAG`` or anything :func:`search_spaces.circuit_files.read_circuit`
    reads (a circuit JSON file, a run directory, a Cirq JSON file). ``embeddings`` is a
    file, a loaded store, or ``None`` for the shipped pretrained file of ``space``.
    """
    if isinstance(embeddings, EmbeddingStore):
        store = embeddings
    elif embeddings is None:
        if space is None:
            from encoders.errors import EmbeddingError

            raise EmbeddingError("give an embeddings file or a space whose pretrained embeddings to use")
        store = load_embeddings(None, space, cache_dir=cache_dir, progress=True)
    else:
        store = EmbeddingStore.load(embeddings, space=space, cache_dir=cache_dir, progress=True)
    if not isinstance(circuit, CircuitDAG):
        from search_spaces.circuit_files import read_circuit

        circuit = read_circuit(circuit, store.space)
    return store.embed(_as_cell(circuit, store.space))


def _as_cell(dag: CircuitDAG, space: "SearchSpace") -> CircuitDAG:
    """A circuit of a re-uploading or weighted-encoding space built on ``space`` (its
    ``cell_space``), lowered to the one-block circuit the embeddings know; any other circuit
    unchanged."""
    from dataclasses import replace

    n_enc = len(space.encoding_gates())
    n_feat = sum(g.role == "feature" for g in dag.gates)
    if not n_enc or space.contains(dag) or n_feat % n_enc:
        return dag
    stacked = replace(space, reuploads=n_feat // n_enc, encoding=replace(space.encoding, weighted=dag.num_weighted > 0))
    return stacked.lower(dag) if stacked.lifts_cells and stacked.contains(dag) else dag
