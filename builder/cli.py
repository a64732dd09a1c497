"""The ``overture`` command line."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from runtime.document import validate as validate_document
from runtime.errors import OvertureError
from runtime.retention import DEFAULT_BATCH, MAX_BATCH

if TYPE_CHECKING:
    from flask import Flask

database_url_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    help="SQLAlchemy URL (default: DATABASE_URL, else sqlite:///var/overture.db).",
)


@click.group()
def main() -> None:
    """Overture: flow orchestration with stages, steps and decisions."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check orchestration documents; exit 1 if any has an error."""
    failed = False
    for path in files:
        if _read_document(path) is None:
            failed = True
        else:
            click.echo(f"{path}: ok")
    sys.exit(1 if failed else 0)


def _read_document(path: Path) -> Any:
    """The document in ``path`` with its issues printed; None if it is not JSON or has errors."""
    try:
        document = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"{path}: not JSON: {exc}")
        return None
    issues = validate_document(document)
    for issue in issues:
        where = issue.node or (f"edge {issue.edge}" if issue.edge else "document")
        column = f" (column {issue.column})" if issue.column else ""
        click.echo(f"{path}: {issue.severity}: {where}: {issue.field}: {issue.message}{column}")
    return None if any(i.severity == "error" for i in issues) else document


@contextmanager
def _app(database_url: str | None, **config: Any) -> Iterator[Flask]:
    """The app as ``serve`` builds it, for a one-shot command: no embedded worker.

    The engine's errors (a name taken, a group missing...) become a message and exit 1.
    """
    from builder import create_app

    app = create_app({"DATABASE_URL": database_url, "EMBEDDED_WORKER": False, **config})
    try:
        with app.app_context():
            yield app
    except OvertureError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        app.extensions["overture"].close()
        if "overture_meter" in app.extensions:  # what it counted stays; its pool no longer counts as open
            from builder import prometheus

            prometheus.process_exited(os.getpid())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes. One is enough for most sites; more spread CPU over cores (PostgreSQL).",
)
@click.option(
    "--worker/--no-worker",
    "embedded_worker",
    default=lambda: os.environ.get("OVERTURE_EMBEDDED_WORKER", "1") != "0",
    help="Run background jobs and timers in the server (default: unless OVERTURE_EMBEDDED_WORKER=0; "
    "--no-worker: only `overture worker` processes do).",
)
@database_url_option
def serve(host: str, port: int, workers: int, embedded_worker: bool, database_url: str | None) -> None:
    """Serve the app and its websockets with gunicorn (gevent workers; limits in README, Serving and limits)."""
    from builder import logs, telemetry
    from builder.migrate import open_store
    from builder.server import launch, setting

    try:  # checked here, before any process starts, rather than in each (README, "Operating Overture")
        logs.log_format(os.environ.get("OVERTURE_LOG_FORMAT"))
        telemetry.wanted(os.environ)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    header_timeout, connections = setting("OVERTURE_HEADER_TIMEOUT"), setting("OVERTURE_MAX_CONNECTIONS")
    per_user, total = setting("OVERTURE_WS_PER_USER"), setting("OVERTURE_WS_TOTAL")  # checked here, used by the app
    binds = [f"{host}:{port}"]
    metrics = _metrics_settings()
    if metrics is not None:
        from builder import prometheus

        # Every process of this server adds to one directory; a new start begins at zero.
        metrics.directory.mkdir(parents=True, exist_ok=True)
        prometheus.clear(metrics.directory)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics.directory)
        if metrics.port is not None:
            binds.append(f"{metrics.host}:{metrics.port}")  # where /metrics needs no token
    # Migrate once here rather than racing in every process.
    open_store(database_url).dispose()
    click.echo(
        f"overture: serving on http://{host}:{port} "
        f"({workers} process{'es' if workers > 1 else ''}, gevent, up to {connections} connections each, "
        f"header timeout {header_timeout} s, websockets {per_user} per person and {total} in all, "
        f"embedded worker {'on' if embedded_worker else 'off'})",
        err=True,
    )
    if metrics is not None:
        internal = f", and without a token on http://{metrics.host}:{metrics.port}/metrics" if metrics.port else ""
        click.echo(f"overture: metrics at /metrics{' with the token' if metrics.token else ''}{internal}", err=True)
    if database_url:
        os.environ["DATABASE_URL"] = database_url  # the serving process reads it there (not on its command line)
    launch({"bind": binds, "workers": workers}, embedded_worker=embedded_worker)


