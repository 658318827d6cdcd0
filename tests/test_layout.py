"""The house shows its tiers: packages import only downwards, and no two modules import each other.

The graph is read from every module's AST, imports inside functions included (an import that
waits for a call still ties two modules together); imports under ``if TYPE_CHECKING:`` are for
the type checker only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chatkit"

#: The tiers of DESIGN.md's layout, low to high: a module may import its own tier or lower ones.
TIERS: dict[str, int] = {
    "chatkit.errors": 0,
    "chatkit.findings": 0,
    "chatkit.redaction": 1,
    "chatkit.providers": 2,  # the profiles a Target is made from
    "chatkit.targets": 2,  # a Target redacts the credentials in its URLs
    "chatkit.environment": 2,  # so does the environment snapshot
    "chatkit.knowledge": 3,
    "chatkit.client": 4,
    "chatkit.sim": 4,  # aside: only the faces below start it
    "chatkit.checks": 5,
    "chatkit.logs": 5,
    "chatkit.scan": 5,
    "chatkit.share": 6,
    "chatkit.widgets": 7,
    "chatkit.cli": 8,
    "chatkit.monitor": 8,
    "chatkit.__main__": 8,
    "chatkit": 8,  # the front door, __init__.py
}
#: Who may start the simulator: the faces, never a library tier.
SIM_USERS = ("chatkit.sim", "chatkit.cli", "chatkit.monitor", "chatkit.widgets")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(name: str) -> bool:
    return (ROOT / Path(*name.split(".")) / "__init__.py").exists()


def exists(name: str) -> bool:
    path = ROOT / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path) -> set[str]:
    """The chatkit modules ``path`` imports, at any depth, outside ``if TYPE_CHECKING:``."""
    here = module_name(path)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "chatkit")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".") if is_package(here) else here.split(".")[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if base.split(".")[0] != "chatkit":
                return
            if base == "chatkit" and [a.name for a in node.names] == ["__version__"]:
                return  # the version string, not the front door's names
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if exists(sub) else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(here)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def tier_of(name: str) -> tuple[str, int]:
    for prefix in sorted(TIERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix, TIERS[prefix]
    raise AssertionError(f"{name} belongs to no tier: add its package to TIERS")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
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

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def test_no_two_modules_import_each_other() -> None:
    assert cycles(graph()) == []


def test_every_import_points_down_the_tiers() -> None:
    upward = []
    for module, targets in graph().items():
        _, level = tier_of(module)
        for target in targets:
            there, target_level = tier_of(target)
            if target_level > level:
                upward.append(f"{module} -> {target}")
            if there == "chatkit.sim" and not module.startswith(SIM_USERS):
                upward.append(f"{module} -> {target} (only the faces start the simulator)")
    assert upward == []


def test_every_module_has_a_tier() -> None:
    for module in graph():
        tier_of(module)


def test_no_module_is_named_like_a_public_function() -> None:
    import chatkit

    public = {name for name in chatkit.__all__ if callable(getattr(chatkit, name))}
    modules = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.iterdir()
                                                         if p.is_dir()}
    assert public & modules == set()


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set(), "c": {"b"}}, []),
])
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]],
                                       expected: list[list[str]]) -> None:
    assert cycles(edges) == expected


def test_the_graph_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = PACKAGE / "knowledge" / "classifier.py"
    assert "chatkit.knowledge.recognize" in imports(source)
    assert tier_of("chatkit.knowledge.sections.dns") == ("chatkit.knowledge", 3)
