"""E-mail: people hear about new work, escalations and due dates in their inbox.

A transactional outbox. Notifications the engine wrote become rows of ``email_outbox``
(one per person with an address and e-mail turned on; a group's or queue's go to each
active member), as do reminders for open work due within a day. A unique
``dedupe_key`` per (notification or reminder, person) means nothing is queued twice,
however many mailers run. Sending claims due rows in one statement (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite has one writer), marks them ``sending`` and commits
*before* talking to SMTP, then marks them ``sent``. An SMTP error puts a row back to
``pending`` with exponential backoff, until it fails for good. A row still ``sending``
long after its claim means a mailer died mid-send: it may or may not have gone out,
so it is marked ``failed`` and never resent — nobody gets an e-mail twice.

People who chose the daily digest get one e-mail at ``OVERTURE_DIGEST_HOUR`` (UTC)
with everything since the last one.

Settings: ``OVERTURE_SMTP_URL`` (``smtp://user:pass@host:port?from=overture@example.com``,
``smtps://`` for implicit TLS, ``?starttls=1``), ``OVERTURE_BASE_URL`` for links,
``OVERTURE_DIGEST_HOUR`` and ``OVERTURE_MAIL_POLL`` (seconds between rounds).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Engine as SAEngine
from sqlalchemy import and_, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from builder.tables import EmailOutboxRow
from runtime.clock import Clock
from runtime.states import OPEN_ITEM
from runtime.store.tables import (
    MembershipRow,
    NotificationRow,
    OrchestrationRow,
    RecordRow,
    RecordTypeRow,
    UserRow,
    WorkItemRow,
)

log = logging.getLogger(__name__)

OUTBOX = EmailOutboxRow.__table__
#: Notifications worth an e-mail (not the ``message`` of a notify step: that is in-app).
MAILED_KINDS = ("assignment", "reassignment", "escalation")
#: How far back notifications are turned into e-mails (a mailer that was down catches up).
LOOKBACK = timedelta(days=1)
#: Open work due within this long gets one reminder.
REMIND_BEFORE = timedelta(hours=24)
_INTRO = {
    "assignment": "You have new work in Overture.",
    "reassignment": "Work was reassigned to you in Overture.",
    "escalation": "Work in Overture is overdue.",
    "reminder": "Work in Overture is due soon.",
}


class MailSettingsError(ValueError):
    """OVERTURE_SMTP_URL or another mail setting cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False  # smtps://
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp[s]://[user:pass@]host[:port][?from=addr&starttls=1]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailSettingsError(
                "OVERTURE_SMTP_URL must look like smtp://user:pass@host:port?from=overture@example.com (or smtps:// for TLS from the start)"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError:
            raise MailSettingsError("OVERTURE_SMTP_URL: the port is not a number from 1 to 65535") from None
        sender = query.get("from") or f"overture@{parts.hostname}"
        if "@" not in sender:
            raise MailSettingsError(f"OVERTURE_SMTP_URL: from={sender!r} is not an e-mail address")
        return cls(
            host=parts.hostname,
            port=port,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", "0") in ("1", "true", "yes"),
        )


@dataclass(frozen=True)
class MailSettings:
    smtp: SmtpSettings
    base_url: str = "http://127.0.0.1:5000"
    digest_hour: int = 8
    max_attempts: int = 5
    retry_after: timedelta = timedelta(minutes=1)  # doubled at each attempt
    stale_after: timedelta = timedelta(minutes=10)  # a send never takes this long
    batch: int = 50

    @classmethod
    def from_config(cls, smtp_url: str, *, base_url: str | None = None, digest_hour: Any = None) -> MailSettings:
        try:
            hour = int(digest_hour if digest_hour not in (None, "") else 8)
        except (TypeError, ValueError):
            hour = -1
        if not 0 <= hour <= 23:
            raise MailSettingsError(f"OVERTURE_DIGEST_HOUR must be a whole hour from 0 to 23, not {digest_hour!r}")
        return cls(SmtpSettings.from_url(smtp_url), (base_url or cls.base_url).rstrip("/"), hour)