def _metrics_settings() -> Any:
    """OVERTURE_METRICS_* (builder/prometheus/), checked: a bad value stops the command."""
    from builder.prometheus import MetricsSettings

    try:
        return MetricsSettings.from_environment(os.environ)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@database_url_option
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(database_url: str | None, strict: bool, as_json: bool) -> None:
    """Check the database, migrations, workers, clocks and configuration; exit 1 on a problem.

    Run it with the server's environment. It migrates and changes nothing.
    """
    from sqlalchemy.engine import make_url

    from builder.doctor import diagnose, report
    from builder.health import FAIL, WARN
    from runtime.clock import SystemClock
    from runtime.store.sql import SqlStore
    from runtime.store.sql import database_url as resolve_url

    url = make_url(resolve_url(database_url))
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": "5"})  # an unreachable server must not hang the doctor
    store = SqlStore(url.render_as_string(hide_password=False), upgrade=False)
    try:
        checks = diagnose(store, SystemClock(), os.environ)
    finally:
        store.dispose()
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    if as_json:
        found = [{"name": c.name, "status": c.status, "reason": c.reason, "detail": c.detail} for c in checks]
        click.echo(json.dumps({"checks": found}, indent=2))
    else:
        click.echo(f"overture doctor: {make_url(resolve_url(database_url)).render_as_string(hide_password=True)}")
        for line in report(checks):
            click.echo(line)
        click.echo(f"{failed} problem{'s' if failed != 1 else ''}, {warned} warning{'s' if warned != 1 else ''}")
    sys.exit(1 if failed or (strict and warned) else 0)


@main.command()
@click.option("--demo", is_flag=True, help="Also demo people (with a printed password), records and runs in every state.")
@database_url_option
def seed(demo: bool, database_url: str | None) -> None:
    """Groups and queues, record types and the shipped templates; idempotent."""
    from builder.seed import DEMO_PASSWORD, PEOPLE
    from builder.seed import seed as seed_app

    with _app(database_url) as app:
        held = seed_app(app, demo=demo)
    runs = ", ".join(f"{n} {status}" for status, n in held["runs"].items()) or "none"
    click.echo(
        f"seeded: {held['groups']} groups and queues, {held['people']} people, "
        f"{held['orchestrations']} active orchestrations, {held['records']} records, runs: {runs}"
    )
    if demo:
        click.echo(f"demo logins (password {DEMO_PASSWORD!r} for everyone):")
        for username, (role, _display_name, groups) in PEOPLE.items():
            click.echo(f"  {username:6} {role:6} {', '.join(groups)}")


@main.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "ops", "member"]))
@click.option("--group", "groups", multiple=True, help="A group or queue (repeat for several).")
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (else: prompt).")
@database_url_option
def create_user(
    username: str,
    role: str,
    groups: tuple[str, ...],
    display_name: str | None,
    password_stdin: bool,
    database_url: str | None,
) -> None:
    """Create a person who signs in with a password."""
    from builder import accounts

    password = _read_password(password_stdin)
    with _app(database_url) as app, app.extensions["overture"].sessions.begin() as s:
        accounts.create_user(s, username, role=role, password=password, groups=groups, display_name=display_name)
    click.echo(f"created {role} {username}" + (f" in {', '.join(groups)}" if groups else ""))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (else: prompt).")
@database_url_option
def set_password(username: str, password_stdin: bool, database_url: str | None) -> None:
    """Give a person a new password (an admin who forgot theirs); their sessions end."""
    from builder import accounts

    password = _read_password(password_stdin)
    with _app(database_url) as app, app.extensions["overture"].sessions.begin() as s:
        accounts.set_password(s, username, password)
    click.echo(f"{username} has a new password and is signed out everywhere")


@main.command("create-token")
@click.argument("name")
@database_url_option
def create_token(name: str, database_url: str | None) -> None:
    """Create an API token for a system; prints its secret, which is not shown again."""
    from builder import accounts

    with _app(database_url) as app, app.extensions["overture"].sessions.begin() as s:
        row, secret = accounts.create_token(s, name, created_by=None)
        token_id = row.id
    click.echo(f"token {token_id} ({name}); send it as 'Authorization: Bearer <token>'. It is shown only once:", err=True)
    click.echo(secret)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--activate", is_flag=True, help="Also activate it: a new version that new runs start on.")
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also store the scenario tests in DIR (*.scenario.yaml, any depth; named after the file).",
)
@database_url_option
def import_(file: Path, activate: bool, scenarios_dir: Path | None, database_url: str | None) -> None:
    """Save a document as its orchestration's draft (created if new); --activate deploys it."""
    from builder.drafts import save_draft
    from builder.scenarios import save_scenario

    document = _read_document(file)
    if document is None:
        sys.exit(1)
    tests = _read_scenarios(scenarios_dir, document["key"]) if scenarios_dir else {}
    with _app(database_url) as app:
        state = app.extensions["overture"]
        with state.sessions.begin() as s:
            revision = save_draft(s, document, by=None).revision
            for name, source in tests.items():
                save_scenario(s, document["key"], name, source, by=None)
        click.echo(f"{document['key']}: draft saved (revision {revision})")
        if scenarios_dir:
            click.echo(f"{document['key']}: {len(tests)} scenario{'s' if len(tests) != 1 else ''} saved")
        if activate:
            click.echo(f"{document['key']}: version {state.engine.deploy(document)} is active")


