"""An admin builds a contract approval from a blank canvas, only by dragging, connecting
and filling in the properties panel (no JSON typed, no API shortcut for the building),
activates it, and a run started through the API follows the graph that was drawn.

    start → Legal review (alice's group) → Finance review (fiona's group) → Finance approved?
        ├─ Rejected  (the finance step's outcome == 'reject') → end "Rejected"
        └─ Otherwise                                          → end "Approved"

On the way the issues panel shows what is missing (steps without an assignee, a decision
outcome without an edge) and forgets each issue once it is fixed.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import HomePage

#: Where the admin puts things, in canvas coordinates (top-left corners; the blank canvas
#: has start at (0, 80) and an end at (480, 80)): one row, left to right.
LEGAL_AT = (96, 0)
FINANCE_AT = (464, 0)
DECISION_AT = (848, 64)
REJECTED_AT = (1088, 0)
APPROVED_AT = (1088, 176)
AREA = (-16, -16, 1216, 272)  # all of it, to keep in view


def test_admin_builds_contract_approval_from_a_blank_canvas_and_a_run_follows_it(login_as, api, system_api):
    admin = api("admin")
    key = unique_key("contract")
    page = login_as("admin").new_page()

    # ---------------------------------------------------------------- a new, blank orchestration
    builder = HomePage(page).open().create_orchestration("Drawn contract review", key, start_from="Blank canvas")
    expect(page.get_by_role("heading", name="Drawn contract review")).to_be_visible()
    expect(builder.nodes()).to_have_count(2)  # start and an end
    approved = "end"
    builder.show_area(*AREA)

    # The blank canvas's end becomes "Approved", out on the right.
    here = builder.position(approved)
    zoom = builder.viewport()[2]
    builder.move_node(approved, (APPROVED_AT[0] - here.x) * zoom, (APPROVED_AT[1] - here.y) * zoom)
    builder.inspect(approved)
    approved = builder.set_label("Approved")
    expect(builder.node(approved)).to_contain_text("Approved")

    # ---------------------------------------------------------------- drag: stages, steps, decision, end
    legal = builder.drag_from_palette("Stage", builder.flow_point(*LEGAL_AT))
    builder.inspect(legal)
    legal = builder.set_label("Legal review")
    finance = builder.drag_from_palette("Stage", builder.flow_point(*FINANCE_AT))
    builder.inspect(finance)
    finance = builder.set_label("Finance review")

    legal_step = builder.drop_step_in_stage("Interactive step", legal)
    builder.inspect(legal_step)
    legal_step = builder.set_label("Review contract terms")
    finance_step = builder.drop_step_in_stage("Interactive step", finance)
    builder.inspect(finance_step)
    finance_step = builder.set_label("Check pricing and terms")

    decision = builder.drag_from_palette("Decision", builder.flow_point(*DECISION_AT))
    builder.inspect(decision)
    decision = builder.set_label("Finance approved?")
    rejected = builder.drag_from_palette("End", builder.flow_point(*REJECTED_AT))
    builder.inspect(rejected)
    rejected = builder.set_label("Rejected")
    # Readable ids, made from the labels as they were typed.
    assert (legal, legal_step, decision, approved) == ("legal_review", "review_contract_terms", "finance_approved", "approved")
    page.screenshot(path="/tmp/names-inspector.png")
    for node_id, text in [
        (legal, "Legal review"),
        (finance, "Finance review"),
        (legal_step, "Review contract terms"),
        (finance_step, "Check pricing and terms"),
        (decision, "Finance approved?"),
        (rejected, "Rejected"),
    ]:
        expect(builder.node(node_id)).to_contain_text(text)

    # ---------------------------------------------------------------- connect by dragging handles
    builder.connect("start", legal)
    builder.connect(legal, finance)
    builder.connect(finance, decision)
    builder.connect(decision, approved, source_handle="default")
    expect(builder.edges()).to_have_count(4)

    # Saved now, the server says what is missing: nobody is assigned to either step.
    builder.save()
    for step in (legal_step, finance_step):
        expect(builder.issue_at(step, "assignee")).to_have_count(1)
        expect(builder.issue_at(step, "assignee")).to_have_class(re.compile("issue--error"))
        expect(builder.node(step)).to_contain_text("No assignee yet")

    # ---------------------------------------------------------------- properties: assignees and forms
    builder.inspect(legal_step)
    builder.set_assignee("group", "legal")
    builder.add_form_field("notes", "textarea", "Notes")
    builder.set_outcome(0, "approve", "Approve")  # a new step has one outcome, "done"
    builder.add_outcome("reject", "Send back")
    expect(builder.node(legal_step)).to_contain_text("group Legal")

    builder.inspect(finance_step)
    builder.set_assignee("group", "finance")
    builder.add_form_field("reason", "textarea", "Reason")
    builder.set_outcome(0, "approve", "Approve")
    builder.add_outcome("reject", "Reject")
    expect(builder.node(finance_step)).to_contain_text("group Finance")

    # The decision: "Rejected" when finance rejected, written with the condition builder.
    builder.inspect(decision)
    builder.add_outcome("rejected", "Rejected")
    builder.set_condition("Condition of Rejected", f"steps.{finance_step}.outcome", "==", "reject")
    expect(builder.condition_cel("Condition of Rejected")).to_have_text(re.compile(rf"steps\.{finance_step}\.outcome == 'reject'$"))
    expect(builder.node(decision)).to_contain_text("Rejected")
    expect(builder.handle(decision, "source", "rejected")).to_be_visible()

    # Saved: the assignee issues are gone, and the new outcome has no edge yet.
    builder.save()
    for step in (legal_step, finance_step):
        expect(builder.issue_at(step, "assignee")).to_have_count(0)
    no_edge = builder.issue_at(decision, "outcomes[0]")
    expect(no_edge).to_have_count(1)
    expect(no_edge).to_contain_text("outcome 'rejected' has no edge")
    expect(no_edge).to_have_class(re.compile("issue--error"))
    expect(builder.node(decision).locator(".issue-mark--error")).to_be_visible()

    # Fixed by drawing the edge from the outcome's handle; the issue disappears.
    builder.connect(decision, rejected, source_handle="rejected")
    builder.save()
    expect(no_edge).to_have_count(0)
    expect(builder.node(decision).locator(".issue-mark--error")).to_have_count(0)
    expect(builder.errors()).to_have_count(0)

    # ---------------------------------------------------------------- activate
    builder.activate()
    expect(builder.status).to_contain_text("Version 1 is active")
    orchestration = admin.orchestration(key)
    assert orchestration["active_version"] == 1
    drawn = orchestration["draft"]["document"]
    assert {(e["source"], e["target"], e.get("outcome")) for e in drawn["edges"]} == {
        ("start", legal, None),
        (legal, finance, None),
        (finance, decision, None),
        (decision, rejected, "rejected"),
        (decision, approved, "default"),
    }
    nodes = {n["id"]: n for n in drawn["nodes"]}
    assert nodes[legal_step]["stage"] == legal and nodes[finance_step]["stage"] == finance
    assert nodes[legal_step]["assignee"] == {"type": "group", "value": "legal"}
    assert nodes[finance_step]["assignee"] == {"type": "group", "value": "finance"}
    assert nodes[finance_step]["form"]["outcomes"] == [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]
    assert [f["name"] for f in nodes[legal_step]["form"]["fields"]] == ["notes"]
    assert nodes[decision]["outcomes"] == [
        {"id": "rejected", "label": "Rejected", "condition": f"steps.{finance_step}.outcome == 'reject'"}
    ]

    # ---------------------------------------------------------------- a run follows the drawn graph
    run = system_api.start_run(key)  # a system, with a bearer token
    at_legal = admin.wait_for_run(run["id"], stage=legal, status="in_progress")
    assert at_legal["version"] == 1
    assert [(b["type"], b["value"], b["step"]) for b in at_legal["ball"]] == [("group", "legal", legal_step)]

    alice = api("alice")
    item = next(i for i in alice.work_items(mine=1) if i["run_id"] == run["id"])
    assert item["step_id"] == legal_step
    alice.complete(item["id"], "approve", {"notes": "standard terms"})

    at_finance = admin.wait_for_run(run["id"], stage=finance, status="in_progress")
    assert [(b["type"], b["value"], b["step"]) for b in at_finance["ball"]] == [("group", "finance", finance_step)]

    fiona = api("fiona")
    item = next(i for i in fiona.work_items(mine=1) if i["run_id"] == run["id"])
    assert item["step_id"] == finance_step
    fiona.complete(item["id"], "reject", {"reason": "discount too deep"})

    done = admin.wait_for_run(run["id"], status="completed")
    assert done["current_node"] == rejected, f"the run ended at {done['current_node']!r}, not at the Rejected end"
    assert done["current_stage"] is None
    assert [(h["stage"], h["status"]) for h in done["history"]] == [(legal, "completed"), (finance, "completed")]
    assert {s["id"]: s["status"] for s in done["stages"]} == {legal: "completed", finance: "completed"}
    steps = {s["id"]: s for s in done["steps"]}
    assert (steps[legal_step]["outcome"], steps[legal_step]["completed_by"]) == ("approve", "alice")
    assert (steps[finance_step]["outcome"], steps[finance_step]["completed_by"]) == ("reject", "fiona")
    assert steps[finance_step]["outputs"] == {"reason": "discount too deep"}
