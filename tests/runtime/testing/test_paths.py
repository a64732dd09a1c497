"""Generated path tests (runtime.testing.paths): enumeration, solving, scenarios that pass."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from runtime.actions import default_registry
from runtime.errors import DocumentInvalid
from runtime.spec import compile_document
from runtime.templates import TEMPLATES, load
from runtime.testing import Coverage, Scenario, load_scenario, run_scenario
from runtime.testing.paths import GeneratedPath, generate, write_scenarios
from runtime.testing.paths.stage import _ACTS, _kind
from runtime.testing.solver.search import TODO
from tests.runtime.testing import order_flow

SCENARIOS = Path(__file__).resolve().parents[3] / "runtime" / "templates" / "scenarios"


# ---------------------------------------------------------------------- documents built here


def interactive(step_id: str, stage: str, outcomes=("approve", "reject"), fields=(), group="team", **extra: Any) -> dict:
    return {
        "id": step_id,
        "type": "interactive",
        "stage": stage,
        "label": step_id.replace("_", " ").capitalize(),
        "assignee": {"type": "group", "value": group},
        "form": {"fields": list(fields), "outcomes": [{"value": o, "label": o.capitalize()} for o in outcomes]},
        **extra,
    }


def stage(stage_id: str) -> dict:
    return {"id": stage_id, "type": "stage", "label": stage_id.upper()}


def decision(decision_id: str, label: str, *outcomes: tuple[str, str]) -> dict:
    return {
        "id": decision_id,
        "type": "decision",
        "label": label,
        "outcomes": [{"id": o, "label": o.capitalize(), "condition": c} for o, c in outcomes],
    }


def end(end_id: str) -> dict:
    return {"id": end_id, "type": "end", "label": end_id.replace("_", " ").capitalize()}


def edge(source: str, target: str, outcome: str | None = None, kind: str | None = None) -> dict:
    found = {"source": source, "target": target}
    if outcome:
        found["outcome"] = outcome
    if kind:
        found["kind"] = kind
    return found


def document(nodes: list[dict], edges: list[dict], **top: Any) -> dict:
    found = {
        "format": 1,
        "key": "adv",
        "label": "Adversarial",
        "nodes": [{"id": "start", "type": "start"}, *nodes],
        "edges": [{"id": f"e{i}", **e} for i, e in enumerate(edges)],
    }
    found.update(top)
    return found


def passes(paths: list[GeneratedPath], doc: dict) -> None:
    """Every feasible path's scenario is valid and passes against ``doc``."""
    for path in paths:
        if not path.feasible:
            continue
        result = run_scenario(path.scenario, document=doc)
        assert result.passed, f"{path.name}\n{path.to_yaml()}\n{result.report()}"


def by_decisions(paths: list[GeneratedPath]) -> dict[tuple, GeneratedPath]:
    return {tuple(p.decisions): p for p in paths if p.feasible}


# ---------------------------------------------------------------------- the templates


