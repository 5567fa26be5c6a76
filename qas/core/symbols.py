"""The names of a circuit's free angles in Cirq: ``theta_<k>`` (trainable) and ``x_<i>`` (features).

Trainable parameter ``k`` (in the DAG's canonical parameter order) is the sympy symbol
``theta_k`` and input feature ``i`` is ``x_i``; :func:`symbol_order` sorts them that way.
"""

from __future__ import annotations

import re
from typing import Any

PARAM = re.compile(r"^theta_(\d+)$")
FEATURE = re.compile(r"^x_(\d+)$")


def param_symbols(n: int) -> list[Any]:
    import sympy

    return [sympy.Symbol(f"theta_{k}") for k in range(n)]


def feature_symbols(n: int) -> list[Any]:
    import sympy

    return [sympy.Symbol(f"x_{k}") for k in range(n)]


def symbol_order(sym: Any) -> tuple:
    """Sort key: parameters before features, each by index; other names by name."""
    m = PARAM.match(sym.name) or FEATURE.match(sym.name)
    return (sym.name[0], int(m.group(1))) if m else (sym.name, 0)
