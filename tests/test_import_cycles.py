"""No project module imports a module that imports it, directly or through others.

grimp (import-linter's graph) reads the packages; the top-level modules
(``cli``, ``scheduler``) are not packages, so their imports are
read with ``ast`` and added to the same graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "crawler", "alerts", "store", "web", "service", "demo")
MODULES = ("cli", "scheduler")
PROJECT = (*PACKAGES, *MODULES)


def _is_project(name: str, project: tuple[str, ...] = PROJECT) -> bool:
    return name.split(".")[0] in project


def _imports_of(path: Path) -> set[str]:
    """Project modules that the file imports (every ``import``, at any depth)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if _is_project(name)}


def project_graph() -> grimp.ImportGraph:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)
    for module in MODULES:
        if module not in graph.modules:  # else present already, as something imported
            graph.add_module(module, is_squashed=True)
        for imported in _imports_of(ROOT / f"{module}.py"):
            if imported in graph.modules or imported in MODULES:
                graph.add_import(importer=module, imported=imported)
    return graph


def import_cycles(
    graph: grimp.ImportGraph, project: tuple[str, ...] = PROJECT
) -> list[tuple[str, ...]]:
    """One shortest cycle through each direct import that closes one."""
    cycles: set[tuple[str, ...]] = set()
    for importer in sorted(m for m in graph.modules if _is_project(m, project)):
        for imported in graph.find_modules_directly_imported_by(importer):
            if not _is_project(imported, project):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycle = (importer, *back)
                start = cycle.index(min(cycle[:-1]))  # one spelling per cycle
                cycles.add(cycle[start:-1] + cycle[:start] + (cycle[start],))
    return sorted(cycles)


def test_no_project_module_imports_a_module_that_imports_it() -> None:
    cycles = import_cycles(project_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_import_cycles_are_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c", "d"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert import_cycles(graph, ("a", "b", "c", "d")) == [("a", "b", "c", "a")]