def test_contract_approval_paths():
    paths = generate(load("contract_approval"))
    assert not paths.truncated
    assert all(p.feasible for p in paths)
    assert len(paths) == 20
    assert len({p.name for p in paths}) == 20 and len({tuple(p.decisions) for p in paths}) == 20
    found = by_decisions(paths)
    small = found[(("legal_ok", "default"), ("finance_ok", "default"), ("deal_size", "default"))]
    assert small.name == "default path → signed"
    assert small.stages == ["legal", "finance", "executive"]
    fields = small.data["steps"][0]["start"]["record"]["fields"]
    assert fields["status"] == "submitted" and fields["amount"] < 50000
    big = found[(("legal_ok", "default"), ("finance_ok", "default"), ("deal_size", "big"), ("vp_ok", "default"))]
    assert big.name == "deal size: $50k or more → signed"
    assert big.data["steps"][0]["start"]["record"]["fields"]["amount"] >= 50000
    sent_back = found[
        (
            ("legal_ok", "sent_back"),
            ("resubmitted", "default"),
            ("legal_ok", "default"),
            ("finance_ok", "default"),
            ("deal_size", "default"),
        )
    ]
    assert sent_back.stages == ["legal", "revise", "legal", "finance", "executive"]
    outcomes = [s.get("outcome") for s in sent_back.data["steps"] if s.get("complete") == "legal_review"]
    assert outcomes == ["reject", "approve"]  # the same decision, another outcome on the second visit
    withdrawn = found[(("legal_ok", "default"), ("finance_ok", "rejected"), ("resubmitted", "withdrawn"))]
    assert withdrawn.end == "withdrawn"
    assert withdrawn.name == "finance approved? rejected, resubmitted? withdrawn → withdrawn"
    assert withdrawn.data["steps"][-1]["expect"]["record"] == {"status": "withdrawn", "amount": 1000}
    # The deal size of a second round is the revised amount, chosen independently of the first.
    twice = found[
        (
            ("legal_ok", "default"),
            ("finance_ok", "default"),
            ("deal_size", "big"),
            ("vp_ok", "rejected"),
            ("resubmitted", "default"),
            ("legal_ok", "default"),
            ("finance_ok", "default"),
            ("deal_size", "default"),
        )
    ]
    revised = next(s for s in twice.data["steps"] if s.get("complete") == "revise_contract")
    assert revised["values"]["amount"] < 50000 <= twice.data["steps"][0]["start"]["record"]["fields"]["amount"]


def test_max_visits_bounds_the_loops():
    once = generate(load("contract_approval"), max_visits=1)
    assert sorted(p.name for p in once) == [
        "deal size: $50k or more → signed",
        "deal size: $50k or more, VP approved? rejected, resubmitted? withdrawn → withdrawn",
        "default path → signed",
        "finance approved? rejected, resubmitted? withdrawn → withdrawn",
        "legal approved? sent back, resubmitted? withdrawn → withdrawn",
    ]
    assert [p.name for p in generate(load("project_milestones"), max_visits=3)] == [
        "default path → live",
        "signed off? needs more work → live",
        "signed off? needs more work, signed off? needs more work → live",
    ]


def test_service_request_and_project_milestones_paths():
    refund = generate(load("service_request"))
    assert [(p.name, p.stages) for p in refund] == [
        ("default path → refunded", ["verify", "returns", "credit"]),
        ("claim valid? invalid → rejected", ["verify", "rejected"]),
    ]
    credit = next(s for s in refund[0].data["steps"] if s.get("complete") == "issue_credit")
    assert refund[0].data["steps"][-1]["expect"]["vars"] == {"credit": credit["values"]["amount"]}
    project = generate(load("project_milestones"))
    assert [p.stages for p in project] == [
        ["requirements", "development", "release"],
        ["requirements", "requirements", "development", "release"],
    ]
    assert {"advance": "P2D"} in project[0].data["steps"]


@pytest.mark.parametrize("key", TEMPLATES)
def test_checked_in_generated_scenarios_are_up_to_date(key: str, tmp_path: Path):
    written = write_scenarios(generate(load(key)), tmp_path, key)
    checked_in = sorted((SCENARIOS / key / "generated").glob("*.scenario.yaml"))
    assert [p.name for p in checked_in] == [p.name for p in written]
    for mine, theirs in zip(written, checked_in):
        assert mine.read_text() == theirs.read_text(), f"{theirs} is stale: regenerate it with write_scenarios"


@pytest.mark.parametrize("key", TEMPLATES)
def test_generated_scenarios_pass_and_cover_every_node_outcome_and_edge(key: str):
    """(The checked-in files run too, in test_shipped_scenarios.py.)"""
    doc = load(key)
    coverage = Coverage()
    for path in generate(doc):
        assert run_scenario(path.scenario, document=doc, coverage=coverage).passed
    report = coverage.report()["orchestrations"][key]
    for kind in ("nodes", "outcomes", "edges"):
        assert report[kind]["missed"] == [], (kind, report[kind])


# ---------------------------------------------------------------------- adversarial graphs