def _read_scenarios(directory: Path, key: str) -> dict[str, str]:
    """name -> source of the scenario files in ``directory``, each checked; exits 1 after
    printing every problem (``file:line: path: message``) if any is wrong."""
    from builder.scenarios import check_name, check_source, name_of_file, scenario_files

    found: dict[str, str] = {}
    failed = False
    for path in scenario_files(directory):
        name = name_of_file(path, directory)
        try:
            source = path.read_text(encoding="utf-8")
            check_name(name)
            check_source(key, source, name=name)
        except UnicodeDecodeError as exc:
            click.echo(f"{path}: not UTF-8 text: {exc}")
            failed = True
        except OvertureError as exc:
            failed = True
            for problem in exc.details["problems"]:
                line = f":{problem['line']}" if problem["line"] else ""
                click.echo(f"{path}{line}: {problem['path'] or name}: {problem['message']}")
        else:
            found[name] = source
    if failed:
        sys.exit(1)
    return found


@main.command()
@click.argument("key")
@click.option("--version", type=click.IntRange(min=1), help="This version (default: the active one, else the draft).")
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write its stored scenario tests into DIR (created if need be), one NAME.scenario.yaml each.",
)
@database_url_option
def export(key: str, version: int | None, scenarios_dir: Path | None, database_url: str | None) -> None:
    """Print an orchestration's document as JSON."""
    from builder.drafts import document_of
    from builder.scenarios import list_scenarios

    with _app(database_url) as app, app.extensions["overture"].sessions() as s:
        document = document_of(s, key, version)
        tests = {row.name: row.source for row in list_scenarios(s, key)} if scenarios_dir else {}
    if scenarios_dir:
        scenarios_dir.mkdir(parents=True, exist_ok=True)
        for name, source in tests.items():
            (scenarios_dir / f"{name}.scenario.yaml").write_text(source, encoding="utf-8")
        click.echo(f"{key}: {len(tests)} scenario{'s' if len(tests) != 1 else ''} written to {scenarios_dir}", err=True)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@main.command()
