"""Lists paged in SQL (builder/queries.py): every filter gives what the engine's own
Python path gives, in the same order, and keyset pages neither skip nor repeat rows while
new ones arrive between two pages."""

from __future__ import annotations

from typing import Any

import pytest

from builder import create_app
from builder.extensions import state
from tests.builder.api_support import EXPENSE, deploy, document, error_code, start
from tests.builder.conftest import PEOPLE, add_people
from tests.pg import POSTGRES_URL, throwaway_database

USERS = ("fiona", "alice", "otto", "sam", "mallory")


@pytest.fixture(params=["sqlite", "postgres"])
def app(request, app, clock):
    """The conftest's app (SQLite), and the same on PostgreSQL: the two dialects order and compare in SQL."""
    if request.param == "sqlite":
        yield app
        return
    if not POSTGRES_URL:
        pytest.skip("OVERTURE_TEST_DATABASE_URL is not set")
    with throwaway_database("overture_keyset") as url:
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "AUTOPROCESS": True, "CLOCK": clock}
        )
        add_people(app)
        yield app
        app.extensions["overture"].close()


def walk(client: Any, path: str, limit: int = 2) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor ``limit`` at a time."""
    joiner = "&" if "?" in path else "?"
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"{path}{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def engine_order(items: list[dict[str, Any]]) -> list[str]:
    """The order the API had when it paged in Python: soonest due first, undated last, oldest first."""
    ordered = sorted(items, key=lambda i: (i["due_at"] is None, i["due_at"] or i["created_at"], i["created_at"], i["id"]))
    return [i["id"] for i in ordered]


@pytest.fixture
def seeded(login, clock) -> dict[str, Any]:
    """Runs over a few hours: finance items (due in a day) open, some approved so legal holds an
    undated item, one completed, equal start times included."""
    ada, sam = login("ada"), login("sam")
    deploy(ada, EXPENSE)
    fiona = login("fiona")
    runs = []
    for n in range(9):
        runs.append(start(sam, amount=n))
        if n % 3:  # two runs in three start at the same instant as the one before
            continue
        clock.advance("PT1H")
    for run in runs[::2]:
        (item,) = [i for i in fiona.get(f"/api/work-items?mine=1&run={run['id']}").get_json()["items"]]
        assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
        clock.advance("PT7M")
    return {"runs": runs}


ITEM_QUERIES = ("", "mine=1", "status=open,claimed,completed", "status=completed", "orchestration=expense", "orchestration=other")


@pytest.mark.parametrize("query", ITEM_QUERIES)
def test_work_items_match_the_engine(seeded, app, login, query):
    for who in USERS:
        check_items(app, login(who), who, query)


def check_items(app, client, who, query):
    paged = walk(client, f"/api/work-items?{query}")
    whole = client.get(f"/api/work-items?{query}&limit=200").get_json()["items"]
    assert [i["id"] for i in paged] == [i["id"] for i in whole]
    # The engine's Python path, as the API used it before it paged in SQL.
    statuses = next((q.split("=")[1].split(",") for q in query.split("&") if q.startswith("status=")), ["open", "claimed"])
    principal_sees_all = who == "otto" and "mine=1" not in query
    with app.app_context():
        items = state().engine.work_items(assignee=None if principal_sees_all else who, status=statuses)
    if "orchestration=" in query:
        items = [i for i in items if i["orchestration"] == query.split("=")[1]]
    assert [i["id"] for i in paged] == engine_order(items)
    assert paged == whole  # the same views, names included


def test_work_items_by_run_and_record_filters(seeded, login):
    otto = login("otto")
    run = seeded["runs"][1]
    assert [i["run_id"] for i in walk(otto, f"/api/work-items?run={run['id']}")] == [run["id"]]
    assert walk(otto, "/api/work-items?record=nothing") == []


@pytest.mark.parametrize("query", ["", "status=in_progress", "orchestration=expense&stage=filing", "assignee=legal", "assignee=fiona"])
def test_runs_match_the_full_list(seeded, login, query):
    for who in USERS:
        check_runs(login(who), query)


def check_runs(client, query):
    paged = walk(client, f"/api/runs?{query}")
    whole = client.get(f"/api/runs?{query}&limit=200").get_json()["items"]
    assert [r["id"] for r in paged] == [r["id"] for r in whole]
    assert len({r["id"] for r in paged}) == len(paged)
    ordered = sorted(whole, key=lambda r: (r["started_at"], r["id"]))
    newest_first = sorted(ordered, key=lambda r: r["started_at"], reverse=True)  # stable: ids ascend within a time
    assert [r["id"] for r in paged] == [r["id"] for r in newest_first]


def test_run_filter_assignees_match_the_balls(seeded, login):
    """The pick list's assignees, read in SQL, are those the open runs' balls name (as it was built before)."""
    for who in USERS:
        client = login(who)
        runs = walk(client, "/api/runs?status=in_progress,suspended,error", limit=200)
        balls = [b for run in runs for b in run["ball"] if b["type"] != "system"]
        held = {(b["type"], b["value"]) for b in balls} | {("user", b["claimed_by"]) for b in balls if b["claimed_by"]}
        held.add(("user", who))
        offered = client.get("/api/runs/filters").get_json()["assignees"]
        assert {(a["type"], a["value"]) for a in offered} == held, who


def test_notifications_match_the_engine(seeded, app, login):
    for who in USERS:
        client = login(who)
        paged = walk(client, "/api/notifications")
        whole = client.get("/api/notifications?limit=200").get_json()["items"]
        assert paged == whole
        with app.app_context():
            notes = state().engine.notifications(to=who)
        newest = sorted(sorted(notes, key=lambda n: n["id"]), key=lambda n: n["created_at"], reverse=True)
        assert [n["id"] for n in paged] == [n["id"] for n in newest]
        assert who not in ("fiona", "alice") or paged  # the seeded runs notified their groups


@pytest.mark.parametrize(("who", "path"), [("otto", "/api/runs"), ("fiona", "/api/work-items?mine=1")])
def test_pages_neither_skip_nor_repeat_under_inserts(seeded, login, clock, who, path):
    client, sam = login(who), login("sam")
    before = [r["id"] for r in walk(client, path)]
    seen: list[str] = []
    cursor = None
    while True:
        body = client.get(f"{path}{'&' if '?' in path else '?'}limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [r["id"] for r in body["items"]]
        start(sam, amount=99)  # a new run (and finance item) between two pages
        clock.advance("PT1M")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)


def test_a_cursor_we_did_not_give_is_400(login):
    ada = login("ada")
    ada.post("/api/record-types", json={"name": "contract", "fields": [{"name": "title", "type": "string"}]})
    for path in ("/api/runs", "/api/work-items", "/api/records/contract", "/api/notifications"):
        for cursor in ("bm90IGpzb24", "WyJ4Il0", "WzEsMiwzLDRd", "WzFlNDAsICJ4Il0", "WyJ4IiwgIngiXQ", "W3RydWUsICJ4IiwgIngiLCAieCJd"):
            response = ada.get(f"{path}?cursor={cursor}")
            assert response.status_code == 400 and error_code(response) == "bad_cursor", (path, cursor, response.get_json())


# Who sees what, every way a member reaches a run (builder/queries.py, visibility), against a
# reference worked out here in Python from the rows themselves, on both of the query's forms.

EVERYONE = ("fiona", "frank", "alice", "sam", "walt", "mallory", "erin", "otto")
#: A step for a person by name, then one for a queue.
ERRAND = document(
    EXPENSE,
    key="errand",
    label="Errand",
    nodes=[
        {"id": "start", "type": "start"},
        {"id": "go", "type": "stage", "label": "Go"},
        {
            "id": "fetch",
            "type": "interactive",
            "stage": "go",
            "label": "Fetch",
            "assignee": {"type": "user", "value": "erin"},
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {"id": "ship", "type": "stage", "label": "Ship"},
        {
            "id": "pack",
            "type": "interactive",
            "stage": "ship",
            "label": "Pack",
            "assignee": {"type": "queue", "value": "warehouse"},
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {"id": "done", "type": "end"},
    ],
    edges=[
        {"id": "e1", "source": "start", "target": "go"},
        {"id": "e2", "source": "go", "target": "ship"},
        {"id": "e3", "source": "ship", "target": "done"},
    ],
)


@pytest.fixture
def reached(seeded, login, clock) -> dict[str, Any]:
    """On top of ``seeded``: an item frank claimed, runs on a record mallory owns (started by
    ada), items for erin by name (one completed) and for the warehouse queue; then fiona, who
    completed items, and frank leave finance."""
    ada, frank, erin, mallory = login("ada"), login("frank"), login("erin"), login("mallory")
    deploy(ada, ERRAND)
    runs = seeded["runs"]
    (item,) = frank.get(f"/api/work-items?mine=1&run={runs[1]['id']}").get_json()["items"]
    assert frank.post(f"/api/work-items/{item['id']}/claim").status_code == 200
    assert ada.post("/api/record-types", json={"name": "account", "fields": [{"name": "name", "type": "string"}]}).status_code == 201
    owned = mallory.post("/api/records/account", json={"fields": {"name": "Mal's"}, "owner": "mallory"}).get_json()
    other = ada.post("/api/records/account", json={"fields": {"name": "Ada's"}}).get_json()
    assert owned["owner"] == "mallory" and other["owner"] != "mallory"
    for record in (owned, other, owned):
        bound = {"object": "account", "id": record["id"]}
        response = ada.post("/api/runs", json={"orchestration": "errand", "inputs": {"amount": 1}, "record": bound})
        assert response.status_code == 201, response.get_json()
        clock.advance("PT2M")
    fetch = erin.get("/api/work-items?mine=1").get_json()["items"][0]
    assert erin.post(f"/api/work-items/{fetch['id']}/complete", json={"outcome": "ok"}).status_code == 200  # on to the warehouse
    for who in ("fiona", "frank"):  # out of finance: they see the runs they completed or claimed an item on, no others
        assert ada.patch(f"/api/users/{who}", json={"groups": []}).status_code == 200
    return seeded


def reference(app, who: str) -> dict[str, Any]:
    """Which runs and records ``who`` may see and who holds open work on the open runs they see,
    worked out in Python from every row (nothing of builder/queries.py involved)."""
    from sqlalchemy import select

    from runtime.store.tables import RecordRow, RunRow, WorkItemRow

    with app.app_context(), state().sessions() as s:
        runs = list(s.scalars(select(RunRow)))
        items = list(s.scalars(select(WorkItemRow)))
        records = list(s.scalars(select(RecordRow)))
        groups = state().engine.directory.memberships(who)
    staff = who == "otto"
    owned = {r.id for r in records if r.owner == who}
    mine = {("user", who), *groups}
    touched = {i.run_id for i in items if (i.assignee_type, i.assignee_value) in mine or who in (i.claimed_by, i.completed_by)}
    seen = {r.id for r in runs if staff or r.started_by == who or r.id in touched or r.record_id in owned}
    status = {r.id: r.status for r in runs}
    holders = {("user", who)}
    for i in items:
        if i.status in ("open", "claimed") and i.run_id in seen and status[i.run_id] in ("in_progress", "suspended", "error"):
            holders.add((i.assignee_type, i.assignee_value))
            if i.claimed_by:
                holders.add(("user", i.claimed_by))
    bound = {r.record_id for r in runs if r.id in seen}
    return {
        "runs": runs,
        "items": items,
        "seen": seen,
        "records": {r.id for r in records if staff or r.id in owned or r.id in bound},
        "holders": holders,
    }


def newest(runs: list[Any]) -> list[str]:
    return [r.id for r in sorted(sorted(runs, key=lambda r: r.id), key=lambda r: r.started_at, reverse=True)]


def held_by(app, items: list[Any], holder: str) -> set[str]:
    """The runs the runs list's assignee filter finds for ``holder``: open items of that group
    or queue and those they claimed; for a person also theirs and their groups'."""
    with app.app_context():
        theirs = {("user", holder), *state().engine.directory.memberships(holder)} if holder in PEOPLE else set()
    return {
        i.run_id
        for i in items
        if i.status in ("open", "claimed")
        and (
            (i.assignee_type in ("group", "queue") and i.assignee_value == holder)
            or i.claimed_by == holder
            or (i.assignee_type, i.assignee_value) in theirs
        )
    }