def nested_loops() -> dict:
    return document(
        [
            stage("a"),
            interactive("wa", "a", ("next",)),
            stage("b"),
            interactive("wb", "b", ("done", "again")),
            decision("inner", "Inner loop", ("again", "steps.wb.outcome == 'again'")),
            stage("c"),
            interactive("wc", "c", ("finish", "restart")),
            decision("outer", "Outer loop", ("again", "steps.wc.outcome == 'restart'")),
            end("finished"),
        ],
        [
            edge("start", "a"),
            edge("a", "b"),
            edge("b", "inner"),
            edge("inner", "b", "again"),
            edge("inner", "c", "default"),
            edge("c", "outer"),
            edge("outer", "a", "again"),
            edge("outer", "finished", "default"),
        ],
    )


def test_nested_loops_are_bounded():
    doc = nested_loops()
    two = generate(doc)
    assert [p.decisions for p in two] == [
        [("inner", "default"), ("outer", "default")],
        [("inner", "default"), ("outer", "again"), ("inner", "default"), ("outer", "default")],
        [("inner", "again"), ("inner", "default"), ("outer", "default")],
    ]
    three = generate(doc, max_visits=3)
    assert len(three) == 7
    for path in three:
        assert max(path.stages.count(s) for s in path.stages) <= 3
    passes(two, doc)
    passes(three, doc)


def test_contradicting_conditions_drop_the_path():
    doc = document(
        [
            stage("s"),
            interactive("w", "s", ("ok",)),
            decision("size", "Size", ("big", "inputs.amount >= 50000")),
            stage("t"),
            interactive("w2", "t", ("ok",)),
            decision("tiny", "Tiny", ("tiny", "inputs.amount < 10000")),
            end("done"),
            end("tiny_end"),
        ],
        [
            edge("start", "s"),
            edge("s", "size"),
            edge("size", "t", "big"),
            edge("size", "tiny", "default"),
            edge("t", "tiny"),
            edge("tiny", "tiny_end", "tiny"),
            edge("tiny", "done", "default"),
        ],
        inputs=[{"name": "amount", "type": "number", "required": True}],
    )
    paths = generate(doc)
    assert [(p.decisions, p.feasible) for p in paths] == [
        ([("size", "default"), ("tiny", "default")], True),
        ([("size", "default"), ("tiny", "tiny")], True),
        ([("size", "big"), ("tiny", "default")], True),
        ([("size", "big"), ("tiny", "tiny")], False),
    ]
    dropped = paths[-1]
    assert dropped.reason == "`inputs.amount < 10000` (tiny: tiny) contradicts `inputs.amount >= 50000` (size: big)"
    assert dropped.data is None and dropped.scenario is None
    amounts = [p.data["steps"][0]["start"]["inputs"]["amount"] for p in paths[:3]]
    assert 10000 <= amounts[0] < 50000 and amounts[1] < 10000 and amounts[2] >= 50000
    passes(paths, doc)


def test_an_outcome_that_never_holds_is_reported():
    doc = document(
        [
            stage("s"),
            interactive("sign", "s", ("sign",)),
            decision("d", "Refused", ("refused", "steps.sign.outcome == 'refuse'")),
            end("done"),
        ],
        [edge("start", "s"), edge("s", "d"), edge("d", "done", "refused"), edge("d", "done", "default")],
    )
    paths = generate(doc)
    assert [p.feasible for p in paths] == [True, False]
    assert paths[1].reason == "`steps.sign.outcome == 'refuse'` (d: refused) can never hold here"
    assert paths[1].name == "refused: refused → impossible"


def test_a_decision_with_only_default():
    doc = document(
        [stage("s"), interactive("w", "s", ("ok",)), {"id": "d", "type": "decision", "label": "Route", "outcomes": []}, end("done")],
        [edge("start", "s"), edge("s", "d"), edge("d", "done", "default")],
    )
    (path,) = generate(doc)
    assert path.name == "default path → done"
    assert path.decisions == [("d", "default")]
    passes([path], doc)


