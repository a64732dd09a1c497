"""``GET /healthz`` and ``GET /readyz`` (builder/health.py): liveness reads nothing; readiness
fails, with its reasons and nothing secret, when the database is gone, a migration is
missing, or work is due and no worker beats - on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text, update

from builder import create_app
from builder.extensions import state
from runtime.clock import ManualClock, SystemClock
from runtime.heartbeat import Heartbeat
from runtime.model import Job
from runtime.store.tables import ProcessRow
from tests.pg import POSTGRES_URL, throwaway_database


def readyz(app: Flask, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    app.config.setdefault("READY_CACHE", 0)  # every call runs the checks (the app keeps an answer a second)
    response = app.test_client().get("/readyz", **kwargs)
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: check["status"] for name, check in body["checks"].items()}


def queue_job(app: Flask, now: datetime) -> None:
    """A background job that is ready now (what a run's background step leaves for a worker)."""
    with app.app_context(), state().store.transaction() as tx:
        tx.insert(Job("j1", "r1", "s1", 1, 1, "noop", {}, "queued", now - timedelta(seconds=5), "r1:s1:1:1", now))


def worker_beat(app: Flask, *, runs_worker: bool = True) -> Heartbeat:
    with app.app_context():
        beat = Heartbeat(state().store, SystemClock(), f"w{runs_worker}", kind="worker", runs_worker=runs_worker, key="k" * 32)
    beat.beat()
    return beat


def test_ready_on_a_migrated_database_with_nothing_due(app):
    status, body = readyz(app)
    assert status == 200, body
    assert body["status"] == "ready"
    assert statuses(body) == {"database": "ok", "migrations": "ok", "workers": "ok"}
    assert state_of(app).store.processes()[1] == []  # no embedded worker, not served: no heartbeat


def test_an_answer_is_kept_for_a_while_so_a_flood_of_probes_costs_little(app):
    app.config["READY_CACHE"] = 3600
    store = state_of(app).store
    assert readyz(app)[0] == 200
    before = store.statements
    for _ in range(20):
        assert readyz(app)[0] == 200
    assert store.statements == before


def test_a_deleted_sqlite_file_fails_readiness_but_not_liveness(app, login):
    signed_in = login("ada")  # a cookie must not make /healthz touch the database
    path = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    path.unlink()
    for client in (app.test_client(), signed_in.http):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
    assert app.test_client().get("/healthz", headers={"Authorization": "Bearer not-a-token"}).status_code == 200

    status, body = readyz(app)
    assert status == 503
    assert body["status"] == "not_ready"
    assert body["checks"]["database"] == {"status": "fail", "reason": "the database file is missing"}
    assert statuses(body) == {"database": "fail", "migrations": "skipped", "workers": "skipped"}
    assert str(path.parent) not in str(body)  # no paths to an anonymous caller
    assert not path.exists()  # the check did not create an empty database in its place


def test_a_database_stamped_one_migration_behind_is_not_ready(app):
    from runtime.store.migrate import RUNTIME

    engine = state_of(app).store.engine
    head = RUNTIME.head()
    assert head is not None
    previous = f"{int(head) - 1:04d}"
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["migrations"]["status"] == "fail"
    assert f"the runtime tables are at {previous}, this code needs {head}" in body["checks"]["migrations"]["reason"]
    assert body["checks"]["workers"]["status"] == "skipped"

    # Newer code migrated the database (a revision this code does not know): not ready either.
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        conn.execute(text("UPDATE builder_alembic_version SET version_num = 'b9999'"))
    status, body = readyz(app)
    assert status == 503
    assert "the builder tables are at b9999, which this code does not know" in body["checks"]["migrations"]["reason"]


def test_due_work_needs_a_worker_heartbeat_within_a_minute(app, clock):
    queue_job(app, clock.now())
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["workers"] == {
        "status": "fail",
        "reason": "jobs are ready, and no worker sent a heartbeat in the last 60 s",
    }

    worker_beat(app, runs_worker=False)  # a web process without the embedded worker does no background work
    assert readyz(app)[0] == 503

    beat = worker_beat(app)
    status, body = readyz(app)
    assert status == 200, body
    assert body["checks"]["workers"]["reason"] == "1 worker sent a heartbeat in the last 60 s"
    assert beat.process.host not in str(body) and str(beat.process.pid) not in str(body)

    # Its last beat two minutes ago (by the database's clock): gone.
    with state_of(app).store.engine.begin() as conn:
        table = ProcessRow.__table__
        conn.execute(update(table).values(beat_at=datetime.now(UTC) - timedelta(minutes=2)))
    assert readyz(app)[0] == 503

    beat.beat()
    assert readyz(app)[0] == 200
    beat.stop()  # a clean stop deletes its row
    assert readyz(app)[0] == 503

    # The job claimed by a worker that then died: it waits for a worker to re-queue it.
    with app.app_context(), state().store.transaction() as tx:
        job = tx.get(Job, "j1")
        assert job is not None
        job.status, job.claimed_by = "running", "gone"
        tx.update(job)
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["workers"]["reason"] == "jobs are claimed, and no worker sent a heartbeat in the last 60 s"


def test_rows_of_processes_silent_for_a_day_go_at_the_next_beat(app):
    store = state_of(app).store
    worker_beat(app, runs_worker=False)
    fast = ManualClock(datetime.now(UTC) + timedelta(days=3))  # a clock days fast deletes nobody
    Heartbeat(store, fast, "fast", kind="worker", runs_worker=True).beat()
    assert {p.id for p in store.processes()[1]} == {"wFalse", "fast"}
    with store.engine.begin() as conn:
        conn.execute(update(ProcessRow.__table__).where(ProcessRow.id == "wFalse").values(beat_at=datetime.now(UTC) - timedelta(days=2)))
    Heartbeat(store, SystemClock(), "fast", kind="worker", runs_worker=True).beat()
    assert {p.id for p in store.processes()[1]} == {"fast"}


def test_a_process_with_the_embedded_worker_beats_and_forgets_itself_when_it_closes(tmp_path, migrated_db):
    path = tmp_path / "served.db"
    shutil.copy(migrated_db, path)
    # With the embedded worker a process beats however it is served (no HEARTBEAT needed).
    config = {"TESTING": True, "SECRET_KEY": "s" * 40, "DATABASE_URL": f"sqlite:///{path}", "EMBEDDED_WORKER": True}
    app = create_app(config)
    store = state_of(app).store
    try:
        _, processes = store.processes()
        assert [(p.kind, p.runs_worker, p.pid) for p in processes] == [("web", True, os.getpid())]
        assert readyz(app)[0] == 200
    finally:
        app.extensions["overture"].close()
    from runtime.store.sql import SqlStore

    after = SqlStore(f"sqlite:///{path}", upgrade=False)
    try:
        assert after.processes()[1] == []
    finally:
        after.dispose()


def state_of(app: Flask) -> Any:
    return app.extensions["overture"]


@pytest.fixture
def pg_app() -> Iterator[tuple[Flask, str]]:
    if not POSTGRES_URL:
        pytest.skip("OVERTURE_TEST_DATABASE_URL is not set")
    with throwaway_database("overture_health") as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "CLOCK": ManualClock()})
        try:
            yield app, url
        finally:
            app.extensions["overture"].close()


def test_postgresql_readiness_follows_migrations_workers_and_the_database(pg_app):
    import psycopg
    from sqlalchemy.engine import make_url

    app, url = pg_app
    assert readyz(app)[0] == 200

    engine = state_of(app).store.engine
    with engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": f"{int(head) - 1:04d}"})
    status, body = readyz(app)
    assert status == 503 and body["checks"]["migrations"]["status"] == "fail"
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})

    queue_job(app, state_of(app).engine.clock.now())
    assert readyz(app)[0] == 503
    worker_beat(app)
    assert readyz(app)[0] == 200

    # The database goes away under the running app.
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
    for headers in ({}, {"Authorization": "Bearer some-token"}):  # liveness asks nobody who is calling
        assert app.test_client().get("/healthz", headers=headers).status_code == 200
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["database"] == {"status": "fail", "reason": "the database does not answer"}
    assert "127.0.0.1" not in str(body) and str(parsed.database) not in str(body)
