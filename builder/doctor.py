"""``overture doctor``: readiness (``builder/health.py``) and what is wrong with the set-up.

Run it where the server runs, with the same environment: it reads the ``OVERTURE_*``
settings of its own process, and sees the other processes of the database through their
heartbeats (``runtime/heartbeat.py``). It opens the database without migrating it (a
database behind the code is a finding, not something to fix in passing) and changes
nothing: no ``var/secret_key`` is created, no mail is sent.

Each check is ``ok``, ``warn`` (works, but an operator should know) or ``fail``; the
command exits 1 when one fails (``--strict``: or warns).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from builder import VAR, health
from builder.health import FAIL, OK, SKIPPED, WARN, Check
from runtime.clock import Clock
from runtime.heartbeat import FRESH, ProcessBeat, key_id
from runtime.store.sql import SqlStore

#: A process whose clock differs from the database's by more than this is reported: timers,
#: due dates, session ends and job leases are all times one process writes and another reads.
MAX_SKEW = timedelta(seconds=2)
#: Server keys found in examples and tutorials: anyone can guess them.
WEAK_KEYS = {"dev", "development", "secret", "secret-key", "changeme", "change-me", "test", "overture", "password", "default"}
#: A shorter server key is reported (the generated one is 64 hex digits).
MIN_KEY_LENGTH = 32
#: A ready job waiting longer than this for a worker is reported.
BACKLOG = timedelta(minutes=5)
#: Connections one process's pool may open (``SqlStore``: 10, and 20 more under bursts).
POOL = 30
#: Less free disk than this where the SQLite file is, is reported.
MIN_FREE = 2**30
#: The test clock lets anyone move time (due dates, timers, session ends): never in production.
TEST_CLOCK = "OVERTURE_TEST_CLOCK"


def diagnose(store: SqlStore, clock: Clock, environ: Mapping[str, str]) -> list[Check]:
    """Every check: readiness's, then the processes', then the configuration's."""
    checks = [health.check_database(store)]
    reachable = not checks[0].failed
    checks.append(health.check_migrations(store) if reachable else Check("migrations", SKIPPED, "not checked: no database"))
    seen: tuple[Any, list[ProcessBeat]] | None = None
    names: tuple[str, ...] = ("workers", "backlog", "processes", "connections", "clocks")
    if reachable and not checks[1].failed:
        try:
            seen = store.processes()
        except Exception as exc:
            checks.append(Check("processes", FAIL, "the heartbeats cannot be read", health.error_text(exc)))
            names = ("workers", "backlog", "connections", "clocks")
    if seen is not None:
        checks.append(health.check_workers(store, clock, seen))
        checks.append(check_backlog(store, clock))
        checks.append(check_processes(store, seen))
        checks.append(check_connections(store, seen))
        checks.append(check_clocks(store, clock, seen))
    else:
        checks += [Check(name, SKIPPED, "not checked: the database cannot say") for name in names]
    database_file = health.sqlite_file(store)
    if database_file is not None:
        checks.append(check_disk(database_file))
    checks.append(check_settings())
    checks.append(check_key(environ, _fresh(seen) if seen else []))
    checks.append(check_mail(environ))
    checks.append(check_cookies(environ))
    checks.append(check_allowlist(environ))
    checks.append(check_archive(environ))
    if environ.get(TEST_CLOCK, "0") not in ("", "0"):
        checks.append(Check("test clock", FAIL, f"{TEST_CLOCK} is set: admins may move the server's time; never in production"))
    return checks


def _fresh(seen: tuple[Any, list[ProcessBeat]]) -> list[ProcessBeat]:
    now, processes = seen
    return [p for p in processes if p.beat_at is not None and p.beat_at >= now - FRESH]


def _name(process: ProcessBeat) -> str:
    embedded = process.kind == "web" and process.runs_worker
    return f"{process.kind} {process.host}:{process.pid}" + (" (runs background work)" if embedded else "")


