"""The README's recipe for PostgreSQL with several processes (Databases, Several processes),
run for real: ``overture create-user`` and ``overture import`` against a new database,
``overture serve --workers 2 --no-worker`` and one ``overture worker``, then a run whose
background step only the standalone worker can take, driven over HTTP to its end, and
both processes stopped with SIGTERM. No wall-clock asserts: waits are bounded, generously."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.pg import POSTGRES_URL, throwaway_database

PASSWORD = "a long scale-out passphrase 9"
WITHIN = 60.0  # seconds: a loaded 2-core machine is slow but gets there
CLI = [sys.executable, "-c", "from builder.cli import main; main()"]
FLOW = {
    "format": 1,
    "key": "stamped_review",
    "label": "Stamped review",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "check", "type": "stage", "label": "Check"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "check",
            "label": "Review",
            "assignee": {"type": "user", "value": "ada"},
            "form": {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}]},
        },
        {
            "id": "stamp",
            "type": "background",
            "stage": "check",
            "label": "Stamp",
            "start": {"when": "after", "steps": ["review"]},
            # A job (vars.set would run inside the completion's transaction): a child run.
            "action": "orchestration.start",
            "inputs": {"orchestration": "'stamp'"},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "check"}, {"id": "e2", "source": "check", "target": "done"}],
}
CHILD = {
    "format": 1,
    "key": "stamp",
    "label": "Stamp",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "work", "type": "stage", "label": "Work"},
        {"id": "note", "type": "background", "stage": "work", "label": "Note", "action": "vars.set", "inputs": {}},
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "work"}, {"id": "e2", "source": "work", "target": "done"}],
}

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="OVERTURE_TEST_DATABASE_URL is not set")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """A signed-in person over HTTP: the session cookie and the CSRF token sent back."""

    def __init__(self, port: int):
        self.port, self.cookie, self.csrf = port, "", ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WITHIN)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if self.cookie:
                headers["Cookie"] = self.cookie
            if self.csrf and method != "GET":
                headers["X-CSRF-Token"] = self.csrf
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            cookies = response.msg.get_all("Set-Cookie") or []
            if cookies:
                self.cookie = "; ".join(c.split(";")[0] for c in cookies)
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
        finally:
            conn.close()


@pytest.fixture
def database() -> Iterator[str]:
    # Named after the test server's database, so that parallel checkouts do not share names.
    from sqlalchemy.engine import make_url

    with throwaway_database(f"{make_url(POSTGRES_URL).database}_recipe") as url:
        yield url


def wait_for(what: str, check: Any, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> Any:
    """``check()`` until it returns something true; fails with the logs if a process died or time ran out."""
    deadline = time.monotonic() + WITHIN
    while True:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        died = [p.args for p in processes if p.poll() is not None]
        if died or time.monotonic() > deadline:
            tails = "\n".join(p.read_text()[-3000:] for p in logs)
            raise AssertionError(f"{what}: {'a process ended' if died else 'never happened'}\n{tails}")
        time.sleep(0.2)


def kill(process: subprocess.Popen[bytes]) -> None:
    """After a failure: nothing may outlive the test."""
    if process.poll() is None:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    try:
        return process.wait(WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def scrape(port: int) -> dict[str, float]:
    """/metrics on the internal port (no token there): sample with its labels -> value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WITHIN)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode()
        assert response.status == 200, text
    finally:
        conn.close()
    figures = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            sample, _, number = line.rpartition(" ")
            figures[sample] = float(number)
    return figures


def public_metrics(port: int, token: str | None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WITHIN)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
        return conn.getresponse().status
    finally:
        conn.close()


