"""Training-free pre-filters: search only the part of the pool a cheap predictor rates best.

    qas search --task tfim-8 --prefilter params            # the best-rated quarter (keep=0.25)
    qas search --task tfim-8 --prefilter expressibility:keep=0.5

Before the search starts, every circuit of the pool the latent agents draw from is rated by a
predictor that needs no training, and the agents see only the best-rated ``keep`` fraction
(circuits tied at the cut stay in). The budget still counts trained circuits; the report says
how many pool circuits were left out. ``experiments/prefilter.py`` measured the predictors on
the labelled tables: in the best-rated quarter of the pool, the number of trainable angles
keeps 86% / 79% / 100% of the hits of 4q state-prep, 8q state-prep and tfim-8 (3.2-4x the pool's
hit rate) for no cost, expressibility 75% / 77% / 100% for ~0.1 s per circuit, entangling
capability and gradient variance much less. Both favour larger circuits: that is what they
know.

Predictors (higher is better), one entry each in :data:`PREDICTORS`:

- ``params``: the circuit's trainable angles;
- ``expressibility``: :func:`qas.backends.expressibility` (Sim et al. 2019).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from qas.core.circuit import CircuitDAG
from qas.core.errors import QasError
from qas.core.specs import split_spec


def _expressibility(dag: CircuitDAG) -> float:
    from qas.backends import expressibility

    return expressibility(dag)


#: name -> circuit -> rating (higher is better)
PREDICTORS: dict[str, Callable[[CircuitDAG], float]] = {
    "params": lambda dag: float(dag.num_params),
    "expressibility": _expressibility,
}
#: name -> pool circuit -> a key that fixes the rating of the circuit searched: equal keys, equal
#: ratings. A re-uploading space's pool holds cells, and building every searched circuit of a
#: 50,000-cell pool took a minute; the lift repeats the cell and adds the same encoding to every
#: cell, so the searched circuit's angle count is a function of the cell's. With a key, one
#: circuit per distinct key is built and rated.
POOL_KEYS: dict[str, Callable[[CircuitDAG], Any]] = {
    "params": lambda cell: cell.num_params,
}


@dataclass(frozen=True)
class Prefilter:
    """Keep the best-rated ``keep`` fraction of a pool under ``predictor``."""

    predictor: str
    keep: float = 0.25

    def __post_init__(self) -> None:
        if self.predictor not in PREDICTORS:
            raise QasError(f"unknown pre-filter {self.predictor!r}; choose one of: {', '.join(PREDICTORS)} "
                           "(e.g. params:keep=0.25)")
        if not 0.0 < self.keep <= 1.0:
            raise QasError(f"pre-filter keep must be in (0, 1], got {self.keep}")

    @classmethod
    def parse(cls, text: str | None) -> "Prefilter | None":
        """``"params"``, ``"expressibility:keep=0.5"``; ``None`` or ``"none"``: no pre-filter."""
        if text is None or text.strip() in ("", "none"):
            return None
        name, options = split_spec(text, "pre-filter", f"keep=FRACTION, e.g. {text.partition(':')[0]}:keep=0.25")
        if set(options) - {"keep"}:
            raise QasError(f"pre-filter options {sorted(options)}: the one option is keep=FRACTION, e.g. {name}:keep=0.25")
        try:
            keep = float(options.get("keep", 0.25))
        except ValueError:
            raise QasError(f"pre-filter keep must be a number, got {options['keep']!r}") from None
        return cls(name, keep)

    def __str__(self) -> str:
        return f"{self.predictor}:keep={self.keep:g}"

    def ratings(self, dags: list[CircuitDAG]) -> np.ndarray:
        rate = PREDICTORS[self.predictor]
        return np.array([rate(d) for d in dags], dtype=np.float64)

    def kept(self, ratings: np.ndarray) -> np.ndarray:
        """Positions rated at or above the cut (the ``1 - keep`` quantile), in pool order."""
        cut = np.quantile(ratings, 1.0 - self.keep, method="higher") if self.keep < 1 else -np.inf
        return np.flatnonzero(ratings >= cut)

    def pool_ratings(self, index: Any) -> np.ndarray:
        """Every pool circuit's rating, as the searched circuit (``index.circuit(i)``) it stands for."""
        key = POOL_KEYS.get(self.predictor)
        if key is None:
            return self.ratings([index.circuit(i) for i in range(len(index))])
        keys = [key(c) for c in index.pool]
        first: dict[Any, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        rated = dict(zip(first, self.ratings([index.circuit(i) for i in first.values()])))
        return np.array([rated[k] for k in keys], dtype=np.float64)

    def restrict(self, index: Any) -> tuple[Any, str]:
        """The part of ``index`` (a :class:`~encoders.pool_index.PoolIndex`) the agents search,
        and one line for the report."""
        ratings = self.pool_ratings(index)
        keep = self.kept(ratings)
        note = (f"pre-filter {self}: the agents searched {len(keep)} of the {len(index)} pool circuits, those with "
                f"{self.predictor} >= {ratings[keep].min():g} (the pool ranges {ratings.min():g}-{ratings.max():g})")
        return index.subset(keep), note