def test_fault_paths_and_run_errors():
    doc = document(
        [
            stage("s"),
            interactive("w", "s", ("ok",)),
            {
                "id": "call",
                "type": "background",
                "stage": "s",
                "label": "Call CRM",
                "action": "http.request",
                "start": {"when": "after", "steps": ["w"]},
                "inputs": {"url": "'https://crm.example.com/x'"},
            },
            stage("t"),
            {
                "id": "sync",
                "type": "background",
                "stage": "t",
                "label": "Sync ERP",
                "action": "http.request",
                "inputs": {"url": "'https://erp.example.com/x'"},
            },
            decision("synced", "Synced", ("bad", "steps.sync.outputs.status >= 400")),
            stage("fix"),
            interactive("repair", "fix", ("fixed",), group="ops"),
            end("done"),
            end("bad_end"),
        ],
        [
            edge("start", "s"),
            edge("s", "t"),
            edge("s", "fix", kind="error"),
            edge("fix", "t"),
            edge("t", "synced"),
            edge("synced", "bad_end", "bad"),
            edge("synced", "done", "default"),
        ],
    )
    paths = generate(doc)
    assert [(p.name, p.status) for p in paths] == [
        ("default path → done", "completed"),
        ("synced: bad → bad end", "completed"),
        ("sync ERP fails → run error", "error"),
        ("call CRM fails → done", "completed"),
        ("call CRM fails, synced: bad → bad end", "completed"),
    ]
    assert {"step": "call", "fail": "generated failure"} in paths[3].data["mocks"]
    assert paths[3].stages == ["s", "fix", "t"]
    assert {"step": "sync", "result": {"status": 400}} in paths[1].data["mocks"]
    error = paths[2].data["steps"][-1]["expect"]
    assert error["status"] == "error" and error["error"] == {"step": "sync", "message": "generated failure"}
    passes(paths, doc)


def test_a_local_step_made_to_fail_cannot_run_again():
    doc = document(
        [
            stage("s"),
            {"id": "mark", "type": "background", "stage": "s", "label": "Mark", "action": "vars.set", "inputs": {"note": "'marked'"}},
            stage("fix"),
            interactive("repair", "fix", ("fixed",)),
            decision("again", "Again"),
            end("done"),
        ],
        [edge("start", "s"), edge("s", "done"), edge("s", "fix", kind="error"), edge("fix", "again"), edge("again", "s", "default")],
        variables=[{"name": "note", "type": "string"}],
    )
    paths = generate(doc)
    assert [p.name for p in paths if p.feasible] == ["default path → done"]
    assert any("cannot be undone" in (p.reason or "") for p in paths)
    passes(paths, doc)


def test_a_condition_on_a_variable_set_from_a_form_value():
    doc = document(
        [
            stage("s"),
            interactive(
                "w",
                "s",
                ("ok",),
                set={"approved": "steps.w.outputs.amount"},
                fields=[
                    {"name": "amount", "type": "integer", "label": "Amount", "required": True},
                    {"name": "kind", "type": "select", "label": "Kind", "options": ["a", "b", "c"]},
                ],
            ),
            decision("d", "Approved amount", ("high", "vars.approved > 500 && steps.w.outputs.kind in ['b', 'c']")),
            end("done"),
            end("high_end"),
        ],
        [edge("start", "s"), edge("s", "d"), edge("d", "high_end", "high"), edge("d", "done", "default")],
        variables=[{"name": "approved", "type": "integer", "default": 0}],
    )
    low, high = generate(doc)
    low_values = next(s for s in low.data["steps"] if "complete" in s)["values"]
    high_values = next(s for s in high.data["steps"] if "complete" in s)["values"]
    assert not (low_values["amount"] > 500 and low_values["kind"] in ("b", "c"))
    assert high_values["amount"] > 500 and high_values["kind"] in ("b", "c")
    assert high.data["steps"][-1]["expect"]["vars"] == {"approved": high_values["amount"]}
    passes([low, high], doc)


