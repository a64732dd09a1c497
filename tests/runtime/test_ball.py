"""Who holds the ball: one function (``runtime/engine/views.py`` ``ball``) for the run page
(``Engine.get_run``) and the runs list (``Engine.runs(ball=True)``), on every store."""

from __future__ import annotations

from runtime.engine import Engine
from tests.runtime.docs import one_stage, step


def parallel() -> dict:
    """One stage, four steps at once: two for groups, one for a person, one waiting for three days."""
    return one_stage(
        step("legal_review", assignee={"type": "group", "value": "legal"}),
        step("finance_review", assignee={"type": "group", "value": "finance"}),
        step("sign", assignee={"type": "user", "value": "erin"}),
        step("cool_off", "wait", timer={"duration": "P3D"}),
        key="parallel",
    )


def test_the_run_page_and_the_runs_list_name_the_same_holders(engine: Engine):
    engine.deploy(parallel())
    run_id = engine.start("parallel", {})
    other = engine.start("parallel", {})
    (legal,) = [i for i in engine.work_items(assignee="alice") if i["run_id"] == run_id]
    engine.claim(legal["id"], by="alice")
    (theirs,) = [i for i in engine.work_items(assignee="erin") if i["run_id"] == other]
    engine.complete(theirs["id"], by="erin", outcome="done")

    listed = {r["id"]: r["ball"] for r in engine.runs(id=(run_id, other, "no-such-run"), ball=True)}
    assert set(listed) == {run_id, other}
    for rid in (run_id, other):
        assert engine.get_run(rid)["ball"] == listed[rid]

    items = {i["step_id"]: i["id"] for i in engine.get_run(run_id)["work_items"]}
    *people, system = listed[run_id]
    # Items created at the same moment: their order is by id, so compare them as a set.
    assert sorted((b["type"], b["value"], b["step"], b["work_item"], b["claimed_by"]) for b in people) == [
        ("group", "finance", "finance_review", items["finance_review"], None),
        ("group", "legal", "legal_review", items["legal_review"], "alice"),
        ("user", "erin", "sign", items["sign"], None),
    ]
    assert system == {"type": "system", "value": "wait", "step": "cool_off"}
    *people, system = listed[other]
    assert sorted(b["step"] for b in people) == ["finance_review", "legal_review"] and system["step"] == "cool_off"


def test_a_finished_run_has_no_ball(engine: Engine):
    engine.deploy(one_stage(step("only"), key="single"))
    run_id = engine.start("single", {})
    (item,) = engine.work_items(assignee="alice")
    engine.complete(item["id"], by="alice", outcome="done")
    assert engine.get_run(run_id)["status"] == "completed"
    (listed,) = engine.runs(id=run_id, ball=True)
    assert engine.get_run(run_id)["ball"] == [] == listed["ball"]
    assert engine.runs(id=(), ball=True) == [] and "ball" not in engine.runs(id=run_id)[0]
