"""Search: agents behind one interface, the ask-and-tell loop, runs and their outputs."""

import sys

from qas.search import bo, evolution, pool_bo, random_search, reinforce  # noqa: F401  (register agents)
from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited
from qas.search.config import SearchConfig, load_config
from qas.search.optimize import Alone, Candidate, Objective, optimize
from qas.search.run import SearchResult, SearchSummary, default_run_dir, search
from qas.search.tabular import LabelledTable, LookupTask, TableObjective, load_table, lookup_tasks

__all__ = [
    "AGENTS",
    "Agent",
    "Alone",
    "Candidate",
    "LabelledTable",
    "LookupTask",
    "Objective",
    "Observation",
    "Proposal",
    "SearchConfig",
    "SearchContext",
    "SearchResult",
    "SearchSummary",
    "TableObjective",
    "Visited",
    "default_run_dir",
    "load_config",
    "load_table",
    "lookup_tasks",
    "optimize",
    "search",
]


class _CallableModule(type(sys)):
    """``qas.search(...)`` runs a search: the package is also its main function."""

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