def test_a_condition_beyond_the_solver_keeps_the_path_with_a_placeholder():
    doc = document(
        [
            stage("s"),
            interactive("w", "s", ("ok",)),
            decision("d", "Name", ("long", "size(inputs.name) > 3")),
            end("done"),
            end("long_end"),
        ],
        [edge("start", "s"), edge("s", "d"), edge("d", "long_end", "long"), edge("d", "done", "default")],
        inputs=[{"name": "name", "type": "string", "required": True}],
    )
    paths = generate(doc)
    assert all(p.feasible for p in paths)
    long = next(p for p in paths if p.end == "long_end")
    assert long.unsolved == ["`size(inputs.name) > 3` (d: long)"]
    assert long.data["steps"][0]["start"]["inputs"] == {"name": TODO}
    assert "TODO" in long.data["description"] and "size(inputs.name) > 3" in long.data["description"]
    assert long.scenario is not None  # still a valid scenario file


def test_twenty_chained_decisions_are_capped():
    nodes = [stage("s"), interactive("w", "s", ("ok",)), end("done")]
    edges = [edge("start", "s"), edge("s", "d0")]
    inputs = []
    for i in range(20):
        nodes.append(decision(f"d{i}", f"Flag {i}", ("yes", f"inputs.f{i}")))
        following = f"d{i + 1}" if i < 19 else "done"
        edges += [edge(f"d{i}", following, "yes"), edge(f"d{i}", following, "default")]
        inputs.append({"name": f"f{i}", "type": "boolean", "required": True})
    doc = document(nodes, edges, inputs=inputs)
    began = time.perf_counter()
    paths = generate(doc)
    assert time.perf_counter() - began < 60  # bounded work, not a timing assertion on speed
    assert paths.truncated and len(paths) == 200
    few = generate(doc, max_paths=5)
    assert few.truncated and len(few) == 5
    flags = few[1].data["steps"][0]["start"]["inputs"]
    assert flags["f19"] is True and not any(flags[f"f{i}"] for i in range(19))
    passes(few, doc)


def waits_and_approvals() -> tuple[dict, dict]:
    """A document with every kind of step a scenario drives (work, events, a record change, a timer), and its record types."""
    types = {
        "ticket": [
            {"name": "title", "type": "string", "required": True},
            {"name": "priority", "type": "integer", "required": True},
            {"name": "state", "type": "string"},
            {"name": "paid", "type": "boolean"},
        ]
    }
    doc = document(
        [
            stage("s"),
            {**interactive("w", "s", ("ok", "no")), "assignee": {"type": "expression", "value": "record.owner"}},
            {
                "id": "pay",
                "type": "wait",
                "stage": "s",
                "label": "Paid",
                "start": {"when": "after", "steps": ["w"]},
                "event": {"name": "paid", "correlation": "record.title"},
                "set": {"amount": "event.payload.amount"},
            },
            {
                "id": "ship",
                "type": "wait",
                "stage": "s",
                "label": "Shipped",
                "start": {"when": "after", "steps": ["pay"]},
                "event": {"name": "shipped", "correlation": "event.payload.weight > 3"},
            },
            stage("t"),
            {
                "id": "until_closed",
                "type": "wait",
                "stage": "t",
                "label": "Closed",
                "until": "record.state == 'closed' && record.priority > 2",
            },
            {
                "id": "nap",
                "type": "wait",
                "stage": "t",
                "label": "Nap",
                "start": {"when": "after", "steps": ["until_closed"]},
                "timer": {"duration": "PT4H"},
            },
            stage("v"),
            interactive(
                "vote",
                "v",
                ("yes", "no"),
                approval={"policy": "all", "approvers": [{"type": "user", "value": "ann"}, {"type": "user", "value": "bob"}]},
            ),
            decision("d", "Amount", ("big", "vars.amount > 100 && steps.vote.outcome == 'yes'")),
            end("done"),
            end("big_end"),
        ],
        [edge("start", "s"), edge("s", "t"), edge("t", "v"), edge("v", "d"), edge("d", "big_end", "big"), edge("d", "done", "default")],
        trigger={"type": "record", "object": "ticket", "on": ["create"], "condition": "record.priority >= 1"},
        variables=[{"name": "amount", "type": "number", "default": 0}],
    )
    return doc, types


