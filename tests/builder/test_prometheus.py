"""GET /metrics (builder/prometheus/): who may scrape, and figures that match what happened,
summed over processes, with a Grafana dashboard that only asks for what is exported."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from builder import accounts
from builder.extensions import state
from builder.prometheus import MetricsSettings
from tests.builder.api_support import BROKEN, EXPENSE, deploy, document, my_items, start
from tests.builder.conftest import Client, make_app
from tests.builder.ws_client import WsClient

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
#: A run of this one escalates a day after it started: a timer fires.
METERED = document(EXPENSE, key="metered")
METERED["nodes"][2]["escalation"] = {"action": "notify", "to": {"type": "user", "value": "ada"}}
#: A background job that fails for good at its first attempt: the host is not allowed.
UNREACHABLE = document(BROKEN, key="unreachable")
UNREACHABLE["nodes"][2].update(action="http.request", inputs={"url": "'https://crm.invalid/'"})


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory) -> Iterator[Path]:
    """One directory for the module: prometheus_client's files are per process, opened once."""
    directory = tmp_path_factory.mktemp("prometheus")
    previous = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = previous


@pytest.fixture
def metered(tmp_path, migrated_db, clock, metrics_dir) -> Iterator[Flask]:
    app = make_app(tmp_path, migrated_db, clock, METRICS_TOKEN=TOKEN)
    yield app
    app.extensions["overture"].close()


def scrape(app: Flask) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of one /metrics scrape: (name, labels) -> value."""
    response = app.test_client().get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.get_data(as_text=True)
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_figures_after_a_scripted_set_of_runs(metered, clock):
    ada, sam, otto = Client(metered, "ada"), Client(metered, "sam"), Client(metered, "otto")
    fiona, alice = Client(metered, "fiona"), Client(metered, "alice")
    deploy(ada, METERED)
    deploy(ada, UNREACHABLE)
    before = scrape(metered)

    done = [start(sam, "metered", amount=10) for _ in range(2)]
    cancelled, waiting = start(sam, "metered", amount=10), start(sam, "metered", amount=10)
    clock.advance(timedelta(hours=2))
    for run in done:
        (item,) = my_items(fiona, run=run["id"])
        assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    clock.advance(timedelta(hours=1))
    for run in done:
        (item,) = my_items(alice, run=run["id"])
        assert alice.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "filed"}).status_code == 200
    assert otto.post(f"/api/runs/{cancelled['id']}/cancel").status_code == 200
    failed = start(sam, "unreachable")  # its job fails at its only attempt: the run is in error
    clock.advance(timedelta(days=1))  # the waiting run's item is overdue; its escalation fires

    after = scrape(metered)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    v1 = {"orchestration": "metered", "version": "1"}
    assert delta("overture_runs_started_total", **v1) == 4
    assert delta("overture_runs_completed_total", **v1) == 2
    assert delta("overture_runs_cancelled_total", **v1) == 1
    assert delta("overture_runs_failed_total", **v1) == 0
    assert delta("overture_runs_failed_total", orchestration="unreachable", version="1") == 1
    assert failed["id"] and waiting["id"]

    # Two approvals of 2 h and two filings of 1 h: bucket by bucket.
    approve, file = {"orchestration": "metered", "node": "approve"}, {"orchestration": "metered", "node": "file"}
    assert delta("overture_step_duration_seconds_count", **approve) == 2
    assert delta("overture_step_duration_seconds_sum", **approve) == 2 * 7200
    assert delta("overture_step_duration_seconds_bucket", **approve, le="3600.0") == 0
    assert delta("overture_step_duration_seconds_bucket", **approve, le="14400.0") == 2
    assert delta("overture_step_duration_seconds_bucket", **file, le="3600.0") == 2
    assert delta("overture_stage_duration_seconds_sum", orchestration="metered", node="review") == 2 * 7200
    assert delta("overture_stage_duration_seconds_count", orchestration="metered", node="filing") == 2
    assert delta("overture_step_errors_total", orchestration="unreachable", node="update") == 1

    # The failed attempt, claimed as it was scheduled (no lag); the escalation fired a day late at most.
    assert delta("overture_action_attempts_total", action="http.request", outcome="failed") == 1
    assert delta("overture_job_lag_seconds_bucket", action="http.request", le="0.005") == 1
    assert delta("overture_timer_lag_seconds_count", kind="escalation") == 1

    # Read from the database: the waiting run's approval (finance's) is open and overdue.
    assert value(after, "overture_work_items_open", assignee_type="group", assignee="finance") == 1
    assert value(after, "overture_work_items_overdue", assignee_type="group", assignee="finance") == 1
    assert value(after, "overture_database_up") == 1
    assert value(after, "overture_projector_lag_events") > 0  # nothing projected them yet
    with metered.app_context():
        from builder.live.hub import hub

        hub().project()
    assert value(scrape(metered), "overture_projector_lag_events") == 0

    # Five runs started through the API, by route and status (never by run id).
    assert delta("overture_http_request_duration_seconds_count", route="/api/runs", method="POST", status="201") == 5
    routes = {dict(labels)["route"] for name, labels in after if name.startswith("overture_http_")}
    assert "/api/work-items/<item_id>/complete" in routes
    assert not [r for r in routes for run in (*done, cancelled) if run["id"] in r]


@pytest.fixture
def app(metered) -> Flask:
    """The app the conftest's ``server`` serves: the metered one."""
    return metered


