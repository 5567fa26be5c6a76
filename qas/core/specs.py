"""Option strings of the form ``NAME:key=value,key=value`` (``--pruner``, ``--prefilter``)."""

from __future__ import annotations

from qas.core.errors import QasError


def split_spec(text: str, what: str, form: str) -> tuple[str, dict[str, str]]:
    """``("successive-halving", {"min_resource": "2"})`` from ``"successive-halving:min_resource=2"``;
    a part without ``=`` is a one-line error naming ``what`` and the expected ``form``."""
    name, _, args = text.partition(":")
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in args.split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise QasError(f"{what} option {part!r} must be {form}")
        options[key.strip()] = value.strip()
    return name.strip(), options
