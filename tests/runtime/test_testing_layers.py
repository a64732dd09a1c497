"""runtime/testing/ is built in one-way layers (runtime/testing/__init__.py says which).

Every import counts, wherever it is written: at the top of a module, inside a function
(the pytest plugin imports lazily, for speed) or under ``if TYPE_CHECKING:``. So a cycle
cannot hide behind a function-level or type-checking-only import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTING = ROOT / "runtime" / "testing"
PACKAGE = "runtime.testing"

#: The layers, lowest first: a module imports modules of its own layer or of earlier ones, never
#: of a later one. The order of the scenario tests is scenario format -> scenario data -> documents
#: -> runner -> suite -> junit/plugin; what knows nothing of scenarios sits below them, and what
#: drives or makes scenarios beside the runner. The package itself (the facade) is on top.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundations", ("coverage", "solver")),  # hit counts of an event log; CEL condition solving
    ("scenario format", ("scenario_format",)),  # scenario files: YAML, schema, rules
    ("scenario data", ("scenario", "results")),  # a scenario; what running one gives
    ("documents", ("documents",)),
    ("runner", ("runner", "trial", "replay", "paths")),  # runs scenarios; a trial; a run or a document as scenarios
    ("suite", ("suite",)),
    ("ui", ("ui",)),  # scenarios through the real UI of a server (Playwright)
    ("junit/plugin", ("junit", "pytest_plugin")),
    ("facade", ("",)),  # runtime.testing itself
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``tree`` (the source of ``module``) imports, anywhere in it."""
    found: set[str] = set()

    def add(name: str) -> None:
        # `import a.b.c` / `from a.b.c import x`: the deepest module of ours it names
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from runtime.testing import suite` names a module; `... import Scenario`, a name in one
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    found.discard(module)
    return found


def exports(tree: ast.AST) -> set[str]:
    """The modules the facade's lazy ``_EXPORTS`` table loads (string values)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            assert isinstance(node.value, ast.Dict)
            return {v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return set()


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in sorted(TESTING.rglob("*.py"))}
    known = set(files)
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = imported(tree, name, path.name == "__init__.py", known) | (exports(tree) & known)
    return graph


def layer_of(module: str) -> int:
    """The index in LAYERS of ``module``'s layer (by its first name under runtime.testing)."""
    top = module[len(PACKAGE) + 1 :].split(".")[0] if module != PACKAGE else ""
    for index, (_, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise LookupError(f"{module} has no layer: add it to LAYERS in {Path(__file__).name}")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(module):
                wrong.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})")
    return wrong


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), as a list of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_module_has_a_layer():
    for module in import_graph():
        layer_of(module)


def test_runtime_testing_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_imports_go_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_no_module_imports_the_facade():
    importers = sorted(m for m, targets in import_graph().items() if PACKAGE in targets)
    assert importers == []


def test_the_graph_sees_every_kind_of_import():
    """Function-level, TYPE_CHECKING, relative and from-package imports are all edges."""
    source = """
from typing import TYPE_CHECKING
from runtime.testing import suite
from runtime.testing.scenario import Scenario
from . import coverage
from .paths import generate
if TYPE_CHECKING:
    from runtime.testing.runner import Runner
def later():
    import runtime.testing.junit
    from runtime.testing import Scenario
"""
    known = {PACKAGE, *(f"{PACKAGE}.{m}" for m in ("suite", "scenario", "coverage", "paths", "runner", "junit", "trial"))}
    edges = imported(ast.parse(source), f"{PACKAGE}.trial", False, known)
    assert edges == {PACKAGE, *(f"{PACKAGE}.{m}" for m in ("suite", "scenario", "coverage", "paths", "runner", "junit"))}


def test_the_checks_catch_a_cycle_and_an_upward_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    upward = upward_imports({f"{PACKAGE}.scenario": {f"{PACKAGE}.runner"}, f"{PACKAGE}.runner": {f"{PACKAGE}.scenario"}})
    assert upward == [f"{PACKAGE}.scenario (scenario data) imports {PACKAGE}.runner (runner)"]
    with pytest.raises(LookupError, match="no layer"):
        layer_of(f"{PACKAGE}.newcomer")
