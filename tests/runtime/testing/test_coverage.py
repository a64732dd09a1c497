"""Coverage: nodes, decision outcomes and edges hit by scenarios, loops counted as hits."""

from __future__ import annotations

from pathlib import Path

from runtime.templates import load
from runtime.testing import Coverage, load_scenario, run_scenario
from tests.runtime.testing import order_flow

SCENARIOS = Path(__file__).resolve().parents[3] / "runtime" / "templates" / "scenarios" / "contract_approval"


def run_file(name: str, coverage: Coverage | None = None):
    path = SCENARIOS / name
    result = run_scenario(load_scenario(path.read_text(), source=str(path)), coverage=coverage)
    assert result.passed, result.report()
    return result


def test_a_loop_counts_each_visit_and_default_outcomes_count():
    report = run_file("rejected_then_resubmitted.scenario.yaml").coverage.report()
    contract = report["orchestrations"]["contract_approval"]
    nodes, outcomes, edges = contract["nodes"], contract["outcomes"], contract["edges"]
    assert nodes["hits"]["legal"] == 2 and nodes["hits"]["legal_review"] == 2 and nodes["hits"]["revise"] == 1
    assert nodes["hits"]["mark_signed"] == 2  # started, failed, started again by the retry
    assert "start" not in nodes["hits"]
    assert (nodes["covered"], nodes["total"], nodes["percent"]) == (16, 20, 80.0)
    assert nodes["missed"] == ["vp", "vp_approval", "vp_ok", "withdrawn"]
    assert outcomes["hits"]["legal_ok:default"] == 2
    assert outcomes["hits"]["finance_ok:rejected"] == 1 and outcomes["hits"]["resubmitted:default"] == 1
    assert outcomes["missed"] == ["legal_ok:sent_back", "deal_size:big", "vp_ok:rejected", "vp_ok:default", "resubmitted:withdrawn"]
    assert (outcomes["covered"], outcomes["total"], outcomes["percent"]) == (5, 10, 50.0)
    assert edges["hits"]["e_start"] == 1 and edges["hits"]["e_again"] == 1 and edges["hits"]["e_legal"] == 2
    assert edges["missed"] == ["e_legal_back", "e_big", "e_vp", "e_vp_back", "e_vp_ok", "e_withdrawn"]
    assert (edges["covered"], edges["total"], edges["percent"]) == (10, 16, 62.5)
    assert report["total"] == {
        "nodes": {"covered": 16, "total": 20, "percent": 80.0},
        "outcomes": {"covered": 5, "total": 10, "percent": 50.0},
        "edges": {"covered": 10, "total": 16, "percent": 62.5},
    }


def test_merging_scenarios_adds_their_hits():
    total = Coverage()
    first = run_file("rejected_then_resubmitted.scenario.yaml", total)
    second = run_file("big_deal_withdrawn.scenario.yaml", total)
    merged = total.report()["orchestrations"]["contract_approval"]
    assert merged["nodes"]["hits"]["legal"] == 3
    assert merged["nodes"]["missed"] == []
    assert merged["outcomes"]["missed"] == ["legal_ok:sent_back", "vp_ok:default"]
    assert merged["outcomes"]["percent"] == 80.0
    assert merged["edges"]["missed"] == ["e_legal_back", "e_vp_ok"]
    assert total.hits("contract_approval")["nodes"]["vp"] == 1
    # Each result keeps its own scenario's coverage.
    assert first.coverage.report()["orchestrations"]["contract_approval"]["nodes"]["hits"]["vp"] == 0
    assert second.coverage.report()["orchestrations"]["contract_approval"]["nodes"]["hits"]["revise"] == 1
    assert Coverage().merge(first.coverage).merge(second.coverage).report() == total.report()


def test_add_run_reads_the_event_log():
    coverage = Coverage()
    coverage.add_run(
        order_flow(),
        [
            {"type": "run.started", "node": None, "data": {}},
            {"type": "edge.taken", "node": "review", "data": {"edge": "e_start"}},
            {"type": "stage.started", "node": "review", "visit": 1, "data": {}},
            {"type": "step.started", "node": "approve", "visit": 1, "data": {}},
            {"type": "decision.taken", "node": "ok", "data": {"outcome": "default", "edge": "e_approved"}},
            {"type": "edge.taken", "node": "payment", "data": {"edge": "e_approved"}},
            # A stage with an entry condition waits, then starts: one visit.
            {"type": "stage.waiting", "node": "payment", "visit": 1, "data": {}},
            {"type": "stage.started", "node": "payment", "visit": 1, "data": {}},
            # A wait step shows as step.waiting.
            {"type": "step.waiting", "node": "confirm", "visit": 1, "data": {}},
            {"type": "end.reached", "node": "done", "data": {}},
        ],
    )
    hits = coverage.hits("order_flow")
    assert hits["nodes"] == {"review": 1, "approve": 1, "ok": 1, "payment": 1, "confirm": 1, "done": 1}
    assert hits["outcomes"] == {"ok:default": 1}
    assert hits["edges"] == {"e_start": 1, "e_approved": 1}
    report = coverage.report()["orchestrations"]["order_flow"]
    assert report["nodes"]["missed"] == ["charge", "cooling", "cool", "rejected", "failed"]
    assert report["outcomes"] == {
        "covered": 1,
        "total": 2,
        "percent": 50.0,
        "missed": ["ok:rejected"],
        "hits": {"ok:rejected": 0, "ok:default": 1},
    }
    assert report["edges"]["total"] == 7  # the fault path counts as an edge


def test_an_empty_coverage_and_several_orchestrations():
    assert Coverage().report() == {
        "orchestrations": {},
        "total": {
            "nodes": {"covered": 0, "total": 0, "percent": 100.0},
            "outcomes": {"covered": 0, "total": 0, "percent": 100.0},
            "edges": {"covered": 0, "total": 0, "percent": 100.0},
        },
    }
    coverage = Coverage()
    coverage.add_run(load("project_milestones"), [])
    coverage.add_run(order_flow(), [{"type": "end.reached", "node": "done", "data": {}}])
    report = coverage.report()
    assert list(report["orchestrations"]) == ["order_flow", "project_milestones"]
    assert report["total"]["nodes"]["covered"] == 1
    assert report["total"]["nodes"]["total"] == (len(order_flow()["nodes"]) - 1) + (len(load("project_milestones")["nodes"]) - 1)
