"""The ``overture`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from runtime.document import validate as validate_document


@click.group()
def main() -> None:
    """Overture: flow orchestration with stages, steps and decisions."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check orchestration documents; exit 1 if any has an error."""
    failed = False
    for path in files:
        try:
            document = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            click.echo(f"{path}: not JSON: {exc}")
            failed = True
            continue
        issues = validate_document(document)
        errors = [i for i in issues if i.severity == "error"]
        for issue in issues:
            where = issue.node or (f"edge {issue.edge}" if issue.edge else "document")
            column = f" (column {issue.column})" if issue.column else ""
            click.echo(f"{path}: {issue.severity}: {where}: {issue.field}: {issue.message}{column}")
        if errors:
            failed = True
        else:
            click.echo(f"{path}: ok")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--database-url", envvar="DATABASE_URL", help="SQLAlchemy URL (default: DATABASE_URL, else ./var/overture.db).")
@click.option("--directory", "directory_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='People and groups as JSON: {"groups": {"alice": ["legal"]}, "queues": {"q": ["bob"]}}.')
@click.option("--plugin", "plugins", multiple=True, metavar="MODULE:FUNCTION",
              help="Call FUNCTION(registry) to register more actions (besides the overture.actions entry points).")
@click.option("--worker-id", default=None, help="Name in job claims (default: host:pid).")
@click.option("--batch", default=10, show_default=True, help="Jobs claimed at a time.")
@click.option("--poll", default=0.5, show_default=True, help="Seconds to wait when idle.")
@click.option("--heartbeat", default=5.0, show_default=True, help="Seconds between heartbeats.")
@click.option("--stale-after", default=60.0, show_default=True, help="Seconds without heartbeat before a job is re-queued.")
@click.option("--until-idle", is_flag=True, help="Stop when there is nothing left to do.")
def worker(
    database_url: str | None, directory_file: Path | None, plugins: tuple[str, ...], worker_id: str | None,
    batch: int, poll: float, heartbeat: float, stale_after: float, until_idle: bool,
) -> None:
    """Run a standalone worker: background actions and timers, against the database."""
    import os
    import signal
    import socket
    from datetime import timedelta

    from runtime.actions import default_registry
    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore
    from runtime.worker import Worker

    registry = default_registry()
    for spec in plugins:
        module_name, _, function = spec.partition(":")
        module = __import__(module_name, fromlist=[function or "register"])
        getattr(module, function or "register")(registry)
    people: dict = json.loads(directory_file.read_text()) if directory_file else {}
    directory = InMemoryDirectory(people.get("groups", {}), queues=people.get("queues", {}))
    store = SqlStore(database_url)
    engine = Engine(store, directory=directory, actions=registry, autoprocess=False,
                    worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}")
    runner = Worker(engine, poll_interval=poll, heartbeat_interval=heartbeat, stale_after=timedelta(seconds=stale_after), batch=batch)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop_event.set())
    click.echo(f"overture worker {engine.worker_id} on {store.dialect}", err=True)
    try:
        handled = runner.run(until_idle=until_idle)
    except KeyboardInterrupt:
        handled = 0
    click.echo(f"overture worker {engine.worker_id}: handled {handled} jobs and timers", err=True)


@main.command()
def demo() -> None:
    """Run the contract-approval template in memory, with simulated people."""
    from builder.demo import run_demo

    run_demo(click.echo)