def test_waits_events_approvals_assignee_expressions_and_record_types():
    doc, types = waits_and_approvals()
    paths = generate(doc, record_types=types)
    assert [p.end for p in paths] == ["done", "big_end"]
    big = paths[1]
    data = big.data
    assert data["record_types"] == types
    steps = data["steps"]
    record = steps[0]["start"]["record"]
    assert record["owner"] == "requester" and record["fields"]["priority"] >= 1
    assert {"as": "requester", "complete": "w", "outcome": "ok"} in steps
    paid = next(s["event"] for s in steps if s.get("event", {}).get("name") == "paid")
    assert paid["correlation"] == record["fields"]["title"] and paid["payload"]["amount"] > 100
    shipped = next(s["event"] for s in steps if s.get("event", {}).get("name") == "shipped")
    assert shipped["payload"]["weight"] > 3 and "correlation" not in shipped
    update = next(s["update_record"] for s in steps if "update_record" in s)
    assert update["fields"]["state"] == "closed" and update["fields"]["priority"] > 2
    assert {"advance": "PT4H"} in steps
    votes = [s for s in steps if s.get("complete") == "vote"]
    assert [(v["as"], v["outcome"]) for v in votes] == [("ann", "yes"), ("bob", "yes")]
    no_votes = [s for s in paths[0].data["steps"] if s.get("complete") == "vote"]
    assert len(no_votes) in (1, 2)
    assert big.unsolved == []
    passes(paths, doc)


def test_every_kind_of_waiting_step_has_what_the_scenario_does():
    """A stage visit dispatches through a table by kind of step: every kind a step can be has an entry, and
    every entry is a kind some step has."""
    doc, _ = waits_and_approvals()
    spec = compile_document(doc, actions=default_registry())
    kinds = {_kind(step) for step in spec.steps.values() if step.type != "background"}
    assert kinds == set(_ACTS) == {"interactive", "event", "until", "timer"}


def test_write_scenarios_names_the_files_and_skips_infeasible_paths(tmp_path: Path):
    paths = generate(load("service_request"))
    paths.append(GeneratedPath("nowhere", "nowhere", [], [], feasible=False, reason="test"))
    written = write_scenarios(paths, tmp_path / "out", "service_request")
    assert [p.name for p in written] == [
        "service_request--1-default-path-refunded.scenario.yaml",
        "service_request--2-claim-valid-invalid-rejected.scenario.yaml",
    ]
    assert load_scenario(written[0].read_text()) == paths[0].scenario
    with pytest.raises(ValueError, match="not feasible"):
        paths[-1].to_yaml()


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_visits"):
        generate(load("service_request"), max_visits=0)
    with pytest.raises(ValueError, match="max_paths"):
        generate(load("service_request"), max_paths=0)
    broken = load("service_request")
    broken["edges"] = broken["edges"][1:]
    with pytest.raises(DocumentInvalid):
        generate(broken)


def test_the_order_flow_event_wait_timer_and_fault_path():
    doc = order_flow()
    paths = generate(doc)
    assert [p.name for p in paths] == ["default path → done", "charge the card fails → payment failed", "approved? rejected → rejected"]
    steps = paths[0].data["steps"]
    order_id = steps[0]["start"]["inputs"]["order_id"]
    assert {"event": {"name": "payment_confirmed", "correlation": order_id, "payload": {"receipt": "Sample receipt"}}} in steps
    assert steps[-1]["expect"]["vars"] == {"paid": True, "receipt": "Sample receipt"}
    passes(paths, doc)