class Mailer:
    """Queues and sends the e-mails of one database.

    Args:
        sql: the store's SQLAlchemy engine.
        settings: where to send and how.
        clock: the time (tests pass a manual clock).
    """

    def __init__(self, sql: SAEngine, settings: MailSettings, clock: Clock):
        self.sql = sql
        # Reads take no write lock (SQLite's BEGIN IMMEDIATE): a round must not hold up requests.
        self._reads = sql.execution_options(overture_write=False)
        self.settings = settings
        self.clock = clock

    # ---------------------------------------------------------------- one round

    def run_once(self) -> int:
        """Queue what is new, give up on interrupted sends, send what is due; e-mails sent."""
        self.queue_notifications()
        self.queue_reminders()
        self.fail_interrupted()
        return self.send_due()

    # ---------------------------------------------------------------- queueing

    def queue_notifications(self) -> int:
        """Outbox rows for recent notifications not queued yet; how many were added."""
        now = self.clock.now()
        n, u = NotificationRow, UserRow
        key = literal("n:") + n.id + literal(":") + u.id
        statement = (
            select(n.id, n.kind, n.work_item_id, n.subject, u.id.label("user_id"), u.email, u.email_mode, u.display_name, key.label("key"))
            .join(u, _recipient(n.to_type, n.to_value, u))
            .where(
                n.created_at >= now - LOOKBACK,
                n.kind.in_(MAILED_KINDS),
                n.work_item_id.is_not(None),
                *_wants_mail(u),
                ~exists().where(EmailOutboxRow.dedupe_key == key),
            )
            .order_by(n.created_at, n.id)
        )
        with self._reads.connect() as conn:
            found = list(conn.execute(statement))
            items = _items(conn, {row.work_item_id for row in found})
        rows = [
            self._row(row.key, row, items[row.work_item_id], row.kind, now, notification_id=row.id)
            for row in found
            if row.work_item_id in items
        ]
        return self._insert(rows)

    def queue_reminders(self) -> int:
        """One reminder per (open item, due date) due within a day, to whoever holds it."""
        now = self.clock.now()
        w, u = WorkItemRow, UserRow
        members = select(MembershipRow.user_id).where(MembershipRow.group_id == w.assignee_value)
        holder = or_(
            and_(w.claimed_by.is_not(None), u.id == w.claimed_by),
            and_(w.claimed_by.is_(None), w.assignee_type == "user", u.id == w.assignee_value),
            and_(w.claimed_by.is_(None), w.assignee_type.in_(("group", "queue")), u.id.in_(members)),
        )
        statement = (
            select(w.id.label("work_item_id"), w.created_at, w.due_at, u.id.label("user_id"), u.email, u.email_mode, u.display_name)
            .join(u, holder)
            .where(w.status.in_(OPEN_ITEM), w.due_at > now, w.due_at <= now + REMIND_BEFORE, *_wants_mail(u))
        )
        with self._reads.connect() as conn:
            # Work given with less than a day to go needs no reminder: its first e-mail said when it is due.
            found = [
                (f"r:{row.work_item_id}:{int(row.due_at.timestamp())}:{row.user_id}", row)
                for row in conn.execute(statement)
                if row.due_at - row.created_at > REMIND_BEFORE
            ]
            keys = [k for k, _ in found]
            queued = set(conn.scalars(select(EmailOutboxRow.dedupe_key).where(EmailOutboxRow.dedupe_key.in_(keys)))) if keys else set()
            fresh = [(k, row) for k, row in found if k not in queued]
            items = _items(conn, {row.work_item_id for _, row in fresh})
        return self._insert([self._row(k, row, items[row.work_item_id], "reminder", now) for k, row in fresh if row.work_item_id in items])

    def _row(
        self, key: str, person: Row[*tuple[Any, ...]], item: dict[str, Any], kind: str, now: datetime, notification_id: str | None = None
    ) -> dict[str, Any]:
        digest = person.email_mode == "digest"
        return {
            "id": uuid.uuid4().hex,
            "dedupe_key": key,
            "notification_id": notification_id,
            "work_item_id": item["id"],
            "user_id": person.user_id,
            "address": person.email,
            "kind": kind,
            "digest": digest,
            "subject": _subject(kind, item),
            "body": self._body(kind, item, person.display_name),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": self._next_digest(now) if digest else now,
            "claimed_at": None,
            "sent_at": None,
            "last_error": None,
            "created_at": now,
        }

    def _insert(self, rows: list[dict[str, Any]]) -> int:
        """Add the rows whose key is new (another mailer may have queued some meanwhile)."""
        if not rows:
            return 0
        dialect = postgresql if self.sql.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
        with self.sql.begin() as conn:
            conn.execute(statement, rows)
        return len(rows)

    def _next_digest(self, now: datetime) -> datetime:
        at = now.astimezone(UTC).replace(hour=self.settings.digest_hour, minute=0, second=0, microsecond=0)
        return at if at > now else at + timedelta(days=1)

    def _body(self, kind: str, item: dict[str, Any], name: str) -> str:
        lines = [f"Hello {name},", "", _INTRO[kind], "", *_facts(item), "", f"Open it: {self.link(item['id'])}"]
        return "\n".join(lines) + "\n"

    def link(self, item_id: str) -> str:
        return f"{self.settings.base_url}/work/{item_id}"

    # ---------------------------------------------------------------- sending

    def fail_interrupted(self) -> int:
        """Rows a mailer claimed and never finished: it died mid-send, so the e-mail may
        have gone out. Marked failed, never resent."""
        now = self.clock.now()
        with self.sql.begin() as conn:
            result = conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.status == "sending", OUTBOX.c.claimed_at <= now - self.settings.stale_after)
                .values(
                    status="failed",
                    last_error="the mailer stopped while sending it; not sent again, "
                    "so that nobody gets it twice (it may or may not have arrived)",
                )
            )
            return int(result.rowcount or 0)

    def send_due(self) -> int:
        """Send the due immediate e-mails and digests; how many e-mails went out."""
        sent = 0
        with _Connection(self.settings.smtp) as smtp:
            while True:
                claimed = self._claim_immediate()
                for i, row in enumerate(claimed):
                    sent += self._deliver(smtp, [row], partial(self._message, row.address, row.subject, row.body, row.id))
                    if smtp.unreachable:  # the rest would wait for the same timeout: next round
                        self._release(claimed[i + 1 :])
                        return sent
                if len(claimed) < self.settings.batch:
                    break
            for user_id in self._digest_people():
                rows = self._claim_digest(user_id)
                if rows:
                    sent += self._deliver(smtp, rows, partial(self._digest, rows))
                    if smtp.unreachable:
                        break
        return sent

    def _release(self, rows: Sequence[Row[Any]]) -> None:
        """Hand back claimed rows that were not tried, as they were."""
        if rows:
            with self.sql.begin() as conn:
                conn.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_([r.id for r in rows]), OUTBOX.c.status == "sending")
                    .values(status="pending", attempts=OUTBOX.c.attempts - 1, claimed_at=None)
                )

    def _claim_immediate(self) -> list[Row[Any]]:
        now = self.clock.now()
        due = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.status == "pending", OUTBOX.c.digest.is_(False), OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(self.settings.batch)
            .with_for_update(skip_locked=True)
        )
        return self._claim(OUTBOX.c.id.in_(due), now)

    def _digest_people(self) -> list[str]:
        now = self.clock.now()
        with self._reads.connect() as conn:
            return list(
                conn.scalars(
                    select(OUTBOX.c.user_id)
                    .distinct()
                    .where(OUTBOX.c.status == "pending", OUTBOX.c.digest.is_(True), OUTBOX.c.next_attempt_at <= now)
                )
            )

    def _claim_digest(self, user_id: str) -> list[Row[Any]]:
        # No SKIP LOCKED: a second mailer waits for the first, then finds the rows taken,
        # so one person's digest is never split in two.
        now = self.clock.now()
        return self._claim(and_(OUTBOX.c.user_id == user_id, OUTBOX.c.digest.is_(True)), now)

    def _claim(self, which: Any, now: datetime) -> list[Row[Any]]:
        statement = (
            update(OUTBOX)
            .where(which, OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
            .values(status="sending", attempts=OUTBOX.c.attempts + 1, claimed_at=now)
            .returning(*OUTBOX.c)
        )
        with self.sql.begin() as conn:  # committed before SMTP hears of it
            return sorted(conn.execute(statement), key=lambda r: (r.created_at, r.id))

    def _deliver(self, smtp: _Connection, rows: Sequence[Row[Any]], build: Callable[[], EmailMessage]) -> int:
        ids = [r.id for r in rows]
        try:
            message = build()
        except ValueError as exc:  # a header the e-mail package refuses: it never will take it
            self._failed(rows, exc, permanent=True)
            return 0
        try:
            smtp.send(message)
        except (smtplib.SMTPException, OSError) as exc:
            smtp.reset()
            self._failed(rows, exc)
            return 0
        with self.sql.begin() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(status="sent", sent_at=self.clock.now(), last_error=None))
        return 1

    def _failed(self, rows: Sequence[Row[Any]], exc: Exception, *, permanent: bool = False) -> None:
        now = self.clock.now()
        error = _describe(exc)
        # 5xx is final (no such mailbox...); 4xx and dropped connections are worth another try.
        permanent = (
            permanent
            or (isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500)
            or (isinstance(exc, smtplib.SMTPRecipientsRefused) and all(code >= 500 for code, _ in exc.recipients.values()))
        )
        with self.sql.begin() as conn:
            for row in rows:
                if permanent or row.attempts >= self.settings.max_attempts:
                    values: dict[str, Any] = {"status": "failed", "last_error": error}
                else:
                    wait = self.settings.retry_after * 2 ** (row.attempts - 1)
                    values = {"status": "pending", "next_attempt_at": now + wait, "last_error": error}
                conn.execute(update(OUTBOX).where(OUTBOX.c.id == row.id).values(**values))
        log.warning("mail: sending to %s failed: %s", rows[0].address, error)

    def _message(self, to: str, subject: str, body: str, outbox_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = Address("Overture", addr_spec=self.settings.smtp.sender)
        message["To"] = to
        message["Subject"] = " ".join(subject.split())  # a label with a line break must not start a new header
        message["Date"] = format_datetime(self.clock.now())
        message["Message-ID"] = f"<{outbox_id}@{self.settings.smtp.sender.rpartition('@')[2]}>"
        message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
        message.set_content(body + f"\n-- \nYour notification settings: {self.settings.base_url}/profile\n")
        return message

    def _digest(self, rows: Sequence[Row[Any]]) -> EmailMessage:
        count = len(rows)
        subject = f"Overture: {count} update{'s' if count != 1 else ''} for you"
        parts = [f"{i}. {row.subject}\n\n{_drop_greeting(row.body)}" for i, row in enumerate(rows, 1)]
        greeting = rows[0].body.split("\n", 1)[0]
        body = f"{greeting}\n\nYour daily digest from Overture:\n\n" + "\n\n".join(parts)
        return self._message(rows[0].address, subject, body, f"digest-{rows[0].id}")


class _Connection:
    """An SMTP connection opened on first use and reopened after an error."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.unreachable = False  # the server could not be reached or signed in to

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

    def reset(self) -> None:
        self.__exit__()

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except (smtplib.SMTPException, OSError):
                self.unreachable = True
                raise
        self._smtp.send_message(message)

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            if s.implicit_tls
            else smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        )
        try:
            if s.starttls and not s.implicit_tls:
                smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class MailRunner:
    """Runs a mailer round every ``poll_interval`` seconds on a thread until stopped."""

    def __init__(self, mailer: Mailer, poll_interval: float = 10.0):
        self.mailer = mailer
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="overture-mailer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.mailer.settings.smtp.timeout + 5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.mailer.run_once()
            except Exception:  # a dropped connection: the next round tries again
                log.exception("mailer: a round failed")
            self._stop.wait(self.poll_interval)


def from_environment(environ: dict[str, str] | Any, sql: SAEngine, clock: Clock) -> Mailer | None:
    """The mailer ``OVERTURE_SMTP_URL`` asks for, or None when it is not set."""
    url = environ.get("OVERTURE_SMTP_URL")
    if not url:
        return None
    settings = MailSettings.from_config(url, base_url=environ.get("OVERTURE_BASE_URL"), digest_hour=environ.get("OVERTURE_DIGEST_HOUR"))
    return Mailer(sql, settings, clock)


def poll_interval(environ: dict[str, str] | Any) -> float:
    raw = environ.get("OVERTURE_MAIL_POLL") or "10"
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise MailSettingsError(f"OVERTURE_MAIL_POLL must be seconds from 0 to 3600, not {raw!r}")
    return value


# -------------------------------------------------------------------- helpers


def _recipient(to_type: Any, to_value: Any, u: type[UserRow]) -> Any:
    """People a notification is for: the user, or the active members of the group or queue."""
    members = select(MembershipRow.user_id).where(MembershipRow.group_id == to_value)
    return or_(and_(to_type == "user", u.id == to_value), and_(to_type.in_(("group", "queue")), u.id.in_(members)))


def _wants_mail(u: type[UserRow]) -> tuple[Any, ...]:
    return (u.active.is_(True), u.email.is_not(None), u.email != "", u.email_mode != "off")


def _items(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What an e-mail says about each work item: step, orchestration, record, due date, for whom."""
    ids = list(ids)
    if not ids:
        return {}
    w = WorkItemRow
    statement = (
        select(
            w.id,
            w.label,
            w.due_at,
            w.on_behalf_of,
            w.record_object,
            w.record_id,
            OrchestrationRow.label.label("orchestration"),
            RecordTypeRow.label.label("record_type"),
            RecordRow.fields,
            UserRow.display_name.label("for_name"),
        )
        .outerjoin(OrchestrationRow, OrchestrationRow.id == w.orchestration)
        .outerjoin(RecordTypeRow, RecordTypeRow.id == w.record_object)
        .outerjoin(RecordRow, RecordRow.id == w.record_id)
        .outerjoin(UserRow, UserRow.id == w.on_behalf_of)
        .where(w.id.in_(ids))
    )
    found = {}
    for row in conn.execute(statement):
        record = None
        if row.record_id:
            record = f"{row.record_type or row.record_object}: {record_name(row.record_object, row.record_id, row.fields)}"
        found[row.id] = {
            "id": row.id,
            "step": row.label,
            "orchestration": row.orchestration or "",
            "record": record,
            "due_at": row.due_at,
            "for": (row.for_name or row.on_behalf_of) if row.on_behalf_of else None,
        }
    return found


def record_name(object: str, record_id: str, fields: dict[str, Any] | None) -> str:
    """As the web app names a record: its title, name, customer or subject, else type and short id."""
    for key in ("title", "name", "customer", "subject"):
        value = (fields or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value
    return f"{object} {record_id[:8]}"


def _subject(kind: str, item: dict[str, Any]) -> str:
    verb = {"assignment": "New work", "reassignment": "Reassigned to you", "escalation": "Overdue", "reminder": "Due soon"}[kind]
    extra = f" (for {item['for']})" if item["for"] else ""
    return f"{verb}: {item['step']}{extra} — {item['orchestration']}"


def _facts(item: dict[str, Any]) -> list[str]:
    due = item["due_at"]
    lines = [f"Step: {item['step']}", f"Orchestration: {item['orchestration']}"]
    if item["record"]:
        lines.append(f"Record: {item['record']}")
    lines.append(f"Due: {due.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}" if due else "Due: no due date")
    if item["for"]:
        lines.append(f"For: {item['for']} (out of office; you are their delegate)")
    return lines


def _drop_greeting(body: str) -> str:
    return body.split("\n\n", 1)[1] if body.startswith("Hello ") and "\n\n" in body else body


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code}: {message}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