def check_processes(store: SqlStore, seen: tuple[Any, list[ProcessBeat]]) -> Check:
    """The live processes; on SQLite, more than one is a problem."""
    alive = _fresh(seen)
    listed = "; ".join(_name(p) for p in alive) or None
    if store.dialect == "sqlite" and len(alive) > 1:
        hosts = {p.host for p in alive}
        where = f"on {len(hosts)} machines: a SQLite file shared over a network breaks" if len(hosts) > 1 else "on one machine"
        return Check(
            "processes",
            FAIL,
            f"{len(alive)} processes share a SQLite database {where}; SQLite lets one writer in at a time, "
            "so use PostgreSQL (DATABASE_URL) for `serve --workers` above 1 or a separate `overture worker`",
            listed,
        )
    if not alive:
        silent = f"no Overture process sent a heartbeat in the last {int(FRESH.total_seconds())} s: is the server running?"
        return Check("processes", WARN, silent)
    return Check("processes", OK, f"{len(alive)} process{'es' if len(alive) > 1 else ''} alive", listed)


def check_backlog(store: SqlStore, clock: Clock) -> Check:
    """How long the longest-waiting ready job has waited: workers too few, or stuck."""
    now = clock.now()
    oldest = store.oldest_ready_job(now)
    waited = now - oldest if oldest is not None else timedelta(0)
    if waited > BACKLOG:
        return Check(
            "backlog",
            WARN,
            f"a ready job has waited {waited.total_seconds() / 60:.0f} min for a worker: add workers (`overture worker`) "
            "or look for one that is stuck",
        )
    return Check("backlog", OK, f"no ready job has waited more than {BACKLOG.total_seconds() / 60:.0f} min")


def check_connections(store: SqlStore, seen: tuple[Any, list[ProcessBeat]]) -> Check:
    """PostgreSQL: the live processes' pools (up to :data:`POOL` connections each) fit under
    ``max_connections``."""
    limit = store.connection_limit()
    if limit is None:
        return Check("connections", OK, "SQLite: no connection limit")
    alive = len(_fresh(seen))
    wanted = (alive + 1) * POOL  # and the next one to start
    if wanted > limit:
        return Check(
            "connections",
            WARN,
            f"{alive} live processes, and one more, may open up to {wanted} connections, and PostgreSQL allows {limit}: "
            "raise max_connections or put PgBouncer in front (README, Several processes on PostgreSQL)",
        )
    return Check("connections", OK, f"up to {wanted} connections for {alive} processes and one more; PostgreSQL allows {limit}")


def check_disk(path: Path) -> Check:
    """The SQLite file's disk: a full disk stops every write."""
    free = shutil.disk_usage(path.parent if path.parent.exists() else Path.cwd()).free
    if free < MIN_FREE:
        return Check("disk", WARN, f"{free / 2**30:.1f} GiB free where the database is: a full disk stops every write", str(path.parent))
    return Check("disk", OK, f"{free / 2**30:.1f} GiB free where the database is", str(path.parent))


def check_clocks(store: SqlStore, clock: Clock, seen: tuple[Any, list[ProcessBeat]]) -> Check:
    """Each live process's clock against the database's (from its last beat), and this one's."""
    skewed: list[str] = []
    for process in _fresh(seen):
        assert process.beat_at is not None
        skew = process.clock_at - process.beat_at
        if abs(skew) > MAX_SKEW:
            skewed.append(f"{_name(process)} is {_ahead_behind(skew)}")
    before = clock.now()
    database = store.database_now()
    after = clock.now()
    mine = before + (after - before) / 2 - database
    if abs(mine) > MAX_SKEW:
        skewed.append(f"this machine is {_ahead_behind(mine)}")
    if skewed:
        return Check(
            "clocks",
            FAIL,
            f"{len(skewed)} clock{'s' if len(skewed) > 1 else ''} differ from the database's by more than "
            f"{MAX_SKEW.total_seconds():.0f} s: timers, due dates and job leases go wrong; run NTP (chrony, systemd-timesyncd)",
            "; ".join(skewed),
        )
    within = f"every clock within {MAX_SKEW.total_seconds():.0f} s of the database's"
    return Check("clocks", OK, within, f"this machine: {_ahead_behind(mine)}")


