"""Out of office: work meant for a person who is away goes to their delegate, "for" them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runtime.directory import InMemoryDirectory
from runtime.engine import DELEGATION_HOPS, Engine
from tests.runtime.docs import one_stage, step

ALICE = {"type": "user", "value": "alice"}


def away(directory: InMemoryDirectory, clock, user: str, delegate: str, days: int = 7) -> None:
    directory.set_delegate(user, delegate, clock.now() - timedelta(hours=1), clock.now() + timedelta(days=days))


def only_item(engine: Engine, run_id: str) -> dict:
    [item] = engine.work_items(run=run_id)
    return item


def test_personal_work_goes_to_the_delegate_for_the_person(engine: Engine, directory, clock):
    engine.deploy(one_stage(step("a", assignee=ALICE)))
    away(directory, clock, "alice", "bob")
    run_id = engine.start("t")
    item = only_item(engine, run_id)
    assert item["assignee"] == {"type": "user", "value": "bob"} and item["on_behalf_of"] == "alice"
    created = [e for e in engine.events(run_id) if e["type"] == "work_item.created"][0]
    assert created["data"]["assignee"]["value"] == "bob" and created["data"]["on_behalf_of"] == "alice"
    [note] = engine.notifications(to="bob")
    assert note["subject"] == "New work: a (for alice)" and "for alice" in note["body"]
    assert engine.notifications(to="alice") == []
    assert [i["id"] for i in engine.work_items(assignee="bob")] == [item["id"]]
    engine.complete(item["id"], by="bob")
    assert engine.get_run(run_id)["status"] == "completed"


def test_no_delegation_outside_the_period_or_for_groups(engine: Engine, directory, clock):
    engine.deploy(one_stage(step("a", assignee=ALICE)))
    directory.set_delegate("alice", "bob", clock.now() + timedelta(days=1), clock.now() + timedelta(days=2))
    before = only_item(engine, engine.start("t"))
    assert before["assignee"]["value"] == "alice" and before["on_behalf_of"] is None
    clock.advance("P2D")  # the period ends at its end, exclusive
    after = only_item(engine, engine.start("t"))
    assert after["assignee"]["value"] == "alice" and after["on_behalf_of"] is None

    engine.deploy(one_stage(step("g"), key="g"))  # assigned to the group legal, alice is in it
    away(directory, clock, "alice", "bob")
    group_item = only_item(engine, engine.start("g"))
    assert group_item["assignee"] == {"type": "group", "value": "legal"} and group_item["on_behalf_of"] is None


def test_an_inactive_delegate_takes_nothing(engine: Engine, directory, clock):
    engine.deploy(one_stage(step("a", assignee=ALICE)))
    away(directory, clock, "alice", "nobody")  # not in the directory
    item = only_item(engine, engine.start("t"))
    assert item["assignee"]["value"] == "alice" and item["on_behalf_of"] is None


def test_chains_resolve_a_few_hops_and_never_loop(engine: Engine, directory, clock):
    engine.deploy(one_stage(step("a", assignee=ALICE)))
    away(directory, clock, "alice", "bob")
    away(directory, clock, "bob", "fiona")
    item = only_item(engine, engine.start("t"))
    assert item["assignee"]["value"] == "fiona" and item["on_behalf_of"] == "alice"

    away(directory, clock, "fiona", "alice")  # a circle: fiona, the last before it closes, keeps it
    item = only_item(engine, engine.start("t"))
    assert item["assignee"]["value"] == "fiona" and item["on_behalf_of"] == "alice"

    people = ["alice", "bob", "fiona", "frank", "erin", "ed", "eve"]
    for user, delegate in zip(people, people[1:]):
        away(directory, clock, user, delegate)
    item = only_item(engine, engine.start("t"))
    assert item["assignee"]["value"] == people[DELEGATION_HOPS] and item["on_behalf_of"] == "alice"


def test_reassignment_and_escalation_follow_the_delegate(engine: Engine, directory, clock):
    engine.deploy(one_stage(step("a", due="PT1H", escalation={"action": "reassign", "to": {"type": "user", "value": "erin"}})))
    run_id = engine.start("t")
    item = only_item(engine, run_id)
    away(directory, clock, "erin", "ed")
    clock.advance("PT2H")
    item = engine.get_work_item(item["id"])
    assert item["assignee"] == {"type": "user", "value": "ed"} and item["on_behalf_of"] == "erin"
    moved = [e for e in engine.events(run_id) if e["type"] == "work_item.reassigned"][0]
    assert moved["data"]["to"]["value"] == "ed" and moved["data"]["on_behalf_of"] == "erin"
    assert [n["kind"] for n in engine.notifications(to="ed")] == ["escalation"]

    engine.reassign(item["id"], {"type": "user", "value": "sam"}, by="ops")  # sam is in: the mark goes
    item = engine.get_work_item(item["id"])
    assert item["assignee"]["value"] == "sam" and item["on_behalf_of"] is None
    away(directory, clock, "sam", "sue")
    engine.reassign(item["id"], {"type": "user", "value": "sam"}, by="ops")
    item = engine.get_work_item(item["id"])
    assert item["assignee"]["value"] == "sue" and item["on_behalf_of"] == "sam"
    assert "(for sam)" in engine.notifications(to="sue")[0]["subject"]


def test_the_sql_directory_reads_out_of_office_from_the_accounts(store, clock):
    if not hasattr(store, "engine"):
        pytest.skip("the in-memory store has no accounts")
    from runtime.store.directory import SqlDirectory
    from runtime.store.tables import OutOfOfficeRow, UserRow

    now = clock.now()
    with store.engine.begin() as conn:
        conn.execute(
            UserRow.__table__.insert(),
            [
                {
                    "id": name,
                    "role": "member",
                    "password_hash": None,
                    "display_name": name.title(),
                    "active": name != "gone",
                    "created_at": now,
                }
                for name in ("alice", "bob", "gone")
            ],
        )
        conn.execute(
            OutOfOfficeRow.__table__.insert(),
            [
                {
                    "user_id": "alice",
                    "delegate_id": "bob",
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": now + timedelta(days=1),
                    "set_by": "alice",
                    "updated_at": now,
                },
                {
                    "user_id": "bob",
                    "delegate_id": "gone",
                    "starts_at": now - timedelta(hours=1),
                    "ends_at": now + timedelta(days=1),
                    "set_by": "bob",
                    "updated_at": now,
                },
            ],
        )
    directory = SqlDirectory(store)
    assert directory.delegate("alice", now) == "bob"
    assert directory.delegate("alice", now - timedelta(hours=2)) is None  # not yet
    assert directory.delegate("alice", now + timedelta(days=1)) is None  # over: the end is exclusive
    assert directory.delegate("bob", now) is None  # the delegate is no longer active
    assert directory.delegate("gone", now) is None