def test_open_websockets_are_counted_while_open(server, metered):
    deploy(Client(metered, "ada"), METERED)
    otto = Client(metered, "otto")
    host, port = server.rsplit(":", 1)
    ws = WsClient(host, int(port), "/ws/live?orchestration=metered", {"Cookie": f"session={otto.http.get_cookie('session').value}"})
    assert ws.message(5)["type"] == "snapshot"
    assert value(scrape(metered), "overture_websocket_clients", route="/ws/live") == 1
    ws.close()
    deadline = time.monotonic() + 10
    while value(scrape(metered), "overture_websocket_clients", route="/ws/live") != 0:
        assert time.monotonic() < deadline, "the closed socket is still counted"
        time.sleep(0.05)


def test_metrics_need_the_token(metered, tmp_path, migrated_db, clock):
    client = metered.test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "Authorization: Bearer <OVERTURE_METRICS_TOKEN>" in missing.get_json()["error"]["message"]
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert (wrong.status_code, wrong.get_json()["error"]["message"]) == (403, "the metrics token is wrong")
    # Neither a person's session nor an API token is the metrics token.
    assert Client(metered, "ada").get("/metrics").status_code == 401
    with metered.app_context(), state().sessions.begin() as s:
        _row, api_token = accounts.create_token(s, "crm", created_by="ada")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {api_token}"}).status_code == 403
    ok = client.get("/metrics", headers=BEARER)
    assert ok.status_code == 200 and ok.content_type.startswith("text/plain")
    assert "overture_database_up 1.0" in ok.get_data(as_text=True)

    (tmp_path / "off").mkdir()
    off = make_app(tmp_path / "off", migrated_db, clock)
    refused = off.test_client().get("/metrics", headers=BEARER)
    assert refused.status_code == 404 and "OVERTURE_METRICS_TOKEN" in refused.get_json()["error"]["message"]
    off.extensions["overture"].close()


