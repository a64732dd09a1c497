"""The ``overture`` command line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runtime.document import validate as validate_document
from runtime.errors import OvertureError

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
    from builder.migrate import open_store
    from builder.server import launch, setting

    header_timeout, connections = setting("OVERTURE_HEADER_TIMEOUT"), setting("OVERTURE_MAX_CONNECTIONS")
    per_user, total = setting("OVERTURE_WS_PER_USER"), setting("OVERTURE_WS_TOTAL")  # checked here, used by the app
    # Migrate once here rather than racing in every process.
    open_store(database_url).dispose()
    click.echo(
        f"overture: serving on http://{host}:{port} "
        f"({workers} process{'es' if workers > 1 else ''}, gevent, up to {connections} connections each, "
        f"header timeout {header_timeout} s, websockets {per_user} per person and {total} in all, "
        f"embedded worker {'on' if embedded_worker else 'off'})",
        err=True,
    )
    if database_url:
        os.environ["DATABASE_URL"] = database_url  # the serving process reads it there (not on its command line)
    launch({"bind": f"{host}:{port}", "workers": workers}, embedded_worker=embedded_worker)


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

    from builder import mail, server_key
    from builder.migrate import open_store
    from runtime.actions import default_registry
    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.store.directory import SqlDirectory
    from runtime.store.secrets import SqlSecrets
    from runtime.worker import Worker

    registry = default_registry()
    for spec in plugins:
        module_name, _, function = spec.partition(":")
        module = __import__(module_name, fromlist=[function or "register"])
        getattr(module, function or "register")(registry)
    store = open_store(database_url)
    directory: Any = SqlDirectory(store)  # the accounts of the web app: groups, queues, out of office
    if directory_file:
        people: dict[str, Any] = json.loads(directory_file.read_text())
        directory = InMemoryDirectory(people.get("groups", {}), queues=people.get("queues", {}))
    # The server key the web app has: secrets.<name> in action inputs read with it.
    engine = Engine(
        store,
        directory=directory,
        actions=registry,
        autoprocess=False,
        worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
        secrets=SqlSecrets(store.engine, server_key()),
    )
    runner = Worker(engine, poll_interval=poll, heartbeat_interval=heartbeat, stale_after=timedelta(seconds=stale_after), batch=batch)
    try:
        mailer = mail.from_environment(os.environ, store.engine, engine.clock)
        mail_poll = mail.poll_interval(os.environ)
    except mail.MailSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    mail_runner = mail.MailRunner(mailer, mail_poll) if mailer is not None and not until_idle else None
    signal.signal(signal.SIGTERM, lambda *_: runner.request_stop())
    click.echo(f"overture worker {engine.worker_id} on {store.dialect}{', sending e-mail' if mailer else ''}", err=True)
    if mail_runner is not None:
        mail_runner.start()
    try:
        handled = runner.run(until_idle=until_idle)
        if mailer is not None and until_idle:
            mailer.run_once()
    except KeyboardInterrupt:
        handled = 0
    finally:
        if mail_runner is not None:
            mail_runner.stop()
    click.echo(f"overture worker {engine.worker_id}: handled {handled} jobs and timers", err=True)


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
) -> None:
    """Run scenario files (directories: every *.scenario.yaml in them; default: the current one).

    Exits 0 if every scenario passed, 1 if one failed, 2 if a file did not load or none ran.
    """
    from runtime.testing import DocumentSource
    from runtime.testing import suite as scenarios

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
