"""Traces and JSON logs of the web app and its workers (builder/telemetry.py, builder/logs.py).

A CRM starts a run with a ``traceparent``; a worker in another process runs its first step,
an ``http.request`` that carries the trace on; an event published with another
``traceparent`` wakes the run, and the job it leads to continues that one. Spans go to the
SDK's in-memory exporter here, and to the console exporter in the worker process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from builder import create_app, logs, telemetry
from builder.cli import main
from builder.extensions import state
from runtime import tracing
from runtime.engine import Engine
from tests.builder.conftest import Client, make_app

CRM_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CRM_SPAN = "00f067aa0ba902b7"
SIGNING_TRACE = "0af7651916cd43dd8448eb211c80319c"


class _Hook(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.path, self.headers.get("traceparent")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def crm() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Hook", (_Hook,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    tracing.configure(None)


def traced_app(tmp_path, migrated_db, clock, exporter, **config: Any) -> Flask:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # The jobs are a worker's, in another process (AUTOPROCESS off).
    return make_app(
        tmp_path, migrated_db, clock, **{"AUTOPROCESS": False, "TRACER_PROVIDER": provider, "HTTP_ALLOWLIST": ["127.0.0.1"], **config}
    )


@pytest.fixture
def app(tmp_path, migrated_db, clock, exporter) -> Iterator[Flask]:
    app = traced_app(tmp_path, migrated_db, clock, exporter)
    yield app
    app.extensions["overture"].close()


def contract(url: str) -> dict[str, Any]:
    def call(id: str, path: str, **more: Any) -> dict[str, Any]:
        inputs = {"url": f"'{url}{path}'", "method": "'POST'", "body": "{'contract': inputs.contract}"}
        return {"id": id, "type": "background", "stage": "s", "label": id, "action": "http.request", "inputs": inputs, **more}

    return {
        "format": 1,
        "key": "contract",
        "label": "Contract",
        "inputs": [{"name": "contract", "type": "string", "required": True}],
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "s", "type": "stage", "label": "Signing"},
            call("open", "/opened"),
            {
                "id": "signed",
                "type": "wait",
                "stage": "s",
                "label": "Signed",
                "event": {"name": "signed", "correlation": "inputs.contract"},
                "start": {"when": "after", "steps": ["open"]},
            },
            call("file", "/filed", start={"when": "after", "steps": ["signed"]}),
            {"id": "end", "type": "end"},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "s"}, {"id": "e2", "source": "s", "target": "end"}],
    }


def worker_spans(app: Flask, tmp_path) -> list[dict[str, Any]]:
    """Run ``overture worker --until-idle`` on the app's database; the spans it printed."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "OVERTURE_SECRET_KEY": "test",
        "OVERTURE_VAR": str(tmp_path),
        "OVERTURE_HTTP_ALLOWLIST": "127.0.0.1",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "overture-worker",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from builder.cli import main; main()", "worker", "--until-idle"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    spans, text, at = [], done.stdout, 0
    decoder = json.JSONDecoder()
    while (at := text.find("{", at)) != -1:
        span, at = decoder.raw_decode(text, at)
        spans.append(span)
    return spans


def test_a_trace_follows_a_contract_from_the_crm_call_through_a_worker_in_another_process(app, login, exporter, crm, tmp_path):
    url, seen = crm
    with app.app_context():
        state().engine.deploy(contract(url))
    ada = login("ada")
    exporter.clear()
    started = ada.post(
        "/api/runs",
        json={"orchestration": "contract", "inputs": {"contract": "C-7"}},
        headers={"traceparent": f"00-{CRM_TRACE}-{CRM_SPAN}-01"},
    )
    assert started.status_code == 201, started.get_json()
    run_id = started.get_json()["id"]

    spans = {s.name: s for s in exporter.get_finished_spans()}
    request = spans["POST /api/runs"]
    assert f"{request.context.trace_id:032x}" == CRM_TRACE
    assert f"{request.parent.span_id:016x}" == CRM_SPAN and request.parent.is_remote
    assert request.attributes["http.route"] == "/api/runs"
    assert request.attributes["http.response.status_code"] == 201
    assert request.attributes["enduser.id"] == "ada"
    start = spans["overture.run.start"]
    assert start.parent.span_id == request.context.span_id
    assert start.attributes["overture.run_id"] == run_id

    # The worker process: its job span is a child of the start span, and the CRM hears the trace.
    (job,) = [s for s in worker_spans(app, tmp_path) if s["name"] == "overture.job"]
    assert job["context"]["trace_id"] == f"0x{CRM_TRACE}"
    assert job["parent_id"] == f"0x{start.context.span_id:016x}"
    assert job["attributes"]["overture.node"] == "open" and job["attributes"]["overture.run_id"] == run_id
    assert job["resource"]["attributes"]["service.name"] == "overture-worker"
    ((path, traceparent),) = seen
    assert path == "/opened"
    assert traceparent.startswith(f"00-{CRM_TRACE}-{job['context']['span_id'][2:]}-")

    # The contract is signed elsewhere: the event's trace wakes the run and goes on to its next call.
    exporter.clear()
    published = ada.post(
        "/api/events",
        json={"name": "signed", "correlation": "C-7", "payload": {}},
        headers={"traceparent": f"00-{SIGNING_TRACE}-{CRM_SPAN}-01"},
    )
    assert published.get_json() == {"delivered_to": [run_id]}
    with app.app_context():
        engine = state().engine
        worker = Engine(engine.store, engine.clock, engine.directory, autoprocess=False, worker_id="w2", settings=engine.settings)
        assert worker.process() == 1
    spans = {s.name: s for s in exporter.get_finished_spans()}
    publish, filed = spans["overture.event.publish"], spans["overture.job"]
    assert publish.parent.span_id == spans["POST /api/events"].context.span_id
    assert f"{publish.context.trace_id:032x}" == SIGNING_TRACE
    assert filed.parent.span_id == publish.context.span_id
    assert seen[1] == ("/filed", seen[1][1]) and seen[1][1].startswith(f"00-{SIGNING_TRACE}-{filed.context.span_id:016x}-")

    # A traceparent that is not one starts a trace of its own; the request is served all the same.
    exporter.clear()
    assert ada.get("/api/runs", headers={"traceparent": "00-zz-<script>-01"}).status_code == 200
    (listed,) = [s for s in exporter.get_finished_spans() if s.name == "GET /api/runs"]
    assert listed.parent is None