@database_url_option
@click.option(
    "--directory",
    "directory_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='People and groups as JSON: {"groups": {"alice": ["legal"]}, "queues": {"q": ["bob"]}} (default: the accounts in the database).',
)
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="MODULE:FUNCTION",
    help="Call FUNCTION(registry) to register more actions (besides the overture.actions entry points).",
)
@click.option("--worker-id", default=None, help="Name in job claims (default: host:pid).")
@click.option("--batch", default=10, show_default=True, help="Jobs claimed at a time.")
@click.option("--poll", default=0.5, show_default=True, help="Seconds to wait when idle.")
@click.option("--heartbeat", default=5.0, show_default=True, help="Seconds between heartbeats.")
@click.option("--stale-after", default=60.0, show_default=True, help="Seconds without heartbeat before a job is re-queued.")
@click.option("--until-idle", is_flag=True, help="Stop when there is nothing left to do.")
def worker(
    database_url: str | None,
    directory_file: Path | None,
    plugins: tuple[str, ...],
    worker_id: str | None,
    batch: int,
    poll: float,
    heartbeat: float,
    stale_after: float,
    until_idle: bool,
) -> None:
    """Run a standalone worker: background actions and timers, against the database."""
    import signal
    import socket
    from datetime import timedelta

    from builder import http_allowlist, logs, mail, prometheus, server_key, telemetry
    from builder.migrate import open_store
    from runtime.actions import default_registry
    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.heartbeat import Heartbeat
    from runtime.retention import NightlyPurge, RetentionSettings, RetentionSettingsError
    from runtime.store.directory import SqlDirectory
    from runtime.store.secrets import SqlSecrets
    from runtime.worker import Worker

    try:  # JSON logs and traces as the web app has them (README, "Operating Overture")
        log_format = logs.log_format(os.environ.get("OVERTURE_LOG_FORMAT"))
        telemetry.configure(telemetry.provider_from_environment(os.environ), log_format=log_format)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    logs.configure(log_format)
    registry = default_registry()
    for spec in plugins:
        module_name, _, function = spec.partition(":")
        module = __import__(module_name, fromlist=[function or "register"])
        getattr(module, function or "register")(registry)
    metrics = _metrics_settings()
    store = open_store(database_url)
    directory: Any = SqlDirectory(store)  # the accounts of the web app: groups, queues, out of office
    if directory_file:
        people: dict[str, Any] = json.loads(directory_file.read_text())
        directory = InMemoryDirectory(people.get("groups", {}), queues=people.get("queues", {}))
    meter = None
    if metrics is not None:  # counted in the directory the server's /metrics reads (same host, same setting)
        meter = prometheus.enable(metrics)
        meter.watch_pool(store.engine)
    # The server key the web app has: secrets.<name> in action inputs read with it.
    engine = Engine(
        store,
        directory=directory,
        actions=registry,
        autoprocess=False,
        worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
        # The hosts the web app's engine may call, so http.request runs alike in either.
        settings={"http_allowlist": http_allowlist()},
        secrets=SqlSecrets(store.engine, server_key()),
    )
    engine.ledger.meter = meter
    runner = Worker(engine, poll_interval=poll, heartbeat_interval=heartbeat, stale_after=timedelta(seconds=stale_after), batch=batch)
    try:
        mailer = mail.from_environment(os.environ, store.engine, engine.clock)
        mail_poll = mail.poll_interval(os.environ)
    except mail.MailSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    mail_runner = mail.MailRunner(mailer, mail_poll) if mailer is not None and not until_idle else None
    try:
        purging = RetentionSettings.from_environment(os.environ)
    except RetentionSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    nightly = NightlyPurge(store, purging, engine.clock) if purging is not None and not until_idle else None
    # Readiness and `overture doctor` see the worker by its heartbeat.
    beats = Heartbeat(store, engine.clock, engine.worker_id, kind="worker", runs_worker=True, key=server_key())
    signal.signal(signal.SIGTERM, lambda *_: runner.request_stop())
    click.echo(
        f"overture worker {engine.worker_id} on {store.dialect}{', sending e-mail' if mailer else ''}"
        f"{f', purging old runs or audit entries daily at {purging.hour:02d}:00 UTC' if purging is not None and nightly else ''}",
        err=True,
    )
    if mail_runner is not None:
        mail_runner.start()
    if nightly is not None:
        nightly.start()
    beats.start()
    try:
        handled = runner.run(until_idle=until_idle)
        if mailer is not None and until_idle:
            mailer.run_once()
    except KeyboardInterrupt:
        handled = 0
    finally:
        beats.stop()
        if mail_runner is not None:
            mail_runner.stop()
        if nightly is not None:
            nightly.stop()
        if metrics is not None:
            prometheus.process_exited(os.getpid())
    click.echo(f"overture worker {engine.worker_id}: handled {handled} jobs and timers", err=True)


@main.command()
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="AGE",
    help="Runs that ended longer ago than AGE: 180d, 12h, 2w, 30m (minutes), or ISO-8601 such as P180D.",
)
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="First write each run, with its rows and event log, to a new JSON-lines file in DIR (created if need be).",
)
@click.option(
    "--batch",
    default=DEFAULT_BATCH,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH),
    help="Runs per batch (each deleted in one short transaction).",
)
@click.option("--dry-run", is_flag=True, help="Count what would go; delete and write nothing.")
@database_url_option
def purge(older_than: str, archive_dir: Path | None, batch: int, dry_run: bool, database_url: str | None) -> None:
    """Delete completed and cancelled runs that ended more than AGE ago, with their rows and
    event logs, a batch at a time; live insights keep their figures (README, Retention)."""
    import time

    from runtime import retention
    from runtime.clock import SystemClock
    from runtime.durations import parse_age
    from runtime.store.sql import SqlStore

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    store = SqlStore(database_url)
    verb = "would purge" if dry_run else "purged"
    began = time.monotonic()

    def rate(report: retention.PurgeReport) -> str:
        return f"{report.runs / max(time.monotonic() - began, 1e-6):,.0f} runs/s"

    def progress(report: retention.PurgeReport) -> None:
        click.echo(f"{verb} {report.runs:,} runs ({report.rows:,} rows) in {report.batches} batches, {rate(report)}", err=True)

    try:
        report = retention.purge(
            store, older_than=age, now=SystemClock().now(), batch=batch, archive_dir=archive_dir, dry_run=dry_run, progress=progress
        )
    except OSError as exc:  # the archive could not be written: nothing of that batch was deleted
        raise click.ClickException(f"archive: {exc}") from None
    finally:
        store.dispose()
    click.echo(
        f"{verb} {report.runs:,} runs ({report.rows:,} rows) that ended more than {older_than.strip()} ago "
        f"in {time.monotonic() - began:.1f} s ({rate(report)})"
    )
    if report.skipped:
        click.echo(
            f"kept {report.skipped:,} old runs: a sub-run of theirs is still open or ended recently, "
            f"or live insights have not counted their events yet"
        )
    if report.archive is not None:
        click.echo(f"archive: {report.archive}")