def test_serve_with_several_processes_and_a_standalone_worker_complete_a_run(database: str, tmp_path: Path):
    # The recipe's environment: the same DATABASE_URL and OVERTURE_SECRET_KEY in every process.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=database, OVERTURE_SECRET_KEY="scale-out recipe key", OVERTURE_VAR=str(tmp_path / "var"))
    # Metrics (README, Operating Overture): every process of the host adds to $OVERTURE_VAR/metrics.
    metrics_port = free_port()
    env.update(OVERTURE_METRICS_TOKEN="scale-out metrics token", OVERTURE_METRICS_PORT=str(metrics_port))
    for document in (CHILD, FLOW):
        (tmp_path / f"{document['key']}.json").write_text(json.dumps(document))
    for command, stdin in (
        (["create-user", "ada", "--role", "admin", "--password-stdin"], PASSWORD + "\n"),
        (["import", str(tmp_path / "stamp.json"), "--activate"], ""),
        (["import", str(tmp_path / "stamped_review.json"), "--activate"], ""),
    ):
        done = subprocess.run(CLI + command, env=env, input=stdin, capture_output=True, text=True, timeout=WITHIN)
        assert done.returncode == 0, done.stdout + done.stderr

    port = free_port()
    logs = [tmp_path / "serve.log", tmp_path / "worker.log"]
    commands = [
        ["serve", "--port", str(port), "--workers", "2", "--no-worker"],
        ["worker", "--worker-id", "recipe-worker", "--poll", "0.2"],
    ]
    with ExitStack() as cleanup:
        processes: list[subprocess.Popen[bytes]] = []
        for command, log in zip(commands, logs, strict=True):
            with log.open("wb") as out:
                process = subprocess.Popen(CLI + command, env=env, stdout=out, stderr=subprocess.STDOUT)
            cleanup.callback(kill, process)
            processes.append(process)

        ada = Client(port)
        credentials = {"username": "ada", "password": PASSWORD}
        signed_in = wait_for("sign-in", lambda: ada.call("POST", "/api/session", credentials), processes, logs)
        assert signed_in[0] == 200, signed_in
        ada.csrf = signed_in[1]["csrf_token"]

        status, run = ada.call("POST", "/api/runs", {"orchestration": "stamped_review"})
        assert status == 201, run
        status, items = ada.call("GET", "/api/work-items?mine=1")
        assert status == 200, items
        (item,) = [i for i in items["items"] if i["run_id"] == run["id"]]
        status, completed = ada.call("POST", f"/api/work-items/{item['id']}/complete", {"outcome": "approve", "values": {}})
        assert status == 200, completed

        # The serving processes run no jobs (--no-worker): the run ends only if the worker takes the stamp.
        def ended() -> Any:
            status, body = ada.call("GET", f"/api/runs/{run['id']}")
            return body if status == 200 and body["status"] == "completed" else None

        wait_for("the run's end", ended, processes, logs)

        import psycopg

        with psycopg.connect(database) as conn:
            claims = conn.execute("SELECT claimed_by FROM jobs WHERE run_id = %s", (run["id"],)).fetchall()
        assert claims == [("recipe-worker",)]

        # One scrape adds up the serving processes (the run started and its item completed
        # there) and the worker (the stamp's job attempted, the run completed there).
        figures = scrape(metrics_port)
        run_labels = 'orchestration="stamped_review",version="1"'
        assert figures[f"overture_runs_started_total{{{run_labels}}}"] == 1
        assert figures[f"overture_runs_completed_total{{{run_labels}}}"] == 1
        assert figures['overture_action_attempts_total{action="orchestration.start",outcome="succeeded"}'] == 1
        assert figures['overture_job_lag_seconds_count{action="orchestration.start"}'] == 1
        assert figures['overture_http_request_duration_seconds_count{method="POST",route="/api/runs",status="201"}'] == 1
        assert "overture_worker_heartbeats_total" in figures and figures["overture_database_up"] == 1
        assert public_metrics(port, None) == 401 and public_metrics(port, "scale-out metrics token") == 200

        # Each process beats (builder/health.py): ready, and the doctor sees 2 serving processes and the worker.
        status, ready = ada.call("GET", "/readyz")
        assert status == 200 and ready["checks"]["workers"]["status"] == "ok", ready

        def three_alive() -> Any:
            doctor = subprocess.run(CLI + ["doctor", "--json"], env=env, capture_output=True, text=True, timeout=WITHIN)
            found = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
            return found if found["processes"]["reason"] == "3 processes alive" else None

        found = wait_for("three heartbeats", three_alive, processes, logs)
        assert found["clocks"]["status"] == "ok" and found["workers"]["status"] == "ok", found

        assert [stop(p) for p in processes] == [0, 0], "\n".join(p.read_text()[-3000:] for p in logs)
        with psycopg.connect(database) as conn:
            assert conn.execute("SELECT id FROM processes").fetchall() == []  # each stopped process said goodbye
    assert "handled" in logs[1].read_text()
