"""What circuits may exist: space specs, built-in spaces, samplers, pools and mutations."""

from search_spaces.builtin import SPACES
from search_spaces.mutation import MUTATIONS, mutate
from search_spaces.pool import iter_pool, read_pool, write_pool
from search_spaces.sampler import random_gate, sample_circuit, sample_pool
from search_spaces.resolve import load_space
from search_spaces.spec import AngleEncoding, SearchSpace, space_from_dict

__all__ = [
    "AngleEncoding",
    "MUTATIONS",
    "SPACES",
    "SearchSpace",
    "iter_pool",
    "load_space",
    "mutate",
    "random_gate",
    "read_pool",
    "sample_circuit",
    "sample_pool",
    "space_from_dict",
    "write_pool",
]
