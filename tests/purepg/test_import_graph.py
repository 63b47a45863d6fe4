"""purepg's modules depend on each other in one direction, and only through public names.

The graph is read from the sources with ``ast``: every ``import`` counts, also one inside a
function (a lazy import is still a dependency), except those under ``if TYPE_CHECKING:``.
Importing ``purepg.a.b`` is not counted as importing the package ``purepg.a`` too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import purepg

SOURCE_ROOT = Path(purepg.__file__).parent

PRIVATE_NAMES_ALLOWED: frozenset[tuple[str, str]] = frozenset()
"""(importing module, "module.name") pairs allowed to use another module's private name."""


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, ast.Module] = {
    module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path))
    for path in sorted(SOURCE_ROOT.rglob("*.py"))
}


def is_type_checking_block(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` bodies (their ``else`` counts)."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if is_type_checking_block(node):
            assert isinstance(node, ast.If)
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_package = (SOURCE_ROOT.parent / importer.replace(".", "/") / "__init__.py").exists()
    base = importer.split(".")[: len(importer.split(".")) - node.level + is_package]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(importer: str, tree: ast.Module) -> list[tuple[str, str | None]]:
    """(purepg module, imported name or None) for each runtime import in ``tree``; a name
    that is itself a submodule is reported as that module."""
    found: list[tuple[str, str | None]] = []
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(importer, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.append((submodule, None) if submodule in MODULES else (source, alias.name))
    return [(module, name) for module, name in found if module in MODULES]


def import_graph() -> dict[str, set[str]]:
    return {
        importer: {module for module, _ in imports_of(importer, tree)} - {importer}
        for importer, tree in MODULES.items()
    }


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                components.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [cycle_within(graph, component) for component in components]


def cycle_within(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for module in frontier:
            for target in sorted(graph[module] & component):
                if target == start:
                    return [*paths[module], start]
                if target not in paths:
                    paths[target] = [*paths[module], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in {component}")


def private_uses(importer: str, tree: ast.Module) -> set[str]:
    """Private names of other purepg modules that ``importer`` uses: imported by name, or
    read as an attribute of a purepg module it imported (``connection._helper``)."""
    used = {
        f"{module}.{name}"
        for module, name in imports_of(importer, tree)
        if name is not None and is_private(name) and module != importer
    }
    module_aliases: dict[str, str] = {}
    for node in runtime_nodes(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(importer, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    module_aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    for node in runtime_nodes(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and is_private(node.attr)
        ):
            used.add(f"{module_aliases[node.value.id]}.{node.attr}")
    return used


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def test_the_checker_reads_every_module_and_its_lazy_imports():
    graph = import_graph()
    assert {"purepg.connection", "purepg.protocol.machine", "purepg.io.blocking"} <= set(graph)
    assert "purepg.redaction" in graph["purepg.protocol.machine"]  # imported inside a method


def test_the_checker_finds_a_cycle_and_names_it():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_no_import_cycle_among_purepg_modules():
    cycles = [" -> ".join(cycle) for cycle in find_cycles(import_graph())]
    assert cycles == [], "import cycles (TYPE_CHECKING imports aside):\n" + "\n".join(cycles)


def test_no_module_uses_another_modules_private_names():
    uses = sorted(
        f"{importer} uses {name}"
        for importer, tree in MODULES.items()
        for name in private_uses(importer, tree)
        if (importer, name) not in PRIVATE_NAMES_ALLOWED
    )
    assert uses == [], "private names used across modules:\n" + "\n".join(uses)
