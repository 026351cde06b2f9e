"""The map of the house (docs/architecture.md), kept true: no import cycle among server's
modules (function-level imports included), each layer imports only the layers below it, only
server/engine imports SpiffWorkflow, no module reaches into another package's private names,
and services stay grouped by feature."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from server.config import ROOT

SERVER = ROOT / "server"
# package -> the server packages it must not import (directly or in a function).
FORBIDDEN = {
    "server.engine": ("server.services", "server.web", "server.api", "server.jobs", "server.models",
                      "server.documents", "server.domain", "server.auth", "server.db",
                      "server.db_direct", "server.cli", "server.app", "server.bootstrap"),
    "server.models": ("server.services", "server.web", "server.api", "server.jobs", "server.engine",
                      "server.documents", "server.cli", "server.app", "server.bootstrap"),
    "server.domain": ("server.services", "server.web", "server.api", "server.jobs", "server.engine",
                      "server.models", "server.documents", "server.cli", "server.app", "server.bootstrap"),
    "server.auth": ("server.services", "server.web", "server.api", "server.jobs", "server.engine",
                    "server.documents", "server.cli", "server.app", "server.bootstrap"),
    "server.documents": ("server.services", "server.web", "server.api", "server.jobs",
                         "server.engine", "server.models", "server.cli", "server.app",
                         "server.bootstrap"),
    "server.services": ("server.web", "server.api", "server.jobs", "server.cli", "server.app",
                        "server.bootstrap", "server.demo"),
}
MAX_SERVICE_MODULES = 12  # modules directly in server/services/ (the rest live in feature packages)


def _modules() -> dict[str, Path]:
    mods = {}
    for path in SERVER.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    base = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{anchor}.{node.module}" if node.module else anchor
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            yield target, names, node.lineno
            for name in names:  # `from pkg import module`
                if f"{target}.{name}" in MODULES:
                    yield f"{target}.{name}", [], node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, _names, _line in _imports(module, path):
            found = _resolve(target)
            if found and found != module and not (path.name == "__init__.py"
                                                   and found.startswith(module + ".")):
                graph[module].add(found)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_in_server() -> None:
    assert _cycles(_graph()) == []


def test_a_cycle_is_found() -> None:
    """The detector itself: a made-up pair of modules importing each other."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_each_layer_imports_only_the_layers_below() -> None:
    problems = []
    for module, path in MODULES.items():
        for package, forbidden in FORBIDDEN.items():
            if module != package and not module.startswith(package + "."):
                continue
            for target, _names, line in _imports(module, path):
                if any(target == f or target.startswith(f + ".") for f in forbidden):
                    problems.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert problems == []


def test_only_the_engine_imports_spiffworkflow() -> None:
    problems = [f"{path.relative_to(ROOT)}:{line}" for module, path in MODULES.items()
                if not module.startswith("server.engine")
                for target, _n, line in _imports(module, path) if target.split(".")[0] == "SpiffWorkflow"]
    assert problems == []


def _package(module: str) -> str:
    """The feature package a module belongs to (server.services.cases for
    server.services.cases.steps; server.web for server.web.staff)."""
    parts = module.split(".")
    if parts[:2] == ["server", "services"] and len(parts) > 3:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def test_no_module_uses_another_packages_private_names() -> None:
    problems = []
    for module, path in MODULES.items():
        for target, names, line in _imports(module, path):
            found = _resolve(target)
            if not found or _package(found) == _package(module):
                continue
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {private} from {target}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}  # local name -> module of another package, `from server.x import mod as name`
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    if target in MODULES and _package(target) != _package(module):
                        aliases[alias.asname or alias.name] = target
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in aliases):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno} uses "
                                f"{node.value.id}.{node.attr}")
    assert problems == []


def test_services_are_grouped_by_feature() -> None:
    flat = sorted(p.stem for p in (SERVER / "services").glob("*.py") if p.stem != "__init__")
    assert len(flat) <= MAX_SERVICE_MODULES, flat


def test_only_the_hot_path_runs_direct_statements() -> None:
    """server/db_direct.py skips ORM events and onupdate: it is used through server/hot_path.py,
    whose classes are checked at start-up, and nowhere else."""
    users = sorted({module for module, path in MODULES.items()
                    for target, _names, _line in _imports(module, path)
                    if _resolve(target) == "server.db_direct"})
    assert users == ["server.hot_path"]
