"""No import cycle anywhere in the product: runtime/, builder/ and overture_e2e/ together, every kind of
import counted (module level, inside functions, under ``if TYPE_CHECKING:``, and the
lazy export tables of the package facades). The finer layer rules of runtime.engine,
runtime.testing and builder have their own tests; this one holds for everything else
(the stores, actions, documents, ...)."""

from __future__ import annotations

import ast

from tests.runtime.test_testing_layers import ROOT, cycles, exports, imported, module_name


def import_graph() -> dict[str, set[str]]:
    files = {
        module_name(path): path
        for package in ("runtime", "builder", "overture_e2e")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts  # Alembic loads these by path, never by import
    }
    known = set(files)
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = imported(tree, name, path.name == "__init__.py", known) | (exports(tree) & known)
    return graph


def test_the_packages_have_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_graph_covers_every_package():
    graph = import_graph()
    assert {
        "runtime.actions",
        "runtime.store.sql",
        "runtime.engine.rules",
        "builder.api.runs",
        "builder.live.hub",
        "overture_e2e.browser",
    } <= set(graph)
    assert "runtime.actions.registry" in graph["runtime.actions.builtins"]