@main.command("purge-audit")
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="AGE",
    help="Audit entries made longer ago than AGE: 400d, 2w, or ISO-8601 such as P400D.",
)
@database_url_option
def purge_audit(older_than: str, database_url: str | None) -> None:
    """Delete audit entries older than AGE, a batch per transaction (README, Audit log):
    the audit log's only retention rule, also run nightly with OVERTURE_AUDIT_OLDER_THAN."""
    from runtime import retention
    from runtime.clock import SystemClock
    from runtime.durations import parse_age
    from runtime.store.sql import SqlStore

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    store = SqlStore(database_url)
    try:
        deleted = retention.purge_audit(store, older_than=age, now=SystemClock().now())
    finally:
        store.dispose()
    click.echo(f"purged {deleted:,} audit entries older than {older_than.strip()}")


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    """``OLD=NEW`` options -> {old: new} (a usage error names the one that is not)."""
    found: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise click.BadParameter(f"{value!r} is not OLD=NEW (a node id of the old version = one of the new)", param_hint="--map")
        found[old.strip()] = new.strip()
    return found


def _plan_error(exc: OvertureError) -> NoReturn:
    """A plan that is not valid: what is wrong, field by field, and exit 2."""
    click.echo(f"error: {exc.message}", err=True)
    for field, problem in (exc.details or {}).items() if isinstance(exc.details, dict) else ():
        for where, message in problem.items() if isinstance(problem, dict) else [(None, problem)]:
            click.echo(f"  {field}{f' {where}' if where else ''}: {message}", err=True)
    sys.exit(2)


def _print_groups(report: dict[str, Any]) -> None:
    for group in report["groups"]:
        examples = ", ".join(r[:8] for r in group.get("runs", []))
        click.echo(f"  {group['count']:>7,}  {group['message']}  [{group['code']}{f'; e.g. {examples}' if examples else ''}]")
    for note in report.get("notes", []):
        click.echo(f"  note ({note['count']:,} run{'s' if note['count'] != 1 else ''}): {note['message']}")


@main.command()
@click.argument("key", required=False)
@click.option("--to", "target", type=click.IntRange(min=1), help="The version the runs move to.")
@click.option(
    "--from", "sources", type=click.IntRange(min=1), multiple=True, help="A version runs move from (repeat; default: every other)."
)
@click.option(
    "--map", "mapping", multiple=True, metavar="OLD=NEW", help="A renamed or replaced node: its id in the old version = in the new."
)
@click.option("--run", "runs", multiple=True, metavar="ID", help="Only this run (repeat).")
@click.option("--stage", "stages", multiple=True, metavar="NODE", help="Only runs sitting on this node of the old version (repeat).")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(["in_progress", "suspended", "error"]), help="Only runs in this status."
)
@click.option("--recompute", default="", metavar="assignee,due", help="Work these out again for open work items (default: kept).")
@click.option("--timers", type=click.Choice(["keep", "recompute"]), default="keep", show_default=True, help="Timers of steps under way.")
@click.option("--dry-run", is_flag=True, help="Say which runs can move and every reason the others cannot; change nothing.")
@click.option("--batch", type=click.IntRange(1, 1000), default=None, help="Runs per batch (default 50; each run in its own transaction).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (progress still goes to stderr).")
@click.option("--by", default=None, metavar="USER", help="Who moves them, for the event log (default: nobody named).")
@click.option("--resume", metavar="ID", help="Go on with migration ID where it stopped (takes no plan).")
@database_url_option
def migrate(
    key: str | None,
    target: int | None,
    sources: tuple[int, ...],
    mapping: tuple[str, ...],
    runs: tuple[str, ...],
    stages: tuple[str, ...],
    statuses: tuple[str, ...],
    recompute: str,
    timers: str,
    dry_run: bool,
    batch: int | None,
    as_json: bool,
    by: str | None,
    resume: str | None,
    database_url: str | None,
) -> None:
    """Move running instances of KEY to version --to (README, Moving runs to a new version).

    Exit 0 when every run moved (or, with --dry-run, can), 1 when some were refused or
    failed, 2 for a plan that is not valid.
    """
    import time

    from runtime.engine import Plan
    from runtime.engine.migration.batches import BATCH

    planned = bool(key or target or sources or mapping or runs or stages or statuses or recompute or dry_run or timers != "keep")
    if resume and planned:
        raise click.UsageError("--resume ID goes on with a recorded migration; give no KEY or plan with it")
    if not resume and (not key or target is None):
        raise click.UsageError("give KEY and --to VERSION (or --resume ID)")
    with _app(database_url) as app:
        engine = app.extensions["overture"].engine
        engine.worker_id = f"cli:{engine.worker_id}"
        if resume:
            try:
                migration_id, key = resume, engine.migration(resume)["orchestration"]
            except OvertureError as exc:
                _plan_error(exc)
        else:
            assert key is not None
            try:
                plan = Plan.from_json(
                    {
                        "orchestration": key,
                        "target": target,
                        "sources": list(sources),
                        "runs": list(runs),
                        "stages": list(stages),
                        "statuses": list(statuses),
                        "mapping": _pairs(mapping),
                        "recompute": [r.strip() for r in recompute.split(",") if r.strip()],
                        "timers": timers,
                    }
                )
                if dry_run or plan.runs:  # runs named: each must be one of KEY's (the engine checks that in a dry run)
                    report = engine.check_migration(plan)
                if not dry_run:
                    migration_id = engine.start_migration(plan, by=by)
            except OvertureError as exc:
                _plan_error(exc)
            if dry_run:
                if as_json:
                    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
                else:
                    click.echo(report["summary"])
                    _print_groups(report)
                sys.exit(1 if report["refused"] else 0)
            click.echo(f"migration {migration_id}: moving runs of {key} to version {plan.target}", err=True)

        def progress() -> dict[str, Any]:
            row: dict[str, Any] = next(m for m in engine.migrations(key) if m["id"] == migration_id)  # counts, no per-run rows
            return row

        began, waited = time.monotonic(), False
        shown = first = progress()["handled"]
        while True:
            handled = engine.work_on_migrations(migration_id, batch=batch or BATCH)
            row = progress()
            if row["handled"] != shown:  # a batch of ours, or of the worker that holds the lease
                shown = row["handled"]
                rate = (shown - first) / max(time.monotonic() - began, 1e-6)
                click.echo(
                    f"moved {row['moved']:,}/{row['total']:,} (refused {row['refused']:,}, failed {row['failed']:,}, "
                    f"already there {row['skipped']:,}), {rate:,.0f} runs/s",
                    err=True,
                )
            if handled:
                continue
            if row["status"] not in ("queued", "running"):
                break
            if not waited:  # another worker holds its lease
                click.echo("another worker is moving these runs; showing its progress (or waiting for its lease to lapse)", err=True)
                waited = True
            time.sleep(0.5)
        view = engine.migration(migration_id)
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
    else:
        click.echo(f"migration {migration_id} {view['status']}: {view['summary']}")
        _print_groups(view)
    unmoved = view["refused"] + view["failed"]
    if view["status"] != "completed":
        click.echo(f"the migration was {view['status']} before it finished", err=True)
        sys.exit(1)
    if unmoved:
        click.echo(f"{unmoved:,} run{'s' if unmoved != 1 else ''} did not move (refused or failed): see the reasons above", err=True)
        sys.exit(1)


