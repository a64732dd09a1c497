"""runtime/engine/ is a package of small modules over a run context, with no import cycle.

Every import counts, wherever it is written (top of a module, inside a function, under
``if TYPE_CHECKING:``): the graph is the one tests/runtime/test_testing_layers.py builds.
"""

from __future__ import annotations

import ast

from tests.runtime.test_testing_layers import ROOT, cycles, imported, module_name

ENGINE = ROOT / "runtime" / "engine"
#: Lowest first: a module imports modules of earlier layers only, never of its own or a later one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("plain", "migration", "migration.plan"),
    ("context",),
    ("steps", "steps.interactive", "steps.background", "steps.wait", "steps.decision"),
    ("rules",),
    ("views", "runs", "versions", "migration.assess"),
    ("repair", "records", "work_items", "jobs", "migration.move", "migration.views"),
    ("services", "migration.batches"),
    ("",),  # the facade, runtime.engine itself
)


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in sorted(ENGINE.rglob("*.py"))}
    known = set(files)
    return {name: imported(ast.parse(path.read_text(), str(path)), name, path.name == "__init__.py", known) for name, path in files.items()}


def layer_of(module: str) -> int:
    short = module.removeprefix("runtime.engine").removeprefix(".")
    return next(i for i, members in enumerate(LAYERS) if short in members)


def test_every_module_has_a_layer():
    assert sorted(m.removeprefix("runtime.engine").removeprefix(".") for m in import_graph()) == sorted(
        m for layer in LAYERS for m in layer
    )


def test_runtime_engine_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 10
    assert cycles(graph) == []


def test_imports_go_down_the_layers():
    wrong = [f"{m} imports {t}" for m, targets in sorted(import_graph().items()) for t in sorted(targets) if layer_of(t) >= layer_of(m)]
    assert wrong == []


def test_no_module_imports_the_facade():
    assert sorted(m for m, targets in import_graph().items() if "runtime.engine" in targets) == []


def test_the_engine_is_a_facade_of_a_few_hundred_lines():
    """Engine keeps every public method, each a few lines that call the modules."""
    lines = len((ENGINE / "__init__.py").read_text().splitlines())
    assert lines < 450, f"runtime/engine/__init__.py has {lines} lines: move the work into the modules"
    modules = {p.relative_to(ENGINE).as_posix(): len(p.read_text().splitlines()) for p in ENGINE.rglob("*.py")}
    assert {name: n for name, n in modules.items() if n >= 400 and name != "__init__.py"} == {}, "split these modules"
