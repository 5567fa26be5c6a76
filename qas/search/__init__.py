"""Search: agents behind one interface, the ask-and-tell loop, runs and their outputs."""

from qas.search import bo, evolution, pool_bo, random_search, reinforce  # noqa: F401  (register agents)
from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited
from qas.search.config import SearchConfig, load_config
from qas.search.run import SearchSummary, search

__all__ = [
    "AGENTS",
    "Agent",
    "Observation",
    "Proposal",
    "SearchConfig",
    "SearchContext",
    "SearchSummary",
    "Visited",
    "load_config",
    "search",
]
