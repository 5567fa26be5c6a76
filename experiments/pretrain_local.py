"""Fallback embeddings: pretrain the project's VGAE (``encoders.pretrain``) on a space's pool
when no shipped checkpoint (``encoders/pretrained/<space>.pt``) exists yet, and freeze the
pool's latent means into ``results/latents_<space>.npz`` (16-byte hash -> latent), so the
search experiments do not depend on the encoder code staying checkpoint-compatible.

    nice -n 10 python experiments/pretrain_local.py --space paper-4q -n 20000 --time-limit 300
    nice -n 10 python experiments/pretrain_local.py --space paper-8q -n 5000 --time-limit 300

The checkpoint goes to results/cache/vgae_<space>.pt (not committed), the report to
results/vgae_<space>_report.json.
"""
import argparse
import json

import numpy as np
from common import RESULTS, hash_bytes

from encoders import EmbeddingStore, pretrain
from search_spaces import load_space, sample_pool


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--space", default="paper-4q")
    p.add_argument("-n", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--time-limit", type=float, default=300)
    p.add_argument("--embed-only", action="store_true", help="re-embed the pool with an existing checkpoint")
    a = p.parse_args()

    out = RESULTS / "cache" / f"vgae_{a.space}.pt"
    out.parent.mkdir(parents=True, exist_ok=True)
    space = load_space(a.space)
    if not a.embed_only:
        rep = pretrain(a.space, n=a.n, pool_seed=0, seed=0, out=out, progress=False, epochs=a.epochs,
                       time_limit=a.time_limit)
        (RESULTS / f"vgae_{a.space}_report.json").write_text(json.dumps(rep.to_dict(), indent=1, default=str))
        print(json.dumps({k: getattr(rep, k) for k in ("reconstruction", "prior", "structure", "epochs_run",
                                                        "total_seconds")}, default=str), flush=True)
    store = EmbeddingStore.load(out, space=space)
    pool = list(sample_pool(space, a.n, seed=0))
    lat = store.embed(pool, check=False).astype(np.float32)
    meta = {"space": a.space, "pool_seed": 0, "n": a.n, "checkpoint": str(out.name),
            "command": f"python experiments/pretrain_local.py --space {a.space} -n {a.n} --epochs {a.epochs} "
                       f"--time-limit {a.time_limit}"}
    np.savez_compressed(RESULTS / f"latents_{a.space}.npz", hash=hash_bytes([d.key for d in pool]), latents=lat,
                        meta=np.asarray(json.dumps(meta)))
    print(f"wrote {RESULTS / f'latents_{a.space}.npz'}: {lat.shape}")


if __name__ == "__main__":
    main()
