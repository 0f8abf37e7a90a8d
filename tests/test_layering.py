"""The config package imports nothing of the project but itself (import-linter checks it too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"crawler", "alerts", "store", "web", "service", "cli", "scheduler", "demo"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_config_imports_nothing_of_the_project() -> None:
    modules = sorted((ROOT / "config").glob("*.py"))
    assert len(modules) > 1, "config is a package of several modules"
    for module in modules:
        assert _imported_roots(module) & PROJECT == set(), module.name


def test_imported_roots_sees_project_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import store.db\nfrom alerts import jobs\nimport os\n", encoding="utf-8")
    assert _imported_roots(sample) == {"store", "alerts", "os"}