@pytest.mark.parametrize("few", [0, 10_000], ids=["walked", "driven"])
def test_visibility_matches_the_rows(reached, app, login, monkeypatch, few):
    """Every list and lookup shows each person exactly the runs and records the rows say they
    may see, whether the query walks all runs or is driven from the few the member reaches."""
    from builder import queries

    monkeypatch.setattr(queries, "FEW_VISIBLE", few)
    for who in EVERYONE:
        ref, client = reference(app, who), login(who)
        runs = [r for r in ref["runs"] if r.id in ref["seen"]]
        assert runs or who == "walt", who  # every way of reaching a run is in the fixture
        assert [r["id"] for r in walk(client, "/api/runs")] == newest(runs), who
        in_progress = newest([r for r in runs if r.status == "in_progress"])
        assert [r["id"] for r in walk(client, "/api/runs?status=in_progress")] == in_progress, who
        shipping = newest([r for r in runs if r.orchestration == "errand" and r.current_node == "ship"])
        assert [r["id"] for r in walk(client, "/api/runs?orchestration=errand&stage=ship")] == shipping, who
        for holder in ("finance", "legal", "warehouse", "frank", "erin", "walt", "nobody"):
            held = held_by(app, ref["items"], holder)
            assert [r["id"] for r in walk(client, f"/api/runs?assignee={holder}")] == newest([r for r in runs if r.id in held]), (
                who,
                holder,
            )
        offered = client.get("/api/runs/filters").get_json()["assignees"]
        assert {(a["type"], a["value"]) for a in offered} == ref["holders"], who
        for run in ref["runs"]:
            assert client.get(f"/api/runs/{run.id}").status_code == (200 if run.id in ref["seen"] else 404), (who, run.id)
        assert {r["id"] for r in walk(client, "/api/records/account")} == ref["records"], who
        for note in walk(client, "/api/notifications"):
            assert note["record"] is None or note["record"]["id"] in ref["records"], who