@main.command()
def demo() -> None:
    """Run the contract-approval template in memory, with simulated people."""
    from builder.demo import run_demo

    run_demo(click.echo)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--env", "environment", metavar="NAME", help="Bind each file's personas to the users of its environment NAME.")
@click.option(
    "--database",
    "--database-url",
    "database_url",
    envvar="DATABASE_URL",
    metavar="URL",
    help="Also find documents in this database (active version, or the scenario's `version`); "
    "with --env, people and groups too. Default: DATABASE_URL, else none.",
)
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML to FILE.")
@click.option("--coverage", "show_coverage", is_flag=True, help="Print node, outcome and edge coverage per orchestration.")
@click.option("--coverage-json", type=click.Path(dir_okay=False, path_type=Path), help="Write the coverage report to FILE as JSON.")
@click.option("-k", "keyword", metavar="TEXT", help="Only scenarios whose name or file contains TEXT.")
@click.option("-q", "--quiet", is_flag=True, help="Leave out the lines of passing scenarios.")
@click.option(
    "--generate",
    metavar="KEY_OR_FILE",
    help="Write path tests instead: for a shipped template or an orchestration in --database (KEY), or a document (FILE).",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="With --generate: the folder (default: scenarios/KEY/generated)."
)
@click.option(
    "--max-visits", type=click.IntRange(min=1), default=None, help="With --generate: visits of one stage a path may make (default 2)."
)
@click.option(
    "--ui",
    "ui_url",
    metavar="URL",
    help="Run the scenarios through the pages of the server at URL, each persona in its own browser "
    "(with --generate KEY: every path of KEY's active version there). Needs overture[e2e].",
)
@click.option(
    "--personas",
    "personas_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --ui: the accounts personas sign in as (default: the demo's, password overture-demo).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("test-results", "ui"),
    show_default=True,
    help="With --ui: where the HTML report, screenshots and traces go.",
)
@click.option(
    "--ui-serial",
    is_flag=True,
    help="With --ui: play every step one after another (by default the steps of different personas "
    "the scenario allows, such as parallel steps of a stage, play side by side, each in a browser of its own).",
)
def test_scenarios(
    paths: tuple[Path, ...],
    environment: str | None,
    database_url: str | None,
    junit_file: Path | None,
    show_coverage: bool,
    coverage_json: Path | None,
    keyword: str | None,
    quiet: bool,
    generate: str | None,
    out: Path | None,
    max_visits: int | None,
    ui_url: str | None,
    personas_file: Path | None,
    report_dir: Path,
    ui_serial: bool,
) -> None:
    """Run scenario files (directories: every *.scenario.yaml in them; default: the current one).

    Exits 0 if every scenario passed, 1 if one failed, 2 if a file did not load or none ran.
    """
    from runtime.testing import DocumentSource
    from runtime.testing import suite as scenarios

    if ui_url is not None:
        if show_coverage or coverage_json or out is not None:
            raise click.UsageError("--coverage, --coverage-json and --out do not go with --ui")
        if generate is not None and paths:
            raise click.UsageError("--generate runs the paths of an orchestration; it takes no PATHS")
        sys.exit(
            _test_through_ui(
                ui_url,
                paths,
                personas_file,
                report_dir,
                keyword=keyword,
                generate=generate,
                max_visits=max_visits or 2,
                environment=environment,
                junit=junit_file,
                quiet=quiet,
                serial=ui_serial,
            )
        )
    if personas_file is not None or ui_serial:
        raise click.UsageError("--personas and --ui-serial go with --ui")

    if generate is not None:
        if paths:
            raise click.UsageError("--generate writes tests; it takes no PATHS")
        with _scenario_database(database_url) as (lookup, _directory):
            document, document_file = _generation_document(generate, lookup)
        written = scenarios.generate(
            document, out or Path("scenarios", document["key"], "generated"), max_visits=max_visits or 2, document_file=document_file
        )
        click.echo(written.report())
        sys.exit(0)
    if out is not None or max_visits is not None:
        raise click.UsageError("--out and --max-visits go with --generate")
    with _scenario_database(database_url) as (lookup, directory):
        try:
            suite = scenarios.run_suite(
                paths or [Path(".")],
                keyword=keyword,
                documents=DocumentSource(database=lookup),
                environment=environment,
                directory=directory if environment else None,
            )
        except scenarios.SuiteUsageError as exc:
            raise click.UsageError(str(exc)) from None
    if not suite.files and not suite.deselected:
        click.echo(f"no scenario files (*.scenario.yaml) in {', '.join(map(str, paths or ['.']))}")
    click.echo(suite.report(quiet=quiet, coverage=show_coverage))
    if junit_file is not None:
        from runtime.testing.junit import write_junit

        write_junit(suite, junit_file)
    if coverage_json is not None:
        scenarios.write_coverage_json(suite.coverage, coverage_json)
    sys.exit(suite.exit_code)


