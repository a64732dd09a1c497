"""``/ws/inbox`` on a real werkzeug server: each person's open-item count, pushed when
their work changes (and not when someone else's does)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runtime.engine import Engine
from tests.builder.test_live import DEAL, connect, handshake_status, review, start


@pytest.fixture(autouse=True)
def fast_inbox(app):
    app.config["INBOX_MIN_INTERVAL"] = 0.01
    app.config["INBOX_REFRESH_EVERY"] = 0.5


@pytest.fixture
def engine(app) -> Engine:
    engine = app.extensions["overture"].engine
    engine.deploy(DEAL, by="ada")
    return engine


def test_first_message_is_the_callers_open_work(login, engine, server):
    start(engine, 2)
    alice = connect(server, "/ws/inbox", login, "alice")
    first = alice.next()
    assert first == {
        "type": "inbox",
        "open": 2,
        "overdue": 0,
        "notifications": 2,
        "latest_notification_at": first["latest_notification_at"],
        "notifications_read_at": None,
    }
    assert first["latest_notification_at"] is not None
    fiona = connect(server, "/ws/inbox", login, "fiona")
    assert fiona.next() == {
        "type": "inbox",
        "open": 0,
        "overdue": 0,
        "notifications": 0,
        "latest_notification_at": None,
        "notifications_read_at": None,
    }
    alice.close()
    fiona.close()


def test_notifications_marked_read_in_one_browser_are_read_in_the_next(login, engine, server):
    start(engine, 1)
    read_at = login("alice").post("/api/notifications/read").get_json()["read_at"]
    alice = connect(server, "/ws/inbox", login, "alice")
    assert alice.next()["notifications_read_at"] == read_at
    alice.close()


def test_counts_follow_new_and_completed_work(login, engine, server):
    alice = connect(server, "/ws/inbox", login, "alice")
    fiona = connect(server, "/ws/inbox", login, "fiona")
    assert alice.next()["open"] == 0
    assert fiona.next()["open"] == 0
    (run_id,) = start(engine)
    assert alice.until(lambda m: m["open"] == 1)[-1]["notifications"] == 1
    review(engine, run_id)  # alice approves: the run moves on to finance
    assert alice.until(lambda m: m["open"] == 0)
    assert fiona.until(lambda m: m["open"] == 1)[-1]["notifications"] == 1
    alice.close()
    fiona.close()


def test_a_claim_by_a_colleague_changes_what_the_group_sees(login, engine, server):
    (run_id,) = start(engine)
    review(engine, run_id)
    fiona = connect(server, "/ws/inbox", login, "fiona")
    assert fiona.next()["open"] == 1
    (item,) = engine.work_items(run=run_id)
    engine.claim(item["id"], by="frank")  # claimed by frank: no longer fiona's to do
    assert fiona.until(lambda m: m["open"] == 0)
    engine.release(item["id"], by="frank")
    assert fiona.until(lambda m: m["open"] == 1)
    fiona.close()


def test_someone_elses_work_sends_nothing(login, engine, server):
    erin = connect(server, "/ws/inbox", login, "erin")
    assert erin.next()["open"] == 0
    start(engine, 3)
    with pytest.raises(AssertionError, match="no message in time"):
        erin.next(timeout=1.5)  # refreshed meanwhile (every 0.5 s here), but nothing changed
    erin.close()


def test_overdue_counts_change_with_time_alone(login, engine, server, clock):
    start(engine)
    alice = connect(server, "/ws/inbox", login, "alice")
    assert alice.next()["overdue"] == 0
    clock.advance(timedelta(days=3))  # the review was due in two days
    assert alice.until(lambda m: m["overdue"] == 1)[-1]["open"] == 1
    alice.close()


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer nope"}, 401)])
def test_handshake_needs_a_person(server, headers, status):
    assert handshake_status(server, "/ws/inbox", headers) == status


def test_handshake_from_another_site_is_refused(login, server):
    cookie = f"session={login('alice').http.get_cookie('session').value}"
    assert handshake_status(server, "/ws/inbox", {"Cookie": cookie, "Origin": "http://evil.example"}) == 403


def test_the_inbox_counts_the_notifications_the_bell_lists(app, engine):
    """Who sees which notification is one rule (builder/queries.py, notification_totals): the
    inbox's count in SQL agrees with the engine's list for everyone, members of groups or not."""
    from datetime import datetime

    from builder.queries import memberships, notification_totals, reading
    from tests.builder.conftest import PEOPLE

    start(engine, 2)
    counted = {}
    with app.app_context():
        for name in PEOPLE:
            listed = engine.notifications(to=name)
            with reading() as s:
                count, latest = notification_totals(s, name, memberships(name))
            newest = max((datetime.fromisoformat(n["created_at"]) for n in listed), default=None)
            assert (count, latest) == (len(listed), newest), name
            counted[name] = count
    assert counted["alice"] == 2 and 0 in counted.values()
