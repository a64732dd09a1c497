"""Lists paged in SQL (builder/queries.py): every filter gives what the engine's own
Python path gives, in the same order, and keyset pages neither skip nor repeat rows while
new ones arrive between two pages."""

from __future__ import annotations

from typing import Any

import pytest

from builder import create_app
from builder.extensions import state
from tests.builder.api_support import EXPENSE, deploy, error_code, start
from tests.builder.conftest import add_people
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
