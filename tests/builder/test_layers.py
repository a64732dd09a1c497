"""builder/ imports go one way (docs/ARCHITECTURE.md §1, "builder/ inside"): the blueprints of
builder/api/ sit on top, so nothing else under builder/ imports them (but the app factory,
which registers them); the request helpers (builder/requests.py) sit below everything
that reads a request; the live package goes routes -> snapshots -> hub -> subscribers -> outlet;
and there is no cycle anywhere in builder/.

Every import counts, wherever it is written (the graph is the one of
tests/runtime/test_testing_layers.py): a cycle cannot hide behind a function-level import.
"""

from __future__ import annotations

import ast

from tests.runtime.test_testing_layers import ROOT, cycles, imported, module_name

BUILDER = ROOT / "builder"
#: The app factory (builder/__init__.py: ``create_app``) registers the blueprints: it may import them.
FACTORY = "builder"
#: The live package's modules, lowest first: each imports only those before it.
LIVE = (
    "builder.live.outlet",
    "builder.live.subscribers",
    "builder.live.hub",
    "builder.live.snapshots",
    "builder.live.routes",
    "builder.live",
)


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in sorted(BUILDER.rglob("*.py"))}
    known = set(files)
    return {name: imported(ast.parse(path.read_text(), str(path)), name, path.name == "__init__.py", known) for name, path in files.items()}


def in_api(module: str) -> bool:
    return module == "builder.api" or module.startswith("builder.api.")


def imports_of_the_blueprints(graph: dict[str, set[str]]) -> list[str]:
    """``module imports target`` for every module outside builder/api/ that imports one inside it."""
    return [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        if not in_api(module) and module != FACTORY
        for target in sorted(targets)
        if in_api(target)
    ]


def live_upward(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} imports {target}"
        for module in LIVE
        for target in sorted(graph.get(module, ()))
        if target in LIVE and LIVE.index(target) > LIVE.index(module)
    ]


def test_nothing_below_the_blueprints_imports_them():
    assert imports_of_the_blueprints(import_graph()) == []


def test_builder_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_request_helpers_sit_below_every_other_module():
    """builder/requests.py needs nothing of builder but its errors, so auth.py, the live
    routes and every blueprint can import it without a cycle."""
    graph = import_graph()
    assert {m for m in graph["builder.requests"] if m.startswith("builder")} == {"builder.errors"}
    assert graph["builder.errors"] & {"builder.requests", "builder.auth"} == set()
    readers = {m for m, targets in graph.items() if "builder.requests" in targets}
    assert {"builder.auth", "builder.live.routes", "builder.api.runs", "builder.api.insights"} <= readers


def test_the_live_package_goes_one_way():
    graph = import_graph()
    assert set(LIVE) == {m for m in graph if m.startswith("builder.live")}  # a new module gets a place in LIVE
    assert live_upward(graph) == []


def test_the_services_live_outside_the_views():
    """Drafts, metrics, the definition cache and the names pages read are modules of their
    own; the views call them, and a blueprint imports no other blueprint's services."""
    graph = import_graph()
    for view in ("builder.api.runs", "builder.api.work_items", "builder.api.notifications", "builder.api.secrets"):
        assert "builder.names" in graph[view]
        assert not {"builder.api.runs", "builder.api.work_items"} & graph[view]
    assert "builder.drafts" in graph["builder.api.orchestrations"]
    assert "builder.definitions" in graph["builder.api.orchestrations"]
    assert "builder.metrics" in graph["builder.api.metrics"]
    assert "builder.live.snapshots" in graph["builder.api.insights"]
    assert not {"builder.api.common", "builder.api.params", "builder.live.live"} & set(graph)


def test_the_checks_catch_an_upward_import():
    graph = {
        "builder.auth": {"builder.api.users"},
        "builder": {"builder.api"},
        "builder.api.users": {"builder.requests"},
        "builder.live.hub": {"builder.live.routes"},
        "builder.live.routes": {"builder.live.hub"},
    }
    assert imports_of_the_blueprints(graph) == ["builder.auth imports builder.api.users"]
    assert live_upward(graph) == ["builder.live.hub imports builder.live.routes"]
    assert cycles(graph) == [["builder.live.hub", "builder.live.routes"]]


def test_the_builder_tables_and_their_migrations_sit_at_the_bottom():
    """builder/tables.py and builder/migrate.py need nothing of builder but the tables, so the
    builder's migrations run wherever the database is opened (the CLI's worker, serve) without
    the app; the runtime never imports either (tests/runtime/test_purity.py)."""
    graph = import_graph()
    assert {m for m in graph["builder.tables"] if m.startswith("builder")} == set()
    assert {m for m in graph["builder.migrate"] if m.startswith("builder")} == set()
    assert {m for m in graph["builder.migrations.env"] if m.startswith("builder")} == {"builder.tables"}