@pytest.mark.parametrize("query", ["mine=1", "mine=1&status=open,claimed,completed", "mine=1&orchestration=expense", ""])
def test_work_item_totals_count_what_the_pages_hold(seeded, login, query):
    for who in USERS:
        client = login(who)
        body = client.get(f"/api/work-items?{query}&limit=2&total=1").get_json()
        assert body["total"] == len(walk(client, f"/api/work-items?{query}")), (who, query)
        assert "total" not in client.get(f"/api/work-items?{query}&limit=2").get_json()  # counted only when asked


def test_overdue_work_items_are_those_due_before_now(seeded, app, login, clock):
    frank, alice = login("frank"), login("alice")
    assert walk(frank, "/api/work-items?mine=1&overdue=1") == []  # finance items are due in a day
    clock.advance("P2D")
    with app.app_context():
        now = state().engine.clock.now()
        due = [i for i in state().engine.work_items(assignee="frank") if i["due_at"] and i["due_at"] < now.isoformat()]
    overdue = walk(frank, "/api/work-items?mine=1&overdue=1")
    assert overdue and [i["id"] for i in overdue] == engine_order(due)
    assert frank.get("/api/work-items?mine=1&overdue=1&total=1").get_json()["total"] == len(due)
    assert walk(alice, "/api/work-items?mine=1&overdue=1") == []  # legal's items have no due date
    response = frank.get("/api/work-items?mine=1&overdue=soon")
    assert response.status_code == 400, response.get_json()
