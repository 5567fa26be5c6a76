"""How good a circuit autoencoder is: reconstruction, prior samples, latent geometry.

* :func:`reconstruction`: on held-out circuits, the fraction decoded *exactly* from their
  latent means, separately for the gate kinds of all nodes, the qubit vectors of all nodes,
  the whole upper-triangular adjacency, and all three at once.
* :func:`prior_samples`: circuits decoded from node latents drawn from ``N(0, I)``; validity
  (a circuit of the space), adjacency consistency (the decoded adjacency is exactly that
  circuit's wire edges), uniqueness among the valid ones and novelty against the pool.
* :func:`latent_structure`: Spearman correlation, over random pairs, between the distance of
  two circuit embeddings and a structural distance (1 - multiset Jaccard similarity of
  their gates, and of their gates plus labelled wire edges, a cheap stand-in for graph edit
  distance); and how much closer a circuit's latent nearest neighbour is, structurally,
  than a random circuit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np
import torch
from torch_geometric.utils import to_dense_batch

from qas.core.circuit import CircuitDAG
from encoders.base import CircuitAutoencoder
from encoders.featurizer import Featurizer, GraphTable


@torch.no_grad()
def embed_table(model: CircuitAutoencoder, table: GraphTable, *, batch_size: int = 4096) -> np.ndarray:
    """Circuit embeddings (mean of node means) of every graph of ``table``, float32."""
    model.eval()
    out = np.empty((len(table), model.latent), dtype=np.float32)
    for i in range(0, len(table), batch_size):
        idx = torch.arange(i, min(i + batch_size, len(table)))
        out[i : i + len(idx)] = model.embed(table.batch(idx)).numpy()
    return out


@torch.no_grad()
def reconstruction(
    model: CircuitAutoencoder, table: GraphTable, idx: Any = None, *, batch_size: int = 2048
) -> dict[str, float]:
    """Fractions of circuits ``idx`` of ``table`` reconstructed exactly from their means."""
    model.eval()
    idx = torch.arange(len(table)) if idx is None else torch.as_tensor(idx)
    hits = {"ops": 0, "qubits": 0, "adjacency": 0, "circuit": 0}
    for i in range(0, len(idx), batch_size):
        b = table.batch(idx[i : i + batch_size])
        mu, _ = model.encode(b.x, b.edge_index)
        n = b.kind.shape[1]
        z, mask = to_dense_batch(mu, b.batch, max_num_nodes=n, batch_size=b.num_graphs)
        kinds, qclass, adj = model.generate(z, mask.sum(1))
        ok_ops = (kinds == b.kind).all(1)
        ok_q = (qclass == b.qclass).flatten(1).all(1)
        pair = torch.triu(mask.unsqueeze(2) & mask.unsqueeze(1), diagonal=1)
        ok_adj = (((adj > 0.5) == (b.adj > 0.5)) | ~pair).flatten(1).all(1)
        hits["ops"] += int(ok_ops.sum())
        hits["qubits"] += int(ok_q.sum())
        hits["adjacency"] += int(ok_adj.sum())
        hits["circuit"] += int((ok_ops & ok_q & ok_adj).sum())
    return {k: v / max(len(idx), 1) for k, v in hits.items()}


@torch.no_grad()
def prior_samples(
    model: CircuitAutoencoder,
    featurizer: Featurizer,
    num_nodes: Sequence[int] | torch.Tensor,
    *,
    num: int = 10000,
    seed: int = 0,
    pool: Sequence[CircuitDAG] | None = None,
    batch_size: int = 2048,
) -> dict[str, float]:
    """Decode ``num`` prior samples; node counts are drawn from ``num_nodes`` (e.g. the pool's).

    Returns ``validity`` (in the space), ``consistency`` (valid and the decoded adjacency is
    exactly its wire edges), ``uniqueness`` (distinct / valid), with ``pool`` ``novelty``
    (valid circuits not in the pool / valid), ``validity_raw`` (the same latents decoded
    with each qubit's own most likely class instead of the most likely well-formed qubit
    vector for the kind) and ``invalid[<reason>]`` fractions.
    """
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    sizes = torch.as_tensor(num_nodes, dtype=torch.long)
    valid = consistent = raw_valid = 0
    found: set[CircuitDAG] = set()
    reasons: Counter = Counter()
    for i in range(0, num, batch_size):
        m = min(batch_size, num - i)
        lens = sizes[torch.randint(len(sizes), (m,), generator=gen)]
        z = torch.randn(m, int(lens.max()), model.latent, generator=gen)
        kinds, qclass, adj = model.generate(z, lens)
        raw_kinds, raw_qclass, _ = model.generate(z, lens, structured=False)
        for j in range(m):
            n = int(lens[j])
            raw_valid += featurizer.decode_graph(raw_kinds[j, :n].tolist(), raw_qclass[j, :n].numpy()) is not None
            dag, why = featurizer.explain_graph(kinds[j, :n].tolist(), qclass[j, :n].numpy())
            if dag is None:
                reasons[_reason_key(why)] += 1
                continue
            valid += 1
            found.add(dag)
            if featurizer.decode_graph(kinds[j, :n].tolist(), qclass[j, :n].numpy(), adj[j, :n, :n].numpy()):
                consistent += 1
    out = {
        "validity": valid / num,
        "consistency": consistent / num,
        "uniqueness": len(found) / max(valid, 1),
        "validity_raw": raw_valid / num,
    }
    if pool is not None:
        known = set(pool)
        out["novelty"] = sum(1 for d in found if d not in known) / max(len(found), 1)
    for why, count in sorted(reasons.items()):
        out[f"invalid[{why}]"] = count / num
    return out


def _reason_key(why: str | None) -> str:
    """A short category for :meth:`Featurizer.explain_graph`'s reason."""
    why = why or ""
    if not why.startswith("space"):
        return why.split(":")[0]
    for word, key in (("depth", "depth"), ("gates, space allows", "gate count"), ("coupling", "coupling"),
                      ("alphabet", "alphabet"), ("encoding", "encoding")):
        if word in why:
            return key
    return "space"


def _gate_bag(featurizer: Featurizer, dag: CircuitDAG) -> Counter:
    return Counter((g.kind, g.qubits) for g in featurizer.graph_gates(dag))


def _graph_bag(featurizer: Featurizer, dag: CircuitDAG) -> Counter:
    gates = featurizer.graph_gates(dag)
    labels = ["START"] + [f"{g.kind}@{g.qubits}" for g in gates] + ["END"]
    bag = Counter(labels[1:-1])
    last = [0] * dag.num_qubits
    for i, g in enumerate(gates, start=1):
        for q in g.qubits:
            bag[(labels[last[q]], labels[i], q)] += 1
            last[q] = i
    for q in range(dag.num_qubits):
        bag[(labels[last[q]], "END", q)] += 1
    return bag


def jaccard_distance(a: Counter, b: Counter) -> float:
    """1 - |a ∩ b| / |a ∪ b| for multisets."""
    inter = sum((a & b).values())
    union = sum((a | b).values())
    return 1.0 - inter / union if union else 0.0


def latent_structure(
    embeddings: np.ndarray,
    dags: Sequence[CircuitDAG],
    featurizer: Featurizer,
    *,
    num_pairs: int = 5000,
    num_anchors: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """Spearman correlations of latent vs structural distance, and nearest-neighbour gain."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(seed)
    n = len(dags)
    i, j = rng.integers(0, n, num_pairs), rng.integers(0, n, num_pairs)
    keep = i != j
    i, j = i[keep], j[keep]
    lat = np.linalg.norm(embeddings[i] - embeddings[j], axis=1)
    gates = {k: _gate_bag(featurizer, dags[k]) for k in set(i.tolist()) | set(j.tolist())}
    graphs = {k: _graph_bag(featurizer, dags[k]) for k in gates}
    d_gate = np.array([jaccard_distance(gates[a], gates[b]) for a, b in zip(i, j)])
    d_graph = np.array([jaccard_distance(graphs[a], graphs[b]) for a, b in zip(i, j)])
    # nearest neighbour in latent space vs a random circuit, both as graph-Jaccard distance
    anchors = rng.choice(n, size=min(num_anchors, n), replace=False)
    sq = (embeddings.astype(np.float64) ** 2).sum(1)
    nn_d, rand_d = [], []
    for a in anchors:
        d = sq - 2.0 * embeddings @ embeddings[a].astype(np.float64)
        d[a] = np.inf
        b = int(np.argmin(d))
        r = int(rng.integers(0, n - 1))
        r += r >= a
        ga = _graph_bag(featurizer, dags[a])
        nn_d.append(jaccard_distance(ga, _graph_bag(featurizer, dags[b])))
        rand_d.append(jaccard_distance(ga, _graph_bag(featurizer, dags[r])))
    return {
        "spearman_gate_jaccard": float(spearmanr(lat, d_gate).statistic),
        "spearman_graph_jaccard": float(spearmanr(lat, d_graph).statistic),
        "nn_graph_distance": float(np.mean(nn_d)),
        "random_graph_distance": float(np.mean(rand_d)),
    }