def _test_through_ui(
    url: str,
    paths: tuple[Path, ...],
    personas_file: Path | None,
    report_dir: Path,
    *,
    keyword: str | None,
    generate: str | None,
    max_visits: int,
    environment: str | None,
    junit: Path | None,
    quiet: bool,
    serial: bool,
) -> int:
    """``overture test --ui URL``: the exit code."""
    try:
        from runtime.testing.ui import personas, report
        from runtime.testing.ui.suite import run_ui
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        accounts = personas.load_accounts(personas_file) if personas_file else personas.demo_accounts()
    except personas.PersonasError as exc:
        raise click.UsageError(str(exc)) from None
    if not re.match(r"^https?://[^/\s]+", url):
        raise click.UsageError(f"--ui {url}: give the server's address, e.g. http://127.0.0.1:8000")
    click.echo(f"Through the UI of {url}, signed in with {accounts.source}")

    def heard(result: Any) -> None:
        if not (quiet and result.status == "passed"):
            click.echo(report.line(result))

    try:
        suite = run_ui(
            url,
            accounts,
            report_dir,
            paths=paths or [Path(".")],
            keyword=keyword,
            generate=generate,
            max_visits=max_visits,
            environment=environment,
            junit=junit,
            parallel=not serial,
            progress=heard,
        )
    except (personas.PersonasError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{url} does not answer: {exc}") from None
    click.echo(report.summary(suite.results))
    click.echo(f"Report: {suite.html}")
    if not suite.results:
        click.echo("no scenario ran")
    return suite.exit_code


@contextmanager
def _scenario_database(database_url: str | None) -> Iterator[tuple[Any, Any]]:
    """``(document lookup, directory)`` of the database for ``overture test``; ``(None, None)`` without one."""
    if not database_url:
        yield None, None
        return
    from builder.drafts import document_of
    from runtime.errors import NotFound
    from runtime.store.directory import SqlDirectory

    with _app(database_url) as app:
        state = app.extensions["overture"]

        def lookup(key: str, version: int | None) -> dict[str, Any] | None:
            with state.sessions() as s:
                try:
                    return document_of(s, key, version)
                except NotFound:
                    return None

        yield lookup, SqlDirectory(state.store)


def _generation_document(key_or_file: str, lookup: Any) -> tuple[dict[str, Any], Path | None]:
    """The document ``--generate`` names and its file: a JSON file, else an orchestration in
    the database, else a shipped template (no file)."""
    from runtime import templates

    path = Path(key_or_file)
    if path.is_file() or path.suffix == ".json":
        document = _read_document(path) if path.is_file() else None
        if document is None:
            raise click.UsageError(
                f"{key_or_file}: not a valid orchestration document" if path.is_file() else f"{key_or_file}: no such file"
            )
        return dict(document), path
    found = lookup(key_or_file, None) if lookup is not None else None
    if found is None and key_or_file in templates.TEMPLATES:
        found = templates.load(key_or_file)
    if found is None:
        where = "the database or " if lookup is not None else ""
        raise click.UsageError(
            f"no orchestration {key_or_file!r} in {where}the shipped templates ({', '.join(templates.TEMPLATES)}), and no such file"
        )
    return dict(found), None


# --------------------------------------------------------------------------- BPMN 2.0 (issue 17)


@main.group()
def bpmn() -> None:
    """BPMN 2.0 in and out: bring a process from Camunda, Signavio, Bizagi or bpmn.io; take an orchestration anywhere."""


@bpmn.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the document (JSON) to FILE (default: stdout).")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the full report (JSON) to FILE.")
def bpmn_import(file: Path, out: Path | None, report_file: Path | None) -> None:
    """Turn a BPMN 2.0 file into an orchestration document, with a report.

    The summary goes to stderr: how many elements mapped and how many did not, each
    unmapped one with the reason, and the notes. The document goes to --out, else to
    stdout (so it pipes: `overture bpmn import p.bpmn > p.json && overture import p.json`).
    The document may not validate yet: fix what the summary lists in the builder.

    Exits 0 when a document was produced, even with unmapped elements; 2 when the
    file is not BPMN 2.0 or is refused as hostile (entities, a DTD, too large, too deep).
    """
    from runtime.bpmn import BpmnError, import_bpmn

    try:
        result = import_bpmn(file.read_bytes())
    except BpmnError as exc:
        click.echo(f"{file}: {exc}", err=True)
        sys.exit(2)
    document, report = result.document, result.report
    issues = validate_document(document)
    errors = sum(1 for i in issues if i.severity == "error")
    click.echo(
        f"{file}: {document['key']} ({document.get('label')}): {len(report.mapped)} mapped, {len(report.unmapped)} unmapped"
        + (" (an Overture export, read back exactly)" if report.round_trip else ""),
        err=True,
    )
    for entry in report.unmapped:
        name = f" {entry.name!r}" if entry.name else ""
        click.echo(f"  unmapped {entry.bpmn_type} {entry.bpmn_id}{name} ({entry.where}): {entry.detail}", err=True)
    for note in report.notes:
        click.echo(f"  note: {note}", err=True)
    if errors:
        click.echo(f"  the document has {errors} validation error{'s' if errors != 1 else ''}: fix them in the builder", err=True)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if report_file is not None:
        report_file.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        click.echo(f"report written to {report_file}", err=True)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"document written to {out}", err=True)
    else:
        click.echo(text)


