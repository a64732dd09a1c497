"""Orchestration metrics (GET /api/orchestrations/<key>/metrics): from runs and insight rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builder.api_support import BROKEN, EXPENSE, deploy, error_code, my_items, start


@pytest.fixture
def ada(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    return ada


def finish(login, run_id: str, clock, hours: int) -> None:
    fiona, alice = login("fiona"), login("alice")
    clock.advance(timedelta(hours=hours))
    (item,) = my_items(fiona, run=run_id)
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    clock.advance(timedelta(hours=1))
    (filing,) = my_items(alice, run=run_id)
    assert alice.post(f"/api/work-items/{filing['id']}/complete", json={"outcome": "filed"}).status_code == 200


def test_metrics_of_an_orchestration(ada, login, clock):
    sam, otto = login("sam"), login("otto")
    first, second, third, cancelled = (start(sam) for _ in range(4))
    finish(login, first["id"], clock, 2)  # 3 h in all
    finish(login, second["id"], clock, 4)  # 3 + 5 = 8 h after it started
    assert otto.post(f"/api/runs/{cancelled['id']}/cancel").status_code == 200
    clock.advance(timedelta(days=1))
    start(sam)

    body = otto.get("/api/orchestrations/expense/metrics?days=3").get_json()
    assert body["orchestration"] == "expense" and body["runs"] == 5
    assert body["by_status"] == {"in_progress": 2, "suspended": 0, "completed": 2, "cancelled": 1, "error": 0}
    assert body["average_run_seconds"] == pytest.approx((3 + 8) / 2 * 3600)
    assert body["completion_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["failed_runs"] == 0
    assert [d["runs"] for d in body["started_per_day"]] == [0, 4, 1]
    review, filing = body["stages"]
    assert (review["id"], review["label"], review["completed"]) == ("review", "Finance review", 2)
    assert review["average_seconds"] == pytest.approx((2 + 7) / 2 * 3600)
    assert review["total_seconds"] == pytest.approx(9 * 3600)
    assert review["p50"] is not None and review["p95"] >= review["p50"]
    assert (filing["completed"], filing["average_seconds"]) == (2, pytest.approx(3600))
    assert third["id"]  # still in review: not counted in time spent

    only_v1 = otto.get("/api/orchestrations/expense/metrics?version=1").get_json()
    assert only_v1["version"] == 1 and only_v1["runs"] == 5


def test_time_per_stage_is_the_monitors_quantiles(ada, login, clock):
    """One histogram merge (runtime.insights.figures): a stage's p50 and p95 in the metrics
    are the ones the monitor's overlay shows for that stage, whatever the mix of durations."""
    sam, otto = login("sam"), login("otto")
    for hours in (1, 2, 5, 30):
        finish(login, start(sam)["id"], clock, hours)

    stages = {s["id"]: s for s in otto.get("/api/orchestrations/expense/metrics").get_json()["stages"]}
    overlay = otto.get("/api/orchestrations/expense/insights").get_json()["nodes"]
    assert stages["review"]["completed"] == 4
    for stage in ("review", "filing"):
        assert (stages[stage]["p50"], stages[stage]["p95"]) == (overlay[stage]["p50"], overlay[stage]["p95"])
    assert 3600 < stages["review"]["p50"] < 6 * 3600 < stages["review"]["p95"]


def test_failed_runs_are_counted(ada, login):
    deploy(ada, BROKEN)
    start(login("sam"), "broken")
    body = login("otto").get("/api/orchestrations/broken/metrics").get_json()
    assert body["failed_runs"] == 1 and body["completion_rate"] == 0
    assert body["average_run_seconds"] is None


def test_metrics_refusals(ada, login):
    assert login("sam").get("/api/orchestrations/expense/metrics").status_code == 403
    assert login(None).get("/api/orchestrations/expense/metrics").status_code == 401
    otto = login("otto")
    assert otto.get("/api/orchestrations/nope/metrics").status_code == 404
    assert otto.get("/api/orchestrations/expense/metrics?version=9").status_code == 404
    bad = otto.get("/api/orchestrations/expense/metrics?days=0")
    assert bad.status_code == 400 and error_code(bad) == "bad_query"
    assert otto.get("/api/orchestrations/expense/metrics?colour=red").status_code == 400


def test_openapi_documents_the_metrics_query(login):
    spec = login(None).get("/api/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"]["/api/orchestrations/{key}/metrics"]["get"]["parameters"]}
    assert {"version", "days"} <= names


def test_metrics_keep_the_runs_retention_purged(ada, login, clock, app):
    """Retention keeps the aggregates: runs per status, run time and starts per day stay
    what they were after the runs themselves are purged."""
    from builder.extensions import state
    from runtime.retention import purge

    sam, otto = login("sam"), login("otto")
    done, cancelled = start(sam), start(sam)
    finish(login, done["id"], clock, 2)
    assert otto.post(f"/api/runs/{cancelled['id']}/cancel").status_code == 200
    clock.advance(timedelta(days=200))
    start(sam)  # recent, in progress: stays
    before = otto.get("/api/orchestrations/expense/metrics?days=365").get_json()
    assert before["runs"] == 3 and before["by_status"]["completed"] == 1
    with app.app_context():
        assert purge(state().store, older_than=timedelta(days=180), now=clock.now()).runs == 2
        assert len(state().engine.runs()) == 1
    assert otto.get("/api/orchestrations/expense/metrics?days=365").get_json() == before
