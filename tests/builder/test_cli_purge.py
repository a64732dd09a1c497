"""``overture purge``: old runs archived and purged in batches, with progress; clear errors
for a bad age or batch; the worker refuses a bad retention setting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import main
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.model import Run
from runtime.retention import read_archive
from runtime.store.sql import SqlStore
from tests.runtime.docs import one_stage, step


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A SQLite database with three runs that ended in 2020 and one of today."""
    url = f"sqlite:///{tmp_path / 'purge.db'}"
    store = SqlStore(url)
    clock = ManualClock(datetime(2020, 3, 1, tzinfo=UTC))
    engine = Engine(store, clock)
    engine.deploy(one_stage(step("wait", "wait", timer={"duration": "P1D"})))
    old = [engine.start("t") for _ in range(3)]
    clock.advance("P1D")
    assert {engine.get_run(run_id)["status"] for run_id in old} == {"completed"}
    clock.set(datetime.now(UTC))
    engine.start("t")
    store.dispose()
    return url


def runs_in(url: str) -> int:
    store = SqlStore(url)
    try:
        with store.transaction(write=False) as tx:
            return len(tx.find(Run))
    finally:
        store.dispose()


def test_purge_archives_then_deletes_in_batches_with_progress(database, tmp_path: Path):
    url = database
    archive = tmp_path / "archive"
    result = CliRunner().invoke(main, ["purge", "--older-than", "180d", "--archive", str(archive), "--batch", "1", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "purged 1 runs" in result.stderr and "purged 3 runs" in result.stderr  # a line per batch
    assert "purged 3 runs (" in result.stdout and "that ended more than 180d ago" in result.stdout
    (written,) = archive.iterdir()
    assert f"archive: {written}" in result.stdout
    assert len(list(read_archive(written))) == 3
    assert runs_in(url) == 1  # the run of today


def test_dry_run_changes_nothing(database, tmp_path: Path):
    url = database
    result = CliRunner().invoke(main, ["purge", "--older-than", "2w", "--dry-run", "--archive", str(tmp_path / "a"), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "would purge 3 runs" in result.stdout
    assert runs_in(url) == 4 and not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "180"], "'180' is not an age such as 180d, 12h, 2w or 30m"),
        (["--older-than", "6 months"], "is not an age such as 180d"),
        (["--older-than", "P6M"], "counts years or months"),
        (["--older-than", "0h"], "must be more than zero"),
        (["--older-than", "180d", "--batch", "0"], "0 is not in the range 1<=x<=5000"),
        ([], "Missing option '--older-than'"),
    ],
)
def test_bad_arguments_are_named(args, message, tmp_path: Path):
    result = CliRunner().invoke(main, ["purge", *args, "--database-url", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.db").exists()  # refused before touching a database


def test_an_archive_that_cannot_be_written_stops_the_purge(database, tmp_path: Path):
    url = database
    (tmp_path / "file").write_text("not a directory")
    result = CliRunner().invoke(main, ["purge", "--older-than", "180d", "--archive", str(tmp_path / "file" / "sub"), "--database-url", url])
    assert result.exit_code == 1 and "Error: archive:" in result.output
    assert runs_in(url) == 4


def test_the_worker_refuses_a_bad_retention_setting(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OVERTURE_PURGE_OLDER_THAN", "180d")
    monkeypatch.setenv("OVERTURE_PURGE_HOUR", "25")
    result = CliRunner().invoke(main, ["worker", "--database-url", f"sqlite:///{tmp_path / 'w.db'}", "--until-idle"])
    assert result.exit_code == 1
    assert "OVERTURE_PURGE_HOUR must be a whole hour from 0 to 23, not '25'" in result.output


def test_the_embedded_worker_purges_nightly_when_set(tmp_path: Path):
    from builder import create_app
    from runtime.retention import RetentionSettingsError

    url = f"sqlite:///{tmp_path / 'app.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": url,
            "WORKER_POLL": 0.05,
            "PURGE_OLDER_THAN": "180d",
            "PURGE_HOUR": "4",
            "PURGE_ARCHIVE": str(tmp_path / "archive"),
        }
    )
    state = app.extensions["overture"]
    try:
        assert state.nightly_purge is not None and state.nightly_purge.settings.hour == 4
        assert state.nightly_purge.settings.archive_dir == tmp_path / "archive"
    finally:
        state.close()
    off = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "PURGE_OLDER_THAN": "180d"})
    assert off.extensions["overture"].nightly_purge is None  # only where background work runs
    off.extensions["overture"].close()
    with pytest.raises(RetentionSettingsError, match="OVERTURE_PURGE_OLDER_THAN: '6 months' is not an age"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "PURGE_OLDER_THAN": "6 months"})