def _ahead_behind(skew: timedelta) -> str:
    seconds = skew.total_seconds()
    return f"{abs(seconds):.1f} s {'ahead of' if seconds >= 0 else 'behind'} the database"


def check_settings() -> Check:
    """Every ``OVERTURE_*`` setting the processes read at start, read the same way: a bad one
    stops a server or worker from starting (or, for e-mail and purging, the worker)."""
    from builder import auth, mail, sockets
    from builder.live.subscribers import DEFAULT_INTERVAL
    from builder.server import DEFAULTS
    from runtime.limits import Limits
    from runtime.retention import RetentionSettings

    def mail_settings() -> None:
        url = os.environ.get("OVERTURE_SMTP_URL")
        if url:
            base, hour = os.environ.get("OVERTURE_BASE_URL"), os.environ.get("OVERTURE_DIGEST_HOUR")
            mail.MailSettings.from_config(url, base_url=base, digest_hour=hour)
        mail.poll_interval(os.environ)

    readers: list[Callable[[], Any]] = [
        lambda: Limits.from_environ(os.environ),
        lambda: auth.read_settings(Flask(__name__)),
        mail_settings,
        lambda: RetentionSettings.from_environment(os.environ),
        *(
            (lambda name=name, default=default: sockets.positive_int(name, default))
            for name, default in {
                **DEFAULTS,
                "OVERTURE_WS_PER_USER": sockets.DEFAULT_PER_USER,
                "OVERTURE_WS_TOTAL": sockets.DEFAULT_TOTAL,
                "OVERTURE_LIVE_INTERVAL_MS": round(DEFAULT_INTERVAL * 1000),
            }.items()
        ),
    ]
    problems = []
    for read in readers:
        try:
            read()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        return Check("settings", FAIL, f"{len(problems)} setting{'s' if len(problems) > 1 else ''} cannot be used", "; ".join(problems))
    return Check("settings", OK, "every OVERTURE_* setting can be used")


def check_key(environ: Mapping[str, str], alive: list[ProcessBeat]) -> Check:
    """The server key: set, not a known or short one, and the same in every live process
    (``alive``: a key changed since yesterday is no finding)."""
    key = environ.get("OVERTURE_SECRET_KEY")
    source = "OVERTURE_SECRET_KEY"
    path = Path(environ.get("OVERTURE_VAR", str(VAR))) / "secret_key"
    if not key and path.exists():
        key, source = path.read_text().strip(), str(path)
    alive = [p for p in alive if p.key_id is not None]
    ids = {p.key_id for p in alive}
    if len(ids) > 1:
        return Check(
            "secret key",
            FAIL,
            f"the live processes use {len(ids)} different server keys: sessions and secrets written by one fail in another; "
            "give every server and worker the same OVERTURE_SECRET_KEY",
            "; ".join(f"{_name(p)}: key {p.key_id}" for p in alive),
        )
    if not key:
        return Check(
            "secret key",
            WARN,
            "no OVERTURE_SECRET_KEY and no var/secret_key: the first process makes one in its own var/; "
            "set OVERTURE_SECRET_KEY when several machines serve or work",
        )
    if key.lower() in WEAK_KEYS or len(key) < MIN_KEY_LENGTH:
        weak = "a well-known value" if key.lower() in WEAK_KEYS else f"shorter than {MIN_KEY_LENGTH} characters"
        return Check(
            "secret key",
            FAIL,
            f"the server key ({source}) is {weak}: anyone who guesses it can forge CSRF tokens and read the secrets store; "
            "use `openssl rand -hex 32`",
        )
    if ids and key_id(key) not in ids:
        return Check(
            "secret key",
            FAIL,
            f"the live processes use another server key than this environment's ({source}): run the doctor with their environment, "
            "or give them this key",
            f"this environment: key {key_id(key)}; processes: {', '.join(sorted(i for i in ids if i))}",
        )
    if source != "OVERTURE_SECRET_KEY":
        reason = f"the key generated in {source} (set OVERTURE_SECRET_KEY when several machines serve or work)"
    else:
        reason = "OVERTURE_SECRET_KEY is set" + (" and every live process uses it" if ids else "")
    return Check("secret key", OK, reason, f"key {key_id(key)}")


