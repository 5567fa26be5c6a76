"""What circuits may exist: space specs, built-in spaces, samplers, pools and mutations."""

from search_spaces.ansatze import ANSATZE, build_ansatz
from search_spaces.builtin import SPACES, reuploaded
from search_spaces.circuit_files import read_circuit
from search_spaces.mutation import MUTATIONS, mutate
from search_spaces.pool import iter_pool, read_pool, write_pool
from search_spaces.sampler import random_gate, sample_circuit, sample_pool
from search_spaces.resolve import load_space
from search_spaces.spec import AngleEncoding, SearchSpace, space_from_dict

__all__ = [
    "ANSATZE",
    "AngleEncoding",
    "MUTATIONS",
    "SPACES",
    "SearchSpace",
    "build_ansatz",
    "iter_pool",
    "load_space",
    "mutate",
    "random_gate",
    "read_circuit",
    "read_pool",
    "reuploaded",
    "sample_circuit",
    "sample_pool",
    "space_from_dict",
    "write_pool",
]
