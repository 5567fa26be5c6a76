"""Our own exception types, so that bad input ends in a clear message, not a deep traceback.

Every error a user can cause by what they pass in (a circuit file, a space spec, a name on
the command line) is a subclass of :class:`QasError`; the CLI prints its message and exits 2.
"""

from __future__ import annotations


class QasError(Exception):
    """Base class of every error caused by user input."""


class UnknownNameError(QasError, ValueError):
    """A name (gate, space, task, agent, ...) that no registry knows."""


class CircuitError(QasError, ValueError):
    """A circuit that is not valid: bad qubits, unknown gates, parameters out of range."""


class CircuitFormatError(CircuitError):
    """A circuit file that cannot be read: malformed JSON, wrong schema or version."""


class SpaceError(QasError, ValueError):
    """A search-space spec that is inconsistent or cannot be loaded."""


def check_version(version: object, supported: int, what: str, error: type[QasError]) -> int:
    """A file's format version: an integer this qas reads, or ``error`` saying why not
    (a newer version asks for an upgrade). Every versioned file format uses this rule."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise error(f"{what} version must be an integer, got {version!r}")
    if version > supported:
        raise error(f"{what} version {version} is newer than this qas reads ({supported}); upgrade qas")
    if version < 1 or version != supported:
        raise error(f"unsupported {what} version {version} (this qas reads {supported})")
    return version