@bpmn.command("export")
@click.argument("key_or_file")
@click.option("--version", type=click.IntRange(min=1), help="This version (default: the active one, else the draft).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the BPMN XML to FILE (default: stdout).")
@database_url_option
def bpmn_export(key_or_file: str, version: int | None, out: Path | None, database_url: str | None) -> None:
    """Write an orchestration as BPMN 2.0 XML with its diagram.

    KEY_OR_FILE is a document file (JSON), else an orchestration's key in the database
    (its active version, else its draft; --version N for another).
    """
    from runtime.bpmn import export_bpmn

    path = Path(key_or_file)
    if path.is_file() or path.suffix == ".json":
        if version is not None:
            raise click.UsageError("--version goes with an orchestration's key, not a file")
        if not path.is_file():
            raise click.UsageError(f"{key_or_file}: no such file")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"{path}: not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise click.ClickException(f"{path}: not an orchestration document (a JSON object)")
    else:
        from builder.drafts import document_of

        with _app(database_url) as app, app.extensions["overture"].sessions() as s:
            document = document_of(s, key_or_file, version)
    xml = export_bpmn(document)
    if out is not None:
        out.write_bytes(xml)
        click.echo(f"{document.get('key')}: BPMN written to {out}", err=True)
    else:
        click.echo(xml.decode("utf-8"), nl=False)