def check_mail(environ: Mapping[str, str]) -> Check:
    from urllib.parse import urlsplit

    url = environ.get("OVERTURE_SMTP_URL")
    if not url:
        return Check("e-mail", WARN, "OVERTURE_SMTP_URL is not set: nobody is told by e-mail of new work, escalations or due dates")
    if not environ.get("OVERTURE_BASE_URL"):
        return Check("e-mail", WARN, "OVERTURE_BASE_URL is not set: links in e-mail point to http://127.0.0.1:5000")
    parts = urlsplit(url)  # shown without the user and password
    return Check("e-mail", OK, "e-mail is configured", f"{parts.scheme}://{parts.hostname}, links to {environ['OVERTURE_BASE_URL']}")


def check_cookies(environ: Mapping[str, str]) -> Check:
    base = environ.get("OVERTURE_BASE_URL", "")
    secure = environ.get("OVERTURE_SECURE_COOKIES", "0") == "1"
    if base.startswith("https://") and not secure:
        return Check(
            "cookies",
            WARN,
            "the app is served over HTTPS (OVERTURE_BASE_URL) but OVERTURE_SECURE_COOKIES is not 1: session cookies may travel unencrypted",
        )
    how = "only over HTTPS" if secure else "over HTTP and HTTPS (set OVERTURE_SECURE_COOKIES=1 behind TLS)"
    return Check("cookies", OK, f"session cookies {how}")


def check_allowlist(environ: Mapping[str, str]) -> Check:
    """``http.request`` may call the allowed hosts: internal addresses there are an open door
    from any orchestration to the network behind the server."""
    allowlist = [h.strip().lower() for h in environ.get("OVERTURE_HTTP_ALLOWLIST", "").split(",") if h.strip()]
    internal = [host for host in allowlist if _internal(host)]
    if internal:
        return Check(
            "http allowlist",
            WARN,
            f"OVERTURE_HTTP_ALLOWLIST lets http.request call internal or very broad hosts ({', '.join(internal)}): "
            "any admin's orchestration can reach them",
        )
    return Check("http allowlist", OK, f"http.request may call {len(allowlist)} host pattern{'s' if len(allowlist) != 1 else ''}")


def _internal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost") or host.endswith(".internal") or host.endswith(".local"):
        return True
    if host.startswith("*.") and "." not in host[2:]:
        return True  # *.com: a whole top-level domain
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved


def check_archive(environ: Mapping[str, str]) -> Check:
    """The nightly purge's archive directory can be written (else the purge fails every night)."""
    archive, purging = environ.get("OVERTURE_PURGE_ARCHIVE"), environ.get("OVERTURE_PURGE_OLDER_THAN")
    if not archive or not purging:
        if purging:
            return Check("purge archive", OK, "no archive for the nightly purge of runs")
        if environ.get("OVERTURE_AUDIT_OLDER_THAN"):
            return Check("purge archive", OK, "the nightly purge deletes old audit entries only (no archive)")
        return Check("purge archive", OK, "no nightly purge")
    existing = Path(archive)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # the purge creates what is missing below it
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return Check("purge archive", FAIL, "OVERTURE_PURGE_ARCHIVE cannot be written by this user: the nightly purge would fail", archive)
    return Check("purge archive", OK, "the nightly purge's archive directory can be written", archive)


def report(checks: list[Check]) -> list[str]:
    """The lines ``overture doctor`` prints."""
    width = max(len(c.name) for c in checks)
    lines = []
    for check in checks:
        mark = {OK: "ok", WARN: "warn", FAIL: "FAIL", SKIPPED: "-"}[check.status]
        lines.append(f"{mark:5} {check.name:{width}}  {check.reason}")
        if check.detail:
            lines.append(f"{'':5} {'':{width}}  {check.detail}")
    return lines
