"""The import rule (docs/architecture.md): imports point one way and never in a circle.

The graph is built from the source with `ast`, counting every import statement
wherever it stands (module level, inside a function, under TYPE_CHECKING), so a
cycle cannot hide behind a deferred import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("workflow", "surveys", "bot")
LAYER = {"workflow": 0, "surveys": 1, "bot": 2}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        parts = importer.split(".")
        anchor = parts if is_package else parts[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        yield f"{base}.{alias.name}"
    yield base


def _edges(tree: ast.Module, name: str, is_package: bool, modules: Iterable[str]) -> set[str]:
    """The project modules `tree` imports anywhere in it (the nearest existing module)."""
    known = set(modules)
    edges = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target in _imported(node, name, is_package):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
    return edges


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = _modules()
    return {
        name: _edges(
            ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py", modules
        )
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_deferred_imports() -> None:
    source = "import a.x\ndef f():\n    from b import y\n    from .z import w\n"
    edges = _edges(ast.parse(source), "c.m", False, ["a", "a.x", "b", "b.y", "c.z", "c.m"])
    assert edges == {"a.x", "b", "b.y", "c.z"}  # `from b import y` runs b itself too
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert "workflow.lifecycle.models" in import_graph()["workflow.lifecycle.audit"]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_imports_point_down_only() -> None:
    upward = sorted(
        f"{source} → {target}"
        for source, targets in import_graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    )
    assert upward == []


def test_core_depends_on_no_context() -> None:
    """The infrastructure sits below every business context."""
    graph = import_graph()
    leaks = sorted(
        f"{source} → {target}"
        for source, targets in graph.items()
        if source.startswith("workflow.core")
        for target in targets
        if not target.startswith("workflow.core") and target != "workflow"
    )
    assert leaks == []


def test_the_machine_is_pure_data() -> None:
    """The declaration imports no database and no other context: only the states and
    the roles' names, which themselves stand on the core alone."""
    graph = import_graph()
    pure = {"workflow.lifecycle.states", "workflow.access.actors"}
    assert graph["workflow.lifecycle.machine"] <= pure
    for module in pure:
        assert all(target.startswith("workflow.core") for target in graph[module]), module


def test_the_architecture_doc_names_every_module() -> None:
    """docs/architecture.md has a line per module: a new module is written into it."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = sorted(
        str(path.relative_to(ROOT))
        for name, path in _modules().items()
        if path.name != "__init__.py" and f" {path.name} " not in doc
    )
    assert missing == []
