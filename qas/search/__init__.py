"""Search: agents behind one interface, the ask-and-tell loop, runs and their outputs."""

import sys

from qas.search import bo, evolution, pool_bo, random_search, reinforce  # noqa: F401  (register agents)
from qas.search.base import AGENTS, Agent, Observation, Proposal, SearchContext, Visited
from qas.search.comparison import (PREDICTORS, MLPPredictor, best_so_far, ci95, compare_runs, predictor_queries,
                                   queries_to_success)
from qas.search.config import FINAL_TRAIN, SEARCH_TRAIN, SearchConfig, load_config
from qas.search.embeddings import WARM_START, warm_embeddings
from qas.search.executors import DaskExecutor, LocalExecutor
from qas.search.labelling import LABEL_TRAIN, TABLE_TASKS, label_pool
from qas.search.objectives import TrainingObjective
from qas.search.optimize import Alone, Candidate, Objective, optimize, spent_seconds, trial_seconds
from qas.search.prefilter import Prefilter
from qas.search.pruning import Pruning, make_pruner
from qas.search.run import FinalRound, SearchResult, SearchSummary, default_run_dir, search
from qas.search.run_dir import RunDir, open_run
from qas.search.storage import GRACE_SECONDS, HEARTBEAT_SECONDS  # a dead worker's trial is freed after both
from qas.search.tabular import THRESHOLDS, LabelledTable, LookupTask, TableObjective, load_table, lookup_tasks, write_table

__all__ = [
    "AGENTS",
    "Agent",
    "Alone",
    "Candidate",
    "DaskExecutor",
    "FINAL_TRAIN",
    "FinalRound",
    "GRACE_SECONDS",
    "HEARTBEAT_SECONDS",
    "LABEL_TRAIN",
    "LabelledTable",
    "LocalExecutor",
    "LookupTask",
    "MLPPredictor",
    "Objective",
    "Observation",
    "PREDICTORS",
    "Prefilter",
    "Pruning",
    "Proposal",
    "RunDir",
    "SEARCH_TRAIN",
    "SearchConfig",
    "SearchContext",
    "SearchResult",
    "SearchSummary",
    "THRESHOLDS",
    "TABLE_TASKS",
    "TableObjective",
    "TrainingObjective",
    "Visited",
    "best_so_far",
    "ci95",
    "compare_runs",
    "default_run_dir",
    "load_config",
    "label_pool",
    "load_table",
    "make_pruner",
    "lookup_tasks",
    "open_run",
    "optimize",
    "predictor_queries",
    "queries_to_success",
    "search",
    "spent_seconds",
    "trial_seconds",
    "WARM_START",
    "warm_embeddings",
    "write_table",
]


class _CallableModule(type(sys)):
    """``qas.search(...)`` runs a search: the package is also its main function."""

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
