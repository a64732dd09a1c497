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
from runtime.store import migrate
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


def said(output: str, status: str, name: str) -> str:
    """The reason on the line of check ``name``, which must have ``status`` (``ok``, ``FAIL``...)."""
    for line in output.splitlines():
        mark, _, rest = line.partition(" ")
        if mark == status and rest.strip().startswith(name + "  "):
            return rest.strip()[len(name) :].strip()
    raise AssertionError(f"no line '{status} {name}' in:\n{output}")


def queue_job(url: str, due: datetime) -> None:
    store = SqlStore(url, upgrade=False)
    try:
        with store.transaction() as tx:
            tx.insert(Job("j1", "r1", "s1", 1, 1, "noop", {}, "queued", due, "k", due))
    finally:
        store.dispose()


def test_a_good_set_up_exits_0(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setattr("builder.doctor.MIN_FREE", 0)  # whatever disk this machine has
    beat(sqlite_url, "web-1", kind="web")  # one server process with its embedded worker
    env = good_environment(tmp_path) | {
        "OVERTURE_HTTP_ALLOWLIST": "api.example.com,*.example.org,93.184.215.14",
        "OVERTURE_PURGE_OLDER_THAN": "180d",
        "OVERTURE_PURGE_ARCHIVE": str(tmp_path / "archives" / "overture"),
    }
    code, output = doctor(sqlite_url, env)
    assert code == 0, output
    assert "FAIL" not in output and "warn " not in output
    assert output.splitlines()[-1] == "0 problems, 0 warnings"
    assert "hunter2" not in output and "mailer" not in output  # the SMTP password and user stay hidden
    for name in ("database", "migrations", "workers", "backlog", "processes", "clocks", "secret key", "http allowlist", "purge archive"):
        said(output, "ok", name)


def test_a_bad_set_up_says_each_problem_and_exits_1(sqlite_url, tmp_path):
    (tmp_path / "a-file").write_text("")
    env = good_environment(tmp_path) | {
        "OVERTURE_SECRET_KEY": "changeme",
        "OVERTURE_SESSION_IDLE": "forever",
        "OVERTURE_TEST_CLOCK": "1",
        "OVERTURE_HTTP_ALLOWLIST": "api.example.com,169.254.169.254",  # the cloud's metadata service
        "OVERTURE_PURGE_OLDER_THAN": "180d",
        "OVERTURE_PURGE_ARCHIVE": str(tmp_path / "a-file" / "archive"),
    }
    env.pop("OVERTURE_SMTP_URL")
    env.pop("OVERTURE_SECURE_COOKIES")
    # A server and a separate worker on one SQLite file, the worker's clock 30 s fast, and
    # a job that has waited 10 minutes for it.
    beat(sqlite_url, "web-1", kind="web", runs_worker=False, key="changeme")
    beat(sqlite_url, "worker-1", key="changeme", clock=ManualClock(datetime.now(UTC) + timedelta(seconds=30)))
    queue_job(sqlite_url, datetime.now(UTC) - timedelta(minutes=10))
    found = checks(sqlite_url, env)
    assert found.pop("exit") == {"code": 1}
    assert {name: c["status"] for name, c in found.items()} == {
        "database": "ok",
        "migrations": "ok",
        "workers": "ok",
        "backlog": "warn",
        "processes": "fail",
        "connections": "ok",
        "clocks": "fail",
        "disk": found["disk"]["status"],  # whatever this machine has
        "settings": "fail",
        "secret key": "fail",
        "e-mail": "warn",
        "cookies": "warn",
        "http allowlist": "warn",
        "purge archive": "fail",
        "test clock": "fail",
    }
    assert "a ready job has waited 10 min" in found["backlog"]["reason"]
    assert "169.254.169.254" in found["http allowlist"]["reason"] and "api.example.com" not in found["http allowlist"]["reason"]
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
    queue_job(sqlite_url, datetime.now(UTC) - timedelta(seconds=5))
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
    assert said(output, "FAIL", "migrations").startswith(f"the runtime tables are at 0016, this code needs {migrate.head()}")
    assert "start `overture serve` or `overture worker` once to migrate" in output
    store = SqlStore(sqlite_url, upgrade=False)
    try:
        assert store.engine.connect().execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0016"  # not migrated
    finally:
        store.dispose()

    path.unlink()
    code, output = doctor(sqlite_url, good_environment(tmp_path))
    assert code == 1
    assert said(output, "FAIL", "database") == "the database file is missing"
    assert str(path) in output  # the operator is told where it should be
    assert not path.exists()


def test_postgresql_good_and_unreachable(postgres_url, tmp_path):
    from builder.migrate import open_store

    open_store(postgres_url).dispose()
    beat(postgres_url, "worker-1")
    beat(postgres_url, "web-1", kind="web", runs_worker=False)
    code, output = doctor(postgres_url, good_environment(tmp_path))
    assert code == 0, output
    assert said(output, "ok", "processes") == "2 processes alive"

    code, output = doctor("postgresql://overture:topsecret@127.0.0.1:1/nowhere", good_environment(tmp_path))
    assert code == 1
    assert said(output, "FAIL", "database") == "the database does not answer"
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