def test_a_walk_where_every_path_is_impossible_still_ends():
    never = "inputs.f0 && !inputs.f0"
    nodes = [
        stage("s"),
        interactive("w", "s", ("ok",)),
        end("done"),
        decision("last", "Last", ("never", never)),
        {**stage("t"), "entry": {"condition": never}},
        interactive("w2", "t", ("ok",)),
    ]
    edges = [edge("start", "s"), edge("s", "d0"), edge("last", "t", "never"), edge("last", "t", "default"), edge("t", "done")]
    inputs = []
    for i in range(20):
        nodes.append(decision(f"d{i}", f"Flag {i}", ("yes", f"inputs.f{i}")))
        following = f"d{i + 1}" if i < 19 else "last"
        edges += [edge(f"d{i}", following, "yes"), edge(f"d{i}", following, "default")]
        inputs.append({"name": f"f{i}", "type": "boolean", "required": True})
    paths = generate(document(nodes, edges, inputs=inputs), max_paths=3)
    assert paths.truncated
    assert len(paths) == 3 and not any(p.feasible for p in paths)
    assert all("`!(inputs.f0)` (d0: yes)" in p.reason for p in paths)


def test_a_cycle_of_decisions_alone_ends():
    doc = document(
        [
            stage("s"),
            interactive("w", "s", ("ok",)),
            decision("a", "A", ("loop", "inputs.n > 1")),
            decision("b", "B", ("back", "inputs.n > 2")),
            end("done"),
        ],
        [
            edge("start", "s"),
            edge("s", "a"),
            edge("a", "b", "loop"),
            edge("a", "done", "default"),
            edge("b", "a", "back"),
            edge("b", "done", "default"),
        ],
        inputs=[{"name": "n", "type": "integer", "required": True}],
    )
    paths = generate(doc)
    assert [p.decisions for p in paths if p.feasible] == [[("a", "default")], [("a", "loop"), ("b", "default")]]
    passes(paths, doc)


def test_event_keyed_on_the_run_or_its_record_refers_to_the_new_ids():
    """Ids are new in every run: the scenario names them with ``{ref: ...}`` and the runner fills them in."""
    types = {"ticket": [{"name": "title", "type": "string", "required": True}]}
    doc = document(
        [
            stage("s"),
            {"id": "paid", "type": "wait", "stage": "s", "label": "Paid", "event": {"name": "paid", "correlation": "record.id"}},
            {
                "id": "shipped",
                "type": "wait",
                "stage": "s",
                "label": "Shipped",
                "start": {"when": "after", "steps": ["paid"]},
                "event": {"name": "shipped", "correlation": "run.id"},
            },
            end("done"),
        ],
        [edge("start", "s"), edge("s", "done")],
        trigger={"type": "record", "object": "ticket", "on": ["create"]},
    )
    (path,) = generate(doc, record_types=types)
    events = [s["event"] for s in path.data["steps"] if "event" in s]
    assert [e["correlation"] for e in events] == [{"ref": "record.id"}, {"ref": "run.id"}]
    assert not path.unsolved
    passes([path], doc)
    wrong = path.scenario.to_dict()
    wrong["steps"] = [s if "event" not in s else {"event": {**s["event"], "correlation": {"ref": "record.nope"}}} for s in wrong["steps"]]
    result = run_scenario(Scenario.from_dict(wrong), document=doc)
    assert not result.passed and "record.nope" in result.failures[0].message


def test_paths_are_described_by_labels_not_ids():
    """Names, not ids: the stages, decisions and scenario description read as the canvas does."""
    contract = {p.name: p for p in generate(load("contract_approval"))}
    sent_back = contract["legal approved? sent back → signed"]
    assert sent_back.path[:2] == ["Legal approved? → Sent back", "Resubmitted? → otherwise"]
    assert sent_back.stage_labels[:2] == ["Legal review", "Sales rep revises"] and sent_back.stages[:2] == ["legal", "revise"]
    description = sent_back.data["description"]
    assert description.startswith("Generated path test of Contract approval: ")
    assert "Path: Legal approved? → Sent back, Resubmitted? → otherwise" in description
    assert "legal_ok" not in description and "contract_approval" not in description
