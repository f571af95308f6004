"""The package's layering: no import cycles, counting imports inside functions too.

A lazy import placed to dodge a cycle still is one; this graph sees it. An edge runs from a
module to every ``warmreg`` module it imports anywhere (``from warmreg.a import b`` is an
edge to ``warmreg.a.b`` when that is a module, else to ``warmreg.a``); importing a
package's submodule also runs the package's ``__init__``, so that is an edge too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import warmreg

ROOT = Path(warmreg.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ("warmreg", *path.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _targets(node: ast.AST, here: str, modules: dict[str, Path]) -> set[str]:
    names = set()
    if isinstance(node, ast.Import):
        names = {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            package = here.split(".")[: len(here.split(".")) - node.level + (here in _packages(modules))]
            base = ".".join([*package, base] if base else package)
        names = {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    out = set()
    for name in names:
        while name and name not in modules:  # warmreg.a.b.attr -> warmreg.a.b
            name = name.rpartition(".")[0]
        if name.startswith("warmreg"):
            out.add(name)
            parent = name.rpartition(".")[0]
            while parent:  # importing a submodule runs its packages' __init__
                out.add(parent)
                parent = parent.rpartition(".")[0]
    return out


def _packages(modules: dict[str, Path]) -> set[str]:
    return {m for m, p in modules.items() if p.name == "__init__.py"}


def import_graph() -> dict[str, set[str]]:
    """Module -> the warmreg modules it imports (at module level or inside functions)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            edges |= _targets(node, name, modules)
        # a package's own __init__ is a parent of the module: not an import of it
        graph[name] = {e for e in edges if e != name and not name.startswith(e + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_package_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_function_level_import_is_an_edge(tmp_path):
    tree = ast.parse("def f():\n    from warmreg.cache import store\n")
    modules = {"warmreg.cache": Path("x"), "warmreg.cache.store": Path("y"), "warmreg": Path("z")}
    edges = set().union(*(_targets(n, "warmreg.x", modules) for n in ast.walk(tree)))
    assert "warmreg.cache.store" in edges and "warmreg.cache" in edges


def test_every_module_imports_in_dependency_order():
    graph = import_graph()
    order, seen = [], set()

    def visit(name):  # dependencies first: each import finds its imports already loaded
        if name not in seen:
            seen.add(name)
            for dep in sorted(graph[name]):
                visit(dep)
            order.append(name)

    for name in sorted(graph):
        visit(name)
    order.remove("warmreg.__main__")
    script = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    result = subprocess.run([sys.executable, "-c", script, *order], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
