"""Moving running instances to another version (ARCHITECTURE §3, "Migrating runs"): each
kind of node and state moved and then continued to the end, every reason for a refusal,
renamed and split nodes, a dry run that writes nothing, batches that resume, and a person
completing an item while its run moves."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from runtime.actions import Action
from runtime.engine import Engine, Plan
from runtime.errors import Conflict, InvalidInput
from runtime.model import Migration, MigrationResult
from runtime.retention import purge
from runtime.worker import Worker
from tests.runtime.docs import document, step

DONE = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}
DECIDE = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "escalate", "label": "Escalate"}]}


def contract(*, compliance: bool = False, finance: str = "finance", approve: str = "approve", form: dict | None = None, **top: Any) -> dict:
    """legal -> finance (-> compliance) -> end; each stage one interactive step."""
    nodes = [
        {"id": "legal", "type": "stage", "label": "Legal"},
        step("review", stage="legal", label="Legal review", assignee={"type": "group", "value": "legal"}, form=DONE),
        {"id": finance, "type": "stage", "label": "Finance"},
        step(approve, stage=finance, label="Budget approval", assignee={"type": "group", "value": "finance"}, form=form or DECIDE),
    ]
    edges: list[tuple[str, ...]] = [("start", "legal"), ("legal", finance)]
    if compliance:
        nodes += [
            {"id": "compliance", "type": "stage", "label": "Compliance"},
            step("check", stage="compliance", label="Compliance check", assignee={"type": "group", "value": "executives"}, form=DONE),
        ]
        edges += [(finance, "compliance"), ("compliance", "end")]
    else:
        edges.append((finance, "end"))
    return document(nodes, edges, key="contract", label="Contract", **top)


def staged(stage: str, label: str, *steps: dict, key: str) -> dict:
    """start -> one stage holding ``steps`` -> end."""
    return document([{"id": stage, "type": "stage", "label": label}, *steps], [("start", stage), (stage, "end")], key=key)


def open_items(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    return engine.work_items(run=run_id)


def complete_open(engine: Engine, run_id: str, by: str, outcome: str | None = None) -> None:
    (item,) = open_items(engine, run_id)
    engine.complete(item["id"], by=by, outcome=outcome)


def at_finance(engine: Engine) -> str:
    run_id = engine.start("contract")
    complete_open(engine, run_id, "alice")
    assert engine.get_run(run_id)["current_stage"] == "finance"
    return run_id


def types(engine: Engine, run_id: str) -> list[str]:
    return [e["type"] for e in engine.events(run_id)]


def test_a_run_at_finance_moves_to_a_version_with_compliance_and_goes_on_there(engine: Engine):
    engine.deploy(contract())
    run_id = at_finance(engine)
    (item,) = open_items(engine, run_id)
    engine.claim(item["id"], by="fiona")
    assert engine.deploy(contract(compliance=True)) == 2

    report = engine.migrate(Plan("contract", 2), by="otto")

    assert (report["status"], report["moved"], report["refused"], report["total"]) == ("completed", 1, 0, 1)
    run = engine.get_run(run_id)
    assert (run["version"], run["current_stage"]) == (2, "finance")
    (moved,) = open_items(engine, run_id)
    assert (moved["id"], moved["claimed_by"], moved["assignee"]["value"]) == (item["id"], "fiona", "finance")
    migrated = next(e for e in engine.events(run_id) if e["type"] == "run.migrated")
    assert migrated["by"] == "otto" and migrated["data"]["from"] == 1 and migrated["data"]["to"] == 2
    assert migrated["data"]["positions"] == {"finance": "finance", "approve": "approve"}
    complete_open(engine, run_id, "fiona", "approve")
    assert engine.get_run(run_id)["current_stage"] == "compliance"
    complete_open(engine, run_id, "erin")
    assert engine.get_run(run_id)["status"] == "completed"


def test_the_dry_run_writes_nothing_and_says_what_would_move(engine: Engine):
    engine.deploy(contract())
    run_id = at_finance(engine)
    engine.deploy(contract(compliance=True))
    before = types(engine, run_id)

    report = engine.check_migration(Plan("contract", 2))

    assert (report["total"], report["movable"], report["refused"]) == (1, 1, 0)
    assert report["summary"] == "1 can move"
    assert report["runs"][0]["run_id"] == run_id and report["runs"][0]["movable"] is True
    assert engine.get_run(run_id)["version"] == 1
    assert types(engine, run_id) == before
    assert engine.migrations("contract") == []


def test_refusals_are_grouped_with_counts_and_every_reason(engine: Engine):
    """20 runs sit on a removed stage, 3 have an open item whose outcome is gone."""
    engine.deploy(contract())
    at_legal = [engine.start("contract") for _ in range(4)]
    finance = [at_finance(engine) for _ in range(3)]
    # Version 2: legal was removed (runs on it cannot move), and approve lost "escalate".
    v2 = contract(form={"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}]})
    v2["nodes"] = [n for n in v2["nodes"] if n["id"] not in ("legal", "review")]
    v2["edges"] = [{"id": "e0", "source": "start", "target": "finance"}, {"id": "e2", "source": "finance", "target": "end"}]
    engine.deploy(v2)

    report = engine.check_migration(Plan("contract", 2))

    assert (report["total"], report["movable"], report["refused"]) == (7, 0, 7)
    groups = {(g["code"], g["node"]): g for g in report["groups"]}
    assert groups[("removed", "legal")]["count"] == 4
    assert groups[("removed", "legal")]["message"] == "sits on Legal, removed in version 2 without a mapping"
    assert groups[("form", "approve")]["count"] == 3
    assert "outcome escalate no longer exists" in groups[("form", "approve")]["message"]
    assert report["summary"].startswith("0 can move; 7 cannot: 4 sits on Legal")
    by_run = {r["run_id"]: r for r in report["runs"]}
    assert all(not by_run[r]["movable"] for r in at_legal + finance)

    applied = engine.migrate(Plan("contract", 2))
    assert (applied["moved"], applied["refused"]) == (0, 7)
    assert {r["outcome"] for r in applied["runs"]} == {"refused"}
    assert all(engine.get_run(r)["version"] == 1 for r in at_legal + finance)


def test_a_mapping_moves_runs_off_a_removed_node(engine: Engine):
    engine.deploy(contract())
    run_id = at_finance(engine)
    engine.deploy(contract(finance="budget", approve="sign_off"))

    refused = engine.check_migration(Plan("contract", 2))
    assert {g["code"] for g in refused["groups"]} == {"removed"}

    report = engine.migrate(Plan("contract", 2, mapping={"finance": "budget", "approve": "sign_off"}))

    assert report["moved"] == 1
    run = engine.get_run(run_id)
    assert run["current_stage"] == "budget"
    assert next(s for s in run["steps"] if s["id"] == "sign_off")["status"] == "in_progress"
    (item,) = open_items(engine, run_id)
    assert item["step_id"] == "sign_off"
    migrated = next(e for e in engine.events(run_id) if e["type"] == "run.migrated")
    assert migrated["data"]["mapping"] == {"finance": "budget", "approve": "sign_off"}
    complete_open(engine, run_id, "fiona", "approve")
    assert engine.get_run(run_id)["status"] == "completed"
    # The run's earlier visit of legal is unchanged; its history now names the new stage.
    assert [h["stage"] for h in engine.get_run(run_id)["history"]] == ["legal", "budget"]


def test_a_split_step_maps_one_part_and_the_new_part_starts_at_once(engine: Engine):
    engine.deploy(contract())
    run_id = at_finance(engine)
    v2 = contract(approve="approve_budget")
    v2["nodes"].append(step("approve_tax", stage="finance", label="Tax approval", assignee={"type": "user", "value": "frank"}, form=DONE))
    engine.deploy(v2)

    engine.migrate(Plan("contract", 2, mapping={"approve": "approve_budget"}))

    items = {i["step_id"]: i for i in open_items(engine, run_id)}
    assert set(items) == {"approve_budget", "approve_tax"}
    assert items["approve_tax"]["assignee"] == {"type": "user", "value": "frank"}
    engine.complete(items["approve_budget"]["id"], by="fiona", outcome="approve")
    assert engine.get_run(run_id)["status"] == "in_progress"
    engine.complete(items["approve_tax"]["id"], by="frank")
    assert engine.get_run(run_id)["status"] == "completed"


def test_a_bad_mapping_is_refused_before_anything_moves(engine: Engine):
    engine.deploy(contract())
    at_finance(engine)
    engine.deploy(contract(compliance=True))
    with pytest.raises(InvalidInput) as bad:
        engine.check_migration(Plan("contract", 2, mapping={"nope": "finance", "approve": "finance", "legal": "finance"}))
    errors = bad.value.details["mapping"]
    assert errors["nope"] == "is not a node of version 1"
    assert "a node maps to one of its kind" in errors["approve"]
    assert any("both map to 'finance'" in message for message in errors.values())
    with pytest.raises(InvalidInput) as bad_target:
        engine.check_migration(Plan("contract", 7))
    assert bad_target.value.details == {"target": "is not a version of the orchestration"}
    with pytest.raises(InvalidInput):
        engine.check_migration(Plan("contract", 2, sources=(2,)))


def test_the_plan_from_json_names_each_wrong_field():
    with pytest.raises(InvalidInput) as bad:
        Plan.from_json({"target": "two", "mapping": {"a": 3}, "recompute": ["colour"], "statuses": ["completed"], "timers": "later"})
    assert set(bad.value.details) == {"orchestration", "target", "mapping", "recompute", "statuses", "timers"}
    plan = Plan.from_json({"orchestration": "contract", "target": 2, "sources": [1], "mapping": {"a": "b"}, "recompute": ["due"]})
    assert Plan.from_json(plan.to_json()) == plan


def test_suspended_runs_runs_in_error_and_parents_of_children_are_refused(engine: Engine):
    engine.deploy(contract())
    suspended = at_finance(engine)
    engine.suspend(suspended, by="otto")
    engine.deploy(contract(compliance=True))
    report = engine.check_migration(Plan("contract", 2))
    (run,) = report["runs"]
    assert [r["code"] for r in run["reasons"]] == ["suspended"]
    engine.resume(suspended, by="otto")
    assert engine.check_migration(Plan("contract", 2))["movable"] == 1


def test_variables_and_inputs_take_the_new_declarations(engine: Engine):
    engine.deploy(contract(inputs=[{"name": "amount", "type": "integer"}], variables=[{"name": "note", "type": "string"}]))
    run_id = engine.start("contract", {"amount": 5})
    v2 = contract(
        inputs=[{"name": "amount", "type": "integer"}, {"name": "currency", "type": "string", "default": "EUR"}],
        variables=[{"name": "score", "type": "integer", "default": 3}],
    )
    engine.deploy(v2)
    report = engine.check_migration(Plan("contract", 2))
    notes = {n["message"] for n in report["notes"]}
    assert "variable score is new: it starts as 3" in notes
    assert "variable note is not in version 2 and will be dropped" in notes
    engine.migrate(Plan("contract", 2))
    run = engine.get_run(run_id)
    assert run["vars"] == {"score": 3}
    assert run["inputs"] == {"amount": 5, "currency": "EUR"}

    engine.deploy(contract(inputs=[{"name": "amount", "type": "string"}, {"name": "region", "type": "string", "required": True}]))
    report = engine.check_migration(Plan("contract", 3))
    messages = [r["message"] for r in report["runs"][0]["reasons"]]
    assert any(m.startswith("input amount") and "as version 3 declares it" in m for m in messages)
    assert "input region is required in version 3 and the run has none" in messages


def test_a_wait_for_an_event_moves_and_the_event_still_completes_it(engine: Engine):
    wait = step("signal", "wait", stage="w", label="Wait for signature", event={"name": "signed", "correlation": "run.id"})
    doc = staged("w", "Wait", wait, key="waits")
    engine.deploy(doc)
    run_id = engine.start("waits")
    doc2 = staged("w", "Waiting", {**wait, "label": "Signature"}, key="waits")
    engine.deploy(doc2)
    assert engine.migrate(Plan("waits", 2))["moved"] == 1
    assert engine.publish_event("signed", run_id) == [run_id]
    assert engine.get_run(run_id)["status"] == "completed"

    run2 = engine.start("waits", version=2)
    doc3 = staged("w", "Waiting", {**wait, "event": {"name": "countersigned", "correlation": "run.id"}}, key="waits")
    engine.deploy(doc3)
    (refused,) = engine.check_migration(Plan("waits", 3))["runs"]
    assert refused["run_id"] == run2
    assert refused["reasons"][0]["message"] == "step Signature waits for event signed; version 3 waits for event countersigned"


def test_a_timer_is_kept_or_recomputed_as_the_plan_says(engine: Engine, clock):
    wait = step("pause", "wait", stage="w", label="Cooling off", timer={"duration": "PT1H"})
    engine.deploy(staged("w", "Wait", wait, key="timed"))
    kept, recomputed = engine.start("timed"), engine.start("timed")
    engine.deploy(staged("w", "Wait", {**wait, "timer": {"duration": "PT3H"}}, key="timed"))
    engine.migrate(Plan("timed", 2, runs=(kept,)))
    engine.migrate(Plan("timed", 2, runs=(recomputed,), timers="recompute"))
    clock.advance("PT1H1S")
    assert engine.get_run(kept)["status"] == "completed"
    assert engine.get_run(recomputed)["status"] == "in_progress"
    clock.advance("PT2H")
    assert engine.get_run(recomputed)["status"] == "completed"


def test_a_background_step_under_way_moves_unless_its_action_changed(engine: Engine):
    engine.autoprocess = engine.claim_inline = False
    for name in ("test.first", "test.second"):
        engine.actions.register(Action(name, lambda ctx, inputs: {}, (), ()))
    bg = step("send", "background", stage="b", label="Send", action="test.first")
    engine.deploy(staged("b", "Back office", bg, key="bg"))
    run_id = engine.start("bg")
    engine.deploy(staged("b", "Back office", {**bg, "label": "Send it"}, key="bg"))
    assert engine.migrate(Plan("bg", 2))["moved"] == 1
    engine.process()
    assert engine.get_run(run_id)["status"] == "completed"

    run2 = engine.start("bg", version=2)
    engine.deploy(staged("b", "Back office", {**bg, "action": "test.second"}, key="bg"))
    (refused,) = engine.check_migration(Plan("bg", 3))["runs"]
    assert (refused["run_id"], refused["reasons"][0]["code"]) == (run2, "action_changed")
    engine.deploy(staged("b", "Back office", {**bg, "id": "send2"}, key="bg"))
    (renamed,) = engine.check_migration(Plan("bg", 4, sources=(2,), mapping={"send": "send2"}))["runs"]
    assert renamed["reasons"][0]["code"] == "action_renamed"


def test_recomputing_the_assignee_reassigns_open_items(engine: Engine):
    engine.deploy(contract())
    kept, moved = at_finance(engine), at_finance(engine)
    v2 = contract()
    next(n for n in v2["nodes"] if n["id"] == "approve")["assignee"] = {"type": "user", "value": "frank"}
    engine.deploy(v2)
    engine.migrate(Plan("contract", 2, runs=(kept,)))
    engine.migrate(Plan("contract", 2, runs=(moved,), recompute=("assignee",)))
    assert open_items(engine, kept)[0]["assignee"] == {"type": "group", "value": "finance"}
    assert open_items(engine, moved)[0]["assignee"] == {"type": "user", "value": "frank"}
    assert "work_item.reassigned" in types(engine, moved)


def test_applying_again_moves_nothing_twice(engine: Engine):
    engine.deploy(contract())
    runs = [at_finance(engine) for _ in range(5)]
    engine.deploy(contract(compliance=True))
    first = engine.migrate(Plan("contract", 2), batch=2)
    assert (first["moved"], first["total"]) == (5, 5)
    again = engine.migrate(Plan("contract", 2))
    assert (again["moved"], again["total"]) == (0, 0)
    explicit = engine.migrate(Plan("contract", 2, runs=tuple(runs[:2])))
    assert (explicit["skipped"], explicit["moved"]) == (2, 0)
    for run_id in runs:
        assert types(engine, run_id).count("run.migrated") == 1


def test_a_migration_resumes_after_its_worker_stopped_mid_way(engine: Engine, clock):
    engine.deploy(contract())
    runs = [at_finance(engine) for _ in range(5)]
    engine.deploy(contract(compliance=True))
    migration_id = engine.start_migration(Plan("contract", 2), by="otto")
    assert engine.work_on_migrations(batch=2) == 2
    # That worker dies; another takes over once its lease ran out, and counts from the results.
    other = Engine(engine.store, clock, engine.directory, worker_id="other")
    assert other.work_on_migrations(batch=2) == 0
    clock.advance("PT2M")
    assert other.finish_migration(migration_id, batch=2)["moved"] == 5
    view = engine.migration(migration_id)
    assert (view["status"], view["total"], view["moved"], view["handled"]) == ("completed", 5, 5, 5)
    assert all(types(engine, r).count("run.migrated") == 1 for r in runs)
    with engine.store.transaction(write=False) as tx:
        assert len(tx.find(MigrationResult, migration_id=migration_id)) == 5
        assert tx.get(Migration, migration_id).claimed_by == "other"


def test_a_cancelled_migration_stops_and_keeps_what_moved(engine: Engine):
    engine.deploy(contract())
    for _ in range(4):
        at_finance(engine)
    engine.deploy(contract(compliance=True))
    migration_id = engine.start_migration(Plan("contract", 2))
    engine.work_on_migrations(batch=1)
    assert engine.cancel_migration(migration_id)["status"] == "cancelled"
    assert engine.work_on_migrations(migration_id) == 0
    view = engine.migration(migration_id)
    assert view["moved"] == 1
    with pytest.raises(Conflict):
        engine.cancel_migration(migration_id)


def test_a_person_completing_an_item_while_its_run_moves(engine: Engine):
    """Either order is fine; the run ends on version 2, its item completed once, moved once."""
    engine.deploy(contract())
    runs = [at_finance(engine) for _ in range(6)]
    engine.deploy(contract(compliance=True))
    items = [open_items(engine, r)[0]["id"] for r in runs]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def people() -> None:
        barrier.wait()
        try:
            for item in items:
                engine.complete(item, by="fiona", outcome="approve")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    person = threading.Thread(target=people)
    person.start()
    barrier.wait()
    report = engine.migrate(Plan("contract", 2), batch=1)
    person.join()
    assert not errors and report["failed"] == 0
    moved = 0
    for run_id in runs:
        # Completed on version 1 first (the run ended: nothing to move), or moved first
        # (the completion, retried, lands on version 2 and the run goes on to compliance).
        events = types(engine, run_id)
        assert events.count("work_item.completed") == 2 and events.count("run.migrated") <= 1
        run = engine.get_run(run_id)
        if "run.migrated" in events:
            moved += 1
            assert (run["version"], run["current_stage"]) == (2, "compliance")
        else:
            assert (run["version"], run["status"]) == (1, "completed")
    assert report["moved"] == moved


def test_purging_a_moved_run_takes_what_the_migration_did_with_it(engine: Engine, clock):
    engine.deploy(contract())
    run_id = at_finance(engine)
    engine.deploy(contract(compliance=True))
    migration_id = engine.start_migration(Plan("contract", 2))
    engine.finish_migration(migration_id)
    complete_open(engine, run_id, "fiona", "approve")
    complete_open(engine, run_id, "erin")
    clock.advance(timedelta(days=200))
    assert purge(engine.store, older_than=timedelta(days=180), now=clock.now()).runs == 1
    with engine.store.transaction(write=False) as tx:
        assert tx.find(MigrationResult, run_id=run_id) == []
    assert engine.migration(migration_id)["moved"] == 1  # the migration keeps its counts


def test_the_worker_applies_a_queued_migration_between_jobs(store, clock, directory):
    engine = Engine(store, clock, directory, autoprocess=False, worker_id="w1")
    engine.deploy(contract())
    runs = [engine.start("contract") for _ in range(7)]
    v2 = contract()
    next(n for n in v2["nodes"] if n["id"] == "review")["label"] = "Review by legal"
    engine.deploy(v2)
    migration_id = engine.start_migration(Plan("contract", 2), by="otto")
    assert engine.migration(migration_id)["status"] == "queued"
    Worker(engine, heartbeat_interval=0.05).run(until_idle=True)
    view = engine.migration(migration_id)
    assert (view["status"], view["moved"], view["created_by"]) == ("completed", 7, "otto")
    assert {engine.get_run(r)["version"] for r in runs} == {2}
    assert open_items(engine, runs[0])[0]["label"] == "Review by legal"


def test_a_run_on_a_removed_node_still_has_its_values_judged(engine: Engine):
    engine.deploy(contract(variables=[{"name": "note", "type": "string"}]))
    run_id = engine.start("contract")
    v2 = contract(variables=[{"name": "note", "type": "string"}], inputs=[{"name": "region", "type": "string", "required": True}])
    v2["nodes"] = [n for n in v2["nodes"] if n["id"] not in ("legal", "review")]
    v2["edges"] = [{"id": "e0", "source": "start", "target": "finance"}, {"id": "e2", "source": "finance", "target": "end"}]
    engine.deploy(v2)
    (run,) = engine.check_migration(Plan("contract", 2))["runs"]
    assert run["run_id"] == run_id
    assert [r["code"] for r in run["reasons"]] == ["removed", "input"]


def test_a_migration_naming_runs_it_cannot_find_is_not_recorded(engine: Engine):
    engine.deploy(contract())
    engine.deploy(contract(compliance=True))
    with pytest.raises(InvalidInput) as bad:
        engine.start_migration(Plan("contract", 2, runs=("nope",)))
    assert bad.value.details == {"runs": "nope"}
    assert engine.migrations("contract") == []
