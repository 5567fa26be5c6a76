"""The import structure: layers flow one way and no module imports itself back.

Read from the source (every ``import`` statement, at any depth, ``TYPE_CHECKING`` blocks
included), so a lazy import inside a function counts like a top-level one. The rule is the
one in ``../shared/DESIGN.md`` §2:

    qas.core  <  search_spaces  <  encoders  <  qas.tasks | qas.backends
              <  evaluation (trainer, evaluation, cache, records)  <  qas.search  <  api  <  cli

A module may import its own layer and the layers below it. ``qas.tasks`` and
``qas.backends`` share a layer and never import each other: a task declares a readout, a
simulator implements it, and both take the contract from ``qas.core.readout``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("qas", "search_spaces", "encoders")

#: (layer, module prefixes); a module belongs to the first entry whose prefix it starts with
LAYERS: list[tuple[int, str]] = [
    (0, "qas.core"),
    (1, "search_spaces"),
    (2, "encoders"),
    (3, "qas.tasks"),
    (3, "qas.backends"),
    (4, "qas.trainer"),
    (4, "qas.evaluation"),
    (4, "qas.cache"),
    (4, "qas.records"),
    (5, "qas.search"),
    (6, "qas.api"),
    (6, "qas.verify"),
    (7, "qas.cli"),
    (7, "qas.__main__"),
    (7, "qas"),  # the package root re-exports the public API, lazily (PEP 562)
]
#: one layer, two packages that never import each other
SIBLINGS = {"qas.tasks", "qas.backends"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            out[module_name(path)] = path
    return out


ALL = modules()


def group(mod: str) -> tuple[int, str]:
    for layer, prefix in LAYERS:
        if mod == prefix or mod.startswith(prefix + "."):
            return layer, prefix
    raise AssertionError(f"{mod} is in no layer: add it to LAYERS and to DESIGN.md §2")


def imports_of(mod: str) -> set[str]:
    """The project modules ``mod`` imports (``from a import b`` is ``a.b`` when that is a module)."""
    tree = ast.parse(ALL[mod].read_text())
    is_pkg = ALL[mod].name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in ALL else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in ALL:
                name = name.rpartition(".")[0]
            if name and name != mod:
                out.add(name)
    return out


GRAPH = {m: imports_of(m) for m in ALL}


def upward(mod: str, targets: set[str]) -> list[str]:
    """The imports of ``mod`` that break the layer rule."""
    layer, prefix = group(mod)
    bad = []
    for target in sorted(targets):
        t_layer, t_prefix = group(target)
        if t_layer > layer or (t_layer == layer and {prefix, t_prefix} == SIBLINGS):
            bad.append(f"{target} (layer {t_layer}, {t_prefix})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.mark.parametrize("mod", sorted(ALL))
def test_imports_flow_down(mod):
    bad = upward(mod, GRAPH[mod])
    layer, prefix = group(mod)
    assert not bad, f"{mod} (layer {layer}, {prefix}) imports upward or sideways: {', '.join(bad)}"


def test_no_import_cycles():
    assert not cycles(GRAPH), f"import cycles: {cycles(GRAPH)}"


def test_the_checks_catch_what_they_are_for():
    assert upward("qas.core.circuit", {"qas.core.gates", "qas.search.runner"}) == ["qas.search.runner (layer 5, qas.search)"]
    assert upward("qas.backends.torch_sv", {"qas.tasks.base"}) == ["qas.tasks.base (layer 3, qas.tasks)"]
    assert upward("qas.search.run", {"qas.search.runner", "qas.tasks", "encoders.store"}) == []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# --- experiments/: a client of the public API ---------------------------------------------------
#: the modules an experiment script may import project code from, each name from its ``__all__``
PUBLIC = ("qas", "qas.search", "qas.tasks", "qas.backends", "search_spaces", "encoders")
#: ``experiments/common.py``: the one helper module the scripts share
SHARED = "common"
SCRIPTS = sorted((ROOT / "experiments").rglob("*.py"))


def experiment_violations(source: str, scripts: set[str]) -> list[str]:
    """What in an experiment script's ``source`` breaks the rule: project code is imported only as
    ``import M`` or ``from M import N`` with ``M`` in :data:`PUBLIC` and ``N`` in ``M.__all__`` (or
    from ``common``); no script imports another (``scripts``: their module names); nothing touches
    ``sys.path``."""
    import importlib

    bad = [f"line {n}: sys.path" for n, line in enumerate(source.splitlines(), 1) if "sys.path" in line]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                bad.append(f"line {node.lineno}: relative import")
                continue
            targets = [(node.module, a.name) for a in node.names]
        else:
            continue
        for module, name in targets:
            top = module.split(".")[0]
            where = f"line {node.lineno}: {module}" + (f".{name}" if name else "")
            if module == "sys" and name == "path":
                bad.append(f"line {node.lineno}: sys.path")
            elif top in scripts:
                bad.append(f"{where}: imports another script (shared code goes to experiments/common.py)")
            elif top in PACKAGES and module not in PUBLIC:
                bad.append(f"{where}: not a public module ({', '.join(PUBLIC)})")
            elif top in PACKAGES and name is not None and name not in importlib.import_module(module).__all__:
                bad.append(f"{where}: not in {module}.__all__")
    return bad


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_experiments_use_the_public_api(path):
    scripts = {p.stem for p in SCRIPTS} - {SHARED}
    bad = experiment_violations(path.read_text(), scripts)
    assert not bad, f"experiments/{path.name}: {'; '.join(bad)}"


def test_the_experiments_rule_catches_what_it_is_for():
    def check(source: str) -> list[str]:
        return experiment_violations(source, {"compare_agents"})

    assert check("import numpy\nimport qas.search\nfrom qas.search import optimize, open_run\n"
                 "from qas import CircuitDAG as Dag\nfrom common import write_rows\nimport common") == []
    assert check("from qas.search.runner import prepare") == [
        "line 1: qas.search.runner.prepare: not a public module (qas, qas.search, qas.tasks, qas.backends, "
        "search_spaces, encoders)"]
    assert check("import qas.search.runner") and check("from qas.core.circuit import CircuitDAG")
    assert check("from qas.search import completed_trials") == ["line 1: qas.search.completed_trials: not in qas.search.__all__"]
    assert check("from qas import _LAZY") and check("from encoders.store import cache_root")
    assert check("from compare_agents import write_csv") and check("import compare_agents")
    assert check("from .common import write_rows") == ["line 1: relative import"]
    assert check("import sys\n\nsys.path.insert(0, 'experiments')") == ["line 3: sys.path"]
    assert check("from sys import path") == ["line 1: sys.path"]