def test_which_exporter_the_environment_asks_for():
    assert telemetry.wanted({}) == []
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == ["otlp"]
    assert telemetry.wanted({"OTEL_TRACES_EXPORTER": "console,otlp"}) == ["console", "otlp"]
    assert telemetry.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == []
    assert telemetry.wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) == []
    with pytest.raises(telemetry.TelemetrySettingsError, match="'zipkin' is not supported"):
        telemetry.wanted({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(telemetry.TelemetrySettingsError, match="'grpc' is not supported"):
        telemetry.wanted({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})


def test_json_logs_have_the_request_trace_user_and_run_on_every_line(tmp_path, migrated_db, clock, exporter):
    stream = io.StringIO()
    # The job runs in the request that starts the run: its log line is the request's too.
    app = traced_app(tmp_path, migrated_db, clock, exporter, AUTOPROCESS=True, LOG_FORMAT="json", LOG_STREAM=stream)
    try:
        with app.app_context():
            engine = state().engine

            @engine.actions.action("test.boom")
            def boom(ctx, inputs):
                raise RuntimeError("the CRM is down")

            engine.deploy(
                {
                    "format": 1,
                    "key": "boom",
                    "label": "Boom",
                    "nodes": [
                        {"id": "start", "type": "start"},
                        {"id": "s", "type": "stage", "label": "S"},
                        {"id": "call", "type": "background", "stage": "s", "label": "Call", "action": "test.boom"},
                        {"id": "end", "type": "end"},
                    ],
                    "edges": [{"id": "e1", "source": "start", "target": "s"}, {"id": "e2", "source": "s", "target": "end"}],
                }
            )
        ada = Client(app, "ada")
        response = ada.post(
            "/api/runs",
            json={"orchestration": "boom"},
            headers={"traceparent": f"00-{CRM_TRACE}-{CRM_SPAN}-01", "X-Request-Id": "crm-42"},
        )
        assert response.status_code == 201
        assert response.headers["X-Request-Id"] == "crm-42"
        run_id = response.get_json()["id"]
        hostile = ada.get("/api/runs", headers={"X-Request-Id": "a b<\u00e9>" + "x" * 200})
        assert hostile.status_code == 200 and len(hostile.headers["X-Request-Id"]) == 32
    finally:
        logs.configure("text")
        app.extensions["overture"].close()

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message", *logs.CONTEXT} <= set(line) for line in lines)
    (failed,) = [line for line in lines if line["message"] == "action test.boom failed"]
    assert failed["run_id"] == run_id
    assert (failed["request_id"], failed["user"], failed["trace_id"]) == ("crm-42", "ada", CRM_TRACE)
    assert failed["level"] == "error" and "RuntimeError: the CRM is down" in failed["exception"]
    (served,) = [line for line in lines if line["message"] == "POST /api/runs 201"]
    assert (served["request_id"], served["user"], served["trace_id"]) == ("crm-42", "ada", CRM_TRACE)
    assert served["run_id"] is None and served["status"] == 201 and served["path"] == "/api/runs"
    (listed,) = [line for line in lines if line["message"] == "GET /api/runs 200"]
    assert listed["request_id"] == hostile.headers["X-Request-Id"]


def test_settings_it_cannot_honour_stop_the_app_and_the_commands_with_their_name(tmp_path, migrated_db):
    with pytest.raises(ValueError, match="OVERTURE_LOG_FORMAT must be text or json, not 'xml'"):
        create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "LOG_FORMAT": "xml"})
    runner = CliRunner()
    for command in ("serve", "worker"):
        done = runner.invoke(main, [command], env={"OTEL_TRACES_EXPORTER": "jaeger", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
        assert done.exit_code == 1 and "OTEL_TRACES_EXPORTER: 'jaeger' is not supported here" in done.output
        done = runner.invoke(main, [command], env={"OVERTURE_LOG_FORMAT": "xml", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
        assert done.exit_code == 1 and "OVERTURE_LOG_FORMAT must be text or json" in done.output
