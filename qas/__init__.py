"""qas: quantum architecture search over a learned latent space of circuits.

The light core (circuits, gates, I/O) imports eagerly; heavier pieces (torch backends,
agents, the CLI) are imported where they are used.
"""

from qas.core.circuit import CircuitDAG, Gate
from qas.core.errors import CircuitError, CircuitFormatError, QasError, SpaceError, UnknownNameError
from qas.core.gates import GATES, GateKind, gate_kind

__version__ = "0.1.0"

__all__ = [
    "CircuitDAG",
    "CircuitError",
    "CircuitFormatError",
    "GATES",
    "Gate",
    "GateKind",
    "QasError",
    "SpaceError",
    "UnknownNameError",
    "gate_kind",
]
