"""``overture doctor`` (builder/doctor.py): exit 0 on a good set-up, 1 with the reason of each
problem on bad ones - database, migrations, workers, processes on SQLite, clock skew, the
server key, settings, e-mail - on SQLite and PostgreSQL; it migrates and creates nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from builder.cli import main
from runtime.clock import ManualClock, SystemClock
from runtime.heartbeat import Heartbeat
from runtime.model import Job
from runtime.store.sql import SqlStore

KEY = "0123456789abcdef" * 4


def good_environment(var: Path) -> dict[str, str]:
    return {
        "OVERTURE_SECRET_KEY": KEY,
        "OVERTURE_SMTP_URL": "smtp://mailer:hunter2@mail.example.com:587?from=overture@example.com&starttls=1",
        "OVERTURE_BASE_URL": "https://overture.example.com",
        "OVERTURE_SECURE_COOKIES": "1",
        "OVERTURE_VAR": str(var),
    }


def doctor(url: str, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor", "--database-url", url, *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def checks(url: str, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    code, output = doctor(url, env, "--json")
    return {c["name"]: c for c in json.loads(output)["checks"]} | {"exit": {"code": code}}


def beat(url: str, name: str, *, key: str = KEY, clock: Any = None, kind: str = "worker", runs_worker: bool = True) -> None:
    store = SqlStore(url, upgrade=False)
    try:
        Heartbeat(store, clock or SystemClock(), name, kind=kind, runs_worker=runs_worker, key=key).beat()
    finally:
        store.dispose()


def test_a_good_set_up_exits_0(sqlite_url, tmp_path):
    beat(sqlite_url, "web-1", kind="web")  # one server process with its embedded worker
    code, output = doctor(sqlite_url, good_environment(tmp_path))
    assert code == 0, output
    assert "FAIL" not in output and "warn " not in output
    assert output.splitlines()[-1] == "0 problems, 0 warnings"
    assert "hunter2" not in output and "mailer" not in output  # the SMTP password and user stay hidden
    for line in ("ok    database", "ok    migrations", "ok    workers", "ok    processes", "ok    clocks", "ok    secret key"):
        assert line in output, output


def test_a_bad_set_up_says_each_problem_and_exits_1(sqlite_url, tmp_path):
    env = good_environment(tmp_path) | {
        "OVERTURE_SECRET_KEY": "changeme",
        "OVERTURE_SESSION_IDLE": "forever",
        "OVERTURE_TEST_CLOCK": "1",
    }
    env.pop("OVERTURE_SMTP_URL")
    env.pop("OVERTURE_SECURE_COOKIES")
    # A server and a separate worker on one SQLite file, the worker's clock 30 s fast.
    beat(sqlite_url, "web-1", kind="web", runs_worker=False, key="changeme")
    beat(sqlite_url, "worker-1", key="changeme", clock=ManualClock(datetime.now(UTC) + timedelta(seconds=30)))
    found = checks(sqlite_url, env)
    assert found.pop("exit") == {"code": 1}
    assert {name: c["status"] for name, c in found.items()} == {
        "database": "ok",
        "migrations": "ok",
        "workers": "ok",
        "processes": "fail",
        "clocks": "fail",
        "settings": "fail",
        "secret key": "fail",
        "e-mail": "warn",
        "cookies": "warn",
        "test clock": "fail",
    }
    assert "2 processes share a SQLite database on one machine" in found["processes"]["reason"]
    assert "worker" in found["clocks"]["detail"]
    assert "30." in found["clocks"]["detail"] and "ahead of the database" in found["clocks"]["detail"]
    assert "OVERTURE_SESSION_IDLE" in found["settings"]["detail"]
    assert "a well-known value" in found["secret key"]["reason"]
    assert "OVERTURE_SMTP_URL is not set" in found["e-mail"]["reason"]


def test_warnings_fail_only_when_strict(sqlite_url, tmp_path):
    env = good_environment(tmp_path)
    env.pop("OVERTURE_SMTP_URL")
    beat(sqlite_url, "web-1", kind="web")
    assert doctor(sqlite_url, env)[0] == 0
    code, output = doctor(sqlite_url, env, "--strict")
    assert code == 1
    assert output.splitlines()[-1] == "0 problems, 1 warning"


def test_processes_with_different_keys_and_due_work_without_a_worker(sqlite_url, tmp_path):
    beat(sqlite_url, "web-1", kind="web", runs_worker=False, key="a" * 40)
    beat(sqlite_url, "web-2", kind="web", runs_worker=False, key="b" * 40)
    store = SqlStore(sqlite_url, upgrade=False)
    now = datetime.now(UTC)
    with store.transaction() as tx:
        tx.insert(Job("j1", "r1", "s1", 1, 1, "noop", {}, "queued", now - timedelta(minutes=5), "k", now))
    store.dispose()
    found = checks(sqlite_url, good_environment(tmp_path))
    assert found["exit"] == {"code": 1}
    assert found["workers"]["status"] == "fail"
    assert found["workers"]["reason"] == "jobs are ready, and no worker sent a heartbeat in the last 60 s"
    assert found["secret key"]["status"] == "fail"
    assert "2 different server keys" in found["secret key"]["reason"]


def test_a_missing_database_file_or_migration(sqlite_url, tmp_path):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    store = SqlStore(sqlite_url, upgrade=False)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0016'"))
    store.dispose()
    code, output = doctor(sqlite_url, good_environment(tmp_path))
    assert code == 1
    assert "FAIL  migrations  the runtime tables are at 0016, this code needs 0017" in output
    assert "start `overture serve` or `overture worker` once to migrate" in output
    store = SqlStore(sqlite_url, upgrade=False)
    try:
        assert store.engine.connect().execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0016"  # not migrated
    finally:
        store.dispose()

    path.unlink()
    code, output = doctor(sqlite_url, good_environment(tmp_path))
    assert code == 1
    assert "FAIL  database    the database file is missing" in output
    assert str(path) in output  # the operator is told where it should be
    assert not path.exists()


def test_postgresql_good_and_unreachable(postgres_url, tmp_path):
    from builder.migrate import open_store

    open_store(postgres_url).dispose()
    beat(postgres_url, "worker-1")
    beat(postgres_url, "web-1", kind="web", runs_worker=False)
    code, output = doctor(postgres_url, good_environment(tmp_path))
    assert code == 0, output
    assert "ok    processes   2 processes alive" in output

    code, output = doctor("postgresql://overture:topsecret@127.0.0.1:1/nowhere", good_environment(tmp_path))
    assert code == 1
    assert "FAIL  database    the database does not answer" in output
    assert "topsecret" not in output


@pytest.mark.parametrize("key", ["short", ""])
def test_short_or_missing_keys(sqlite_url, tmp_path, key):
    env = good_environment(tmp_path) | {"OVERTURE_SECRET_KEY": key}
    found = checks(sqlite_url, env)
    if key:
        assert found["secret key"]["status"] == "fail" and "shorter than 32 characters" in found["secret key"]["reason"]
    else:
        assert found["secret key"]["status"] == "warn"
        assert not (tmp_path / "secret_key").exists()  # the doctor makes no key
