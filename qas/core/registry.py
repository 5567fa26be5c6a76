"""One typed registry per extension point (gates, spaces, tasks, agents, ...).

Names given as strings resolve here and only here: case and ``-``/``_`` are normalised, a
collision raises, and an unknown name lists the valid choices.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

from qas.core.errors import UnknownNameError

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """``"Fashion_MNIST"`` and ``"fashion-mnist"`` are the same name."""
    return name.strip().lower().replace("_", "-")


class Registry(Generic[T]):
    """A name -> object mapping with a decorator to fill it.

    >>> animals = Registry("animal")
    >>> @animals.register("cat")
    ... class Cat: ...
    >>> animals.get("CAT") is Cat
    True

    ``check(name, obj)``, if given, vets every object before it is added: it raises to refuse
    one that does not hold the extension point's whole contract.
    """

    def __init__(self, what: str, *, check: Callable[[str, T], None] | None = None) -> None:
        self.what = what
        self._check = check
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, obj: T, *, aliases: tuple[str, ...] = ()) -> T:
        key = normalize_name(name)
        for k in (key, *map(normalize_name, aliases)):
            if k in self._items or k in self._aliases:
                raise ValueError(f"{self.what} {k!r} is registered twice")
        if self._check is not None:
            self._check(name, obj)
        self._items[key] = obj
        for alias in aliases:
            self._aliases[normalize_name(alias)] = key
        return obj

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            return self.add(name, obj, aliases=aliases)

        return deco

    def remove(self, name: str) -> T:
        """Unregister ``name`` (and its aliases) and return its object; unknown names raise."""
        key = self.canonical(name)
        for alias in [a for a, k in self._aliases.items() if k == key]:
            del self._aliases[alias]
        return self._items.pop(key)

    @contextmanager
    def registered(self, name: str, obj: T, *, aliases: tuple[str, ...] = ()) -> Iterator[T]:
        """``add`` for the length of a ``with`` block (tests register throwaway entries)."""
        self.add(name, obj, aliases=aliases)
        try:
            yield obj
        finally:
            self.remove(name)

    def canonical(self, name: str) -> str:
        """The registered spelling of ``name``; raises :class:`UnknownNameError`."""
        if not isinstance(name, str):
            raise UnknownNameError(f"a {self.what} name must be a string, got {name!r}")
        key = normalize_name(name)
        key = self._aliases.get(key, key)
        if key not in self._items:
            choices = ", ".join(self.names())
            raise UnknownNameError(f"unknown {self.what} {name!r}; choose one of: {choices}")
        return key

    def get(self, name: str) -> T:
        return self._items[self.canonical(name)]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalize_name(name)
        return key in self._items or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, names={self.names()!r})"