class _Accepted:
    """The accepted socket gunicorn puts in the environ: its local port is the listener's."""

    def __init__(self, port: int):
        self.port = port

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_the_internal_port_needs_no_token(tmp_path, migrated_db, clock, metrics_dir):
    app = make_app(tmp_path, migrated_db, clock, METRICS_PORT="9464")
    try:
        client = app.test_client()
        inside = client.get("/metrics", environ_base={"gunicorn.socket": _Accepted(9464)})
        assert inside.status_code == 200
        # On the public port, without a token set: refused, whatever the client says about ports.
        outside = client.get("/metrics", environ_base={"gunicorn.socket": _Accepted(8000), "SERVER_PORT": "9464"}, headers=BEARER)
        assert outside.status_code == 403
        assert outside.get_json()["error"]["message"] == "metrics are served on the internal port 9464 only"
    finally:
        app.extensions["overture"].close()


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"OVERTURE_METRICS_TOKEN": "short"}, "at least 16 characters"),
        ({"OVERTURE_METRICS_PORT": "http"}, "must be a port number"),
        ({"OVERTURE_METRICS_PORT": "70000"}, "must be a port number"),
    ],
)
def test_bad_settings_stop_the_start(env, problem):
    with pytest.raises(ValueError, match=problem):
        MetricsSettings.from_environment(env)


def test_two_processes_add_up_in_one_scrape(metered, metrics_dir):
    """Two OS processes write to the directory the server reads; one scrape sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    script = [sys.executable, "-m", "tests.builder.metered_process"]
    processes = [subprocess.Popen([*script, *args], cwd=ROOT, env=env) for args in (["3", "2", "30"], ["2", "1", "600"])]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]

    samples = scrape(metered)
    run = {"orchestration": "twoproc", "version": "1"}
    assert value(samples, "overture_runs_started_total", **run) == 5
    assert value(samples, "overture_runs_completed_total", **run) == 3
    look = {"orchestration": "twoproc", "node": "look"}
    assert value(samples, "overture_step_duration_seconds_count", **look) == 3
    assert value(samples, "overture_step_duration_seconds_sum", **look) == 2 * 30 + 600
    assert value(samples, "overture_step_duration_seconds_bucket", **look, le="60.0") == 2
    assert value(samples, "overture_step_duration_seconds_bucket", **look, le="300.0") == 2
    assert value(samples, "overture_step_duration_seconds_bucket", **look, le="900.0") == 3


SAMPLES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _exported(app: Flask) -> set[str]:
    """Every sample name /metrics can give: the families a scrape declares (a gauge read from
    the database is declared even when it has no rows), and every metric of the process's
    meter (a labelled one shows in a scrape only once something was counted under a label)."""
    text = app.test_client().get("/metrics", headers=BEARER).get_data(as_text=True)
    families = [(f.name, f.type) for f in text_string_to_metric_families(text)]
    meter = app.extensions["overture_meter"]
    for metric in vars(meter).values():
        for one in metric.values() if isinstance(metric, dict) else [metric]:
            families.append((one._name, one._type))
    return {name + suffix for name, kind in families for suffix in SAMPLES[kind]}


def test_the_grafana_dashboard_asks_only_for_exported_metrics(metered):
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert len(exprs) >= 12
    used = {name for expr in exprs for name in re.findall(r"\boverture_[a-z_]+", expr)}
    exported = _exported(metered)
    assert used - exported == set()
    # Every panel draws on something, and the dashboard covers what an operator watches.
    assert {"overture_runs_started_total", "overture_work_items_overdue", "overture_jobs", "overture_projector_lag_events"} <= used


def test_commands_that_exit_leave_their_counts_and_take_their_gauges(sqlite_url, tmp_path):
    """A one-shot command and a worker write where the server reads; when they exit, what they
    counted stays and their gauges (connections, jobs in hand) stop counting."""
    directory = tmp_path / "metrics"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_")}
    env.update(OVERTURE_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(directory), OVERTURE_VAR=str(tmp_path / "var"))
    cli = [sys.executable, "-c", "from builder.cli import main; main()"]
    commands = (["export", "nosuch", "--database-url", sqlite_url], ["worker", "--until-idle", "--database-url", sqlite_url])
    processes = [subprocess.Popen(cli + c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for c in commands]
    outputs = [p.communicate(timeout=60)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [1, 0], outputs
    assert "no orchestration 'nosuch'" in outputs[0]
    assert sorted(p.name.split("_")[0] for p in directory.glob("*.db")) == ["counter", "counter"]
