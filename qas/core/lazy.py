"""Lazy public names for a package (PEP 562): ``import qas`` stays light, the names resolve on use.

    __getattr__, __dir__ = lazy_names(__name__, {"TorchCircuit": "qas.backends.torch_sv"}, globals())
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_names(package: str, names: Mapping[str, str], namespace: dict[str, Any], *,
               subpackages: tuple[str, ...] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps a public name to the module
    that defines it, imported on first use (and kept in ``namespace``); ``subpackages`` are
    imported as attributes (``qas.search``)."""

    def __getattr__(name: str) -> Any:
        if name in subpackages:
            return importlib.import_module(f"{package}.{name}")
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names) | set(subpackages))

    return __getattr__, __dir__
