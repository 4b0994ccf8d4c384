"""The layering the code is held to (docs/ARCHITECTURE.md), checked, not hoped for.

* the import-linter contracts in pyproject.toml (layers, core below the stages,
  plugins through the public API only, no cycles between packages);
* no import cycle between any two modules of gongkai_etl, function-level
  imports included;
* no built-in plugin imports a private name of the engine or probes the
  context with getattr;
* no module of gongkai_etl over 450 lines, but for the few listed with a reason.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gongkai_etl"
PLUGINS = ROOT / "plugins"

MAX_LINES = 450
#: Modules allowed over MAX_LINES, each with the reason it is one module.
LONG_MODULES: dict[str, str] = {}
#: The public API a plugin may import from (docs/ARCHITECTURE.md, "The plugin contract").
PUBLIC = {
    "gongkai_etl", "gongkai_etl.hookspecs", "gongkai_etl.contracts", "gongkai_etl.datasets", "gongkai_etl.fields",
    "gongkai_etl.errors", "gongkai_etl.periods", "gongkai_etl.workdays", "gongkai_etl.divisions",
    "gongkai_etl.values", "gongkai_etl.toolkit", "gongkai_etl.declare", "gongkai_etl.rules",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> the modules of the package it imports, anywhere in its body."""
    modules = {_module_name(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    deps.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_import_linter_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "lint-imports is not installed (pip install -e '.[test]')"
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph(PACKAGE)) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    """The check above would pass on a finder that never finds anything: not this one."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _plugin_modules() -> list[Path]:
    found = sorted(p for p in PLUGINS.glob("*.py") if p.name != "__init__.py")
    assert len(found) >= 6, "the built-in plugins moved?"
    return found


@pytest.mark.parametrize("path", _plugin_modules(), ids=lambda p: p.name)
def test_plugins_import_only_public_names(path: Path) -> None:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gongkai_etl":
            if node.module not in PUBLIC:
                bad.append(f"line {node.lineno}: from {node.module} (not public API)")
            bad += [f"line {node.lineno}: {node.module}.{a.name} (private)" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            bad += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("gongkai_etl.")]
    assert not bad, f"{path.name} reaches past the plugin contract: {bad}"


@pytest.mark.parametrize("path", _plugin_modules(), ids=lambda p: p.name)
def test_plugins_do_not_probe_the_context(path: Path) -> None:
    """The SourceContext protocol says what a source may use; getattr on it, or on
    anything named ctx, would be an undeclared dependency on the engine."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Name) and "ctx" in target.id:
                bad.append(f"line {node.lineno}: {node.func.id}({target.id}, ...)")
        if isinstance(node, ast.Attribute) and node.attr in ("pipeline", "registry", "ledger", "home"):
            if isinstance(node.value, ast.Name) and "ctx" in node.value.id:
                bad.append(f"line {node.lineno}: {node.value.id}.{node.attr} (not in SourceContext)")
    assert not bad, f"{path.name}: {bad}"


def test_no_module_is_too_long() -> None:
    long = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in LONG_MODULES:
            long[rel] = lines
    assert not long, f"over {MAX_LINES} lines (split them, or list them in LONG_MODULES with a reason): {long}"
