"""E-mail through a real SMTP server (aiosmtpd): what is sent, to whom, when, and never twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from builder import create_app
from builder.extensions import state
from builder.mail import Mailer, MailSettings, MailSettingsError, SmtpSettings, from_environment, poll_interval
from builder.migrate import open_store
from builder.tables import EmailOutboxRow
from runtime.clock import ManualClock
from runtime.store.tables import OutOfOfficeRow, UserRow
from tests.builder.api_support import EXPENSE, document
from tests.pg import POSTGRES_URL, throwaway_database
from tests.smtp_sink import SmtpSink

BASE = "http://overture.test"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def settings(sink: SmtpSink, **changes: Any) -> MailSettings:
    return MailSettings(SmtpSettings("127.0.0.1", sink.port, "overture@example.com", timeout=10), base_url=BASE, **changes)


@pytest.fixture
def mailer(app, sink, clock) -> Mailer:
    return Mailer(app.extensions["overture"].store.engine, settings(sink), clock)


def mail_settings(app, **people: tuple[str | None, str]) -> None:
    """user -> (address, mode)."""
    with app.app_context(), state().sessions.begin() as s:
        for name, (address, mode) in people.items():
            user = s.get(UserRow, name)
            user.email, user.email_mode = address, mode


def expense(assignee: dict[str, str] | None = None, due: str | None = None) -> dict[str, Any]:
    """The expense approval with the first step's assignee and due date changed."""

    def change(node: dict[str, Any]) -> dict[str, Any]:
        if node["id"] != "approve":
            return node
        node = {k: v for k, v in node.items() if k != "due"}
        return {**node, **({"assignee": assignee} if assignee else {}), **({"due": due} if due else {})}

    return document(EXPENSE, nodes=[change(n) for n in EXPENSE["nodes"]])


def start(app, doc: dict[str, Any], runs: int = 1) -> list[str]:
    """Deploy ``doc`` and start runs; the id of each run's open work item."""
    engine = state().engine
    engine.deploy(doc)
    ids = []
    for _ in range(runs):
        run_id = engine.start("expense", {"amount": 5}, started_by="sam")
        ids += [i["id"] for i in engine.work_items(run=run_id)]
    return ids


def outbox(app) -> list[EmailOutboxRow]:
    with state().sessions() as s:
        return list(s.scalars(select(EmailOutboxRow).order_by(EmailOutboxRow.created_at, EmailOutboxRow.id)))


ALICE = {"type": "user", "value": "alice"}


def test_an_assignment_e_mails_the_assignee_with_a_link_to_the_item(app, mailer, sink):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        [item] = start(app, expense(ALICE, due="P1D"))
        assert mailer.run_once() == 1
        assert mailer.run_once() == 0  # never twice
        [row] = outbox(app)
    [message] = sink.messages
    assert message["To"] == "alice@example.com" and message["From"].addresses[0].addr_spec == "overture@example.com"
    assert message["Subject"] == "New work: Approve the expense — Expense approval"
    assert message["Message-ID"] == f"<{row.id}@example.com>"
    body = message.get_content()
    assert f"Open it: {BASE}/work/{item}\n" in body
    assert "Step: Approve the expense" in body and "Orchestration: Expense approval" in body
    assert "Due: 2026-01-06 09:00 UTC" in body and "For:" not in body
    assert (row.status, row.attempts, row.kind, row.user_id) == ("sent", 1, "assignment", "alice")


def test_a_label_cannot_add_headers(app, mailer, sink):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    doc = expense(ALICE)
    doc["nodes"] = [{**n, "label": "Approve\r\nBcc: eve@example.com"} if n["id"] == "approve" else n for n in doc["nodes"]]
    with app.app_context():
        start(app, doc)
        assert mailer.run_once() == 1
    [message] = sink.messages
    assert message["Bcc"] is None and message["Subject"].startswith("New work: Approve Bcc: eve@example.com")


def test_a_group_notification_goes_to_each_member_who_wants_mail(app, mailer, sink):
    mail_settings(
        app, fiona=("fiona@example.com", "immediate"), frank=("frank@example.com", "off"), alice=("alice@example.com", "immediate")
    )
    with app.app_context():
        start(app, expense())  # finance: fiona and frank
        mailer.run_once()
    assert [str(m["To"]) for m in sink.messages] == ["fiona@example.com"]


def test_a_person_with_mail_off_or_no_address_gets_nothing(app, mailer, sink):
    mail_settings(app, alice=("alice@example.com", "off"))
    with app.app_context():
        start(app, expense(ALICE))
        start(app, expense({"type": "user", "value": "sam"}))  # sam has no address
        assert mailer.run_once() == 0
        assert outbox(app) == []
    assert sink.messages == []


def test_delegated_work_says_for_whom(app, mailer, sink, clock):
    mail_settings(app, sam=("sam@example.com", "immediate"))
    with app.app_context(), state().sessions.begin() as s:
        s.get(UserRow, "alice").display_name = "Alice Lawyer"
        s.add(
            OutOfOfficeRow(
                user_id="alice",
                delegate_id="sam",
                starts_at=clock.now() - timedelta(hours=1),
                ends_at=clock.now() + timedelta(days=3),
                set_by="alice",
                updated_at=clock.now(),
            )
        )
    with app.app_context():
        start(app, expense(ALICE))
        mailer.run_once()
    [message] = sink.to("sam@example.com")
    assert message["Subject"] == "New work: Approve the expense (for Alice Lawyer) — Expense approval"
    assert "For: Alice Lawyer (out of office; you are their delegate)" in message.get_content()


def test_a_digest_is_one_e_mail_with_every_item_at_the_digest_hour(app, mailer, sink, clock):
    mail_settings(app, alice=("alice@example.com", "digest"))
    with app.app_context():
        items = start(app, expense(ALICE), runs=3)
        assert mailer.run_once() == 0  # 09:00: today's digest hour (08:00) has passed
        clock.set(datetime(2026, 1, 6, 7, 59, tzinfo=UTC))
        assert mailer.run_once() == 0
        clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
        assert mailer.run_once() == 1
        assert mailer.run_once() == 0
        assert {r.status for r in outbox(app)} == {"sent"}
    [message] = sink.messages
    assert message["Subject"] == "Overture: 3 updates for you"
    body = message.get_content()
    assert all(f"{BASE}/work/{item}" in body for item in items)
    assert body.startswith("Hello alice,\n\nYour daily digest")


def test_a_due_reminder_is_sent_once_per_due_date(app, mailer, sink, clock):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        [item] = start(app, expense(ALICE, due="P3D"))
        mailer.run_once()
        assert [m["Subject"] for m in sink.messages] == ["New work: Approve the expense — Expense approval"]
        clock.advance("P1D")
        assert mailer.run_once() == 0  # due in two days
        clock.advance("PT25H")
        assert mailer.run_once() == 1
        clock.advance("PT1H")
        assert mailer.run_once() == 0
    reminder = sink.messages[-1]
    assert reminder["Subject"] == "Due soon: Approve the expense — Expense approval"
    assert "Due: 2026-01-08 09:00 UTC" in reminder.get_content() and f"{BASE}/work/{item}" in reminder.get_content()


def test_work_given_with_less_than_a_day_to_go_gets_no_separate_reminder(app, mailer, sink):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        start(app, expense(ALICE, due="PT12H"))
        mailer.run_once()
        assert [r.kind for r in outbox(app)] == ["assignment"]


def test_an_smtp_error_is_retried_later_and_sent_once(app, mailer, sink, clock):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    sink.refuse_next = 1
    with app.app_context():
        start(app, expense(ALICE))
        assert mailer.run_once() == 0
        [row] = outbox(app)
        assert (row.status, row.attempts) == ("pending", 1) and row.last_error.startswith("SMTP 451")
        assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
        assert mailer.run_once() == 0  # not before its time
        clock.advance("PT1M")
        assert mailer.run_once() == 1
        assert mailer.run_once() == 0
        [row] = outbox(app)
        assert (row.status, row.attempts) == ("sent", 2)
    assert sink.refused == 1 and len(sink.messages) == 1


def test_an_unreachable_server_costs_one_attempt_and_the_rest_wait(app, sink, clock):
    sink.stop()  # nobody listens on its port now
    mailer = Mailer(app.extensions["overture"].store.engine, settings(sink), clock)
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        start(app, expense(ALICE), runs=3)
        assert mailer.run_once() == 0
        rows = outbox(app)
    assert sorted((r.status, r.attempts) for r in rows) == [("pending", 0), ("pending", 0), ("pending", 1)]
    tried = next(r for r in rows if r.attempts == 1)
    assert "ConnectionRefusedError" in tried.last_error and tried.next_attempt_at == clock.now() + timedelta(minutes=1)


def test_a_row_fails_for_good_after_the_last_attempt(app, sink, clock):
    mailer = Mailer(app.extensions["overture"].store.engine, settings(sink, max_attempts=2), clock)
    mail_settings(app, alice=("alice@example.com", "immediate"))
    sink.refuse_next = 5
    with app.app_context():
        start(app, expense(ALICE))
        mailer.run_once()
        clock.advance("PT1M")
        mailer.run_once()
        clock.advance("P1D")
        mailer.run_once()
        [row] = outbox(app)
    assert (row.status, row.attempts, sink.refused, sink.messages) == ("failed", 2, 2, [])


def test_a_row_left_sending_by_a_crash_is_failed_not_resent(app, mailer, sink, clock):
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        start(app, expense(ALICE), runs=2)
        mailer.queue_notifications()
        crashed, busy = outbox(app)
        with state().sessions.begin() as s:  # one mailer died mid-send; another is sending right now
            s.execute(
                update(EmailOutboxRow)
                .where(EmailOutboxRow.id == crashed.id)
                .values(status="sending", attempts=1, claimed_at=clock.now() - timedelta(minutes=11))
            )
            s.execute(
                update(EmailOutboxRow).where(EmailOutboxRow.id == busy.id).values(status="sending", attempts=1, claimed_at=clock.now())
            )
        assert mailer.run_once() == 0
        crashed, busy = sorted(outbox(app), key=lambda r: r.id != crashed.id)
    assert crashed.status == "failed" and "not sent again" in crashed.last_error
    assert busy.status == "sending"
    assert sink.messages == []


def test_two_mailers_at_once_and_reruns_never_send_twice(app, sink, clock):
    mail_settings(
        app, alice=("alice@example.com", "immediate"), fiona=("fiona@example.com", "immediate"), frank=("frank@example.com", "immediate")
    )
    with app.app_context():
        start(app, expense(), runs=10)  # 10 items for finance: 20 e-mails
        sql = state().store.engine
        mailers = [Mailer(sql, settings(sink, batch=3), clock) for _ in range(3)]
        go = threading.Barrier(len(mailers))
        errors: list[BaseException] = []

        def run(m: Mailer) -> None:
            go.wait()
            try:
                m.run_once()
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(m,)) for m in mailers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sum(m.run_once() for m in mailers) == 0
    ids = [m["Message-ID"] for m in sink.messages]
    assert len(ids) == 20 and len(set(ids)) == 20


@pytest.mark.skipif(not POSTGRES_URL, reason="needs OVERTURE_TEST_DATABASE_URL")
def test_concurrent_claims_on_postgresql_send_each_row_once(sink):
    clock = ManualClock()
    with throwaway_database("overture_mail") as url:
        store = open_store(url)
        try:
            now = clock.now()
            rows = [
                {
                    "id": f"m{i:03d}",
                    "dedupe_key": f"k{i}",
                    "notification_id": None,
                    "work_item_id": None,
                    "user_id": "u",
                    "address": f"u{i}@example.com",
                    "subject": f"S{i}",
                    "body": "B",
                    "kind": "assignment",
                    "digest": False,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "claimed_at": None,
                    "sent_at": None,
                    "last_error": None,
                    "created_at": now,
                }
                for i in range(40)
            ]
            with store.engine.begin() as conn:
                conn.execute(EmailOutboxRow.__table__.insert(), rows)
            mailers = [Mailer(store.engine, settings(sink, batch=4), clock) for _ in range(4)]
            go = threading.Barrier(len(mailers))
            threads = [threading.Thread(target=lambda m=m: (go.wait(), m.send_due())) for m in mailers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(m["Subject"] for m in sink.messages) == sorted(f"S{i}" for i in range(40))
        finally:
            store.dispose()


def test_the_embedded_mailer_runs_beside_the_worker(tmp_path, migrated_db, sink):
    import shutil

    path = tmp_path / "mail.db"
    shutil.copy(migrated_db, path)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": f"sqlite:///{path}",
            "EMBEDDED_WORKER": True,
            "WORKER_POLL": 0.05,
            "SMTP_URL": sink.url,
            "BASE_URL": BASE,
            "MAIL_POLL": "0.05",
        }
    )
    try:
        with app.app_context():
            from builder import accounts

            with state().sessions.begin() as s:
                accounts.create_user(s, "alice", role="member", password=None)
                s.flush()
                s.get(UserRow, "alice").email = "alice@example.com"
            [item] = start(app, expense(ALICE))
        message = sink.wait_for(lambda ms: ms[0] if ms else None)
        assert f"{BASE}/work/{item}" in message.get_content()
    finally:
        app.extensions["overture"].close()
    assert not any(t.name == "overture-mailer" and t.is_alive() for t in threading.enumerate())


def test_overture_worker_sends_the_mail_too(app, sink, clock):
    from click.testing import CliRunner

    from builder.cli import main

    clock.set(datetime.now(UTC))  # the worker runs on the wall clock
    mail_settings(app, alice=("alice@example.com", "immediate"))
    with app.app_context():
        [item] = start(app, expense(ALICE))
    url = app.config["DATABASE_URL"]
    result = CliRunner().invoke(
        main,
        ["worker", "--database-url", url, "--until-idle", "--heartbeat", "0.1"],
        env={"OVERTURE_SMTP_URL": sink.url, "OVERTURE_BASE_URL": BASE},
    )
    assert result.exit_code == 0, result.output
    assert "sending e-mail" in result.output
    [message] = sink.messages
    assert f"{BASE}/work/{item}" in message.get_content()
    bad = CliRunner().invoke(main, ["worker", "--database-url", url, "--until-idle"], env={"OVERTURE_SMTP_URL": "http://x"})
    assert bad.exit_code != 0 and "OVERTURE_SMTP_URL" in bad.output


def test_without_an_smtp_url_nothing_is_queued(app):
    assert from_environment({}, app.extensions["overture"].store.engine, ManualClock()) is None
    assert app.extensions["overture"].mail_runner is None


def test_smtp_urls_and_settings_are_read_or_refused_clearly():
    plain = SmtpSettings.from_url("smtp://mailer:p%40ss@mail.example.com:2525?from=overture@example.com&starttls=1")
    assert (plain.host, plain.port, plain.username, plain.password, plain.sender, plain.starttls, plain.implicit_tls) == (
        "mail.example.com",
        2525,
        "mailer",
        "p@ss",
        "overture@example.com",
        True,
        False,
    )
    tls = SmtpSettings.from_url("smtps://mail.example.com")
    assert (tls.port, tls.implicit_tls, tls.sender, tls.username) == (465, True, "overture@mail.example.com", None)
    for bad in ("http://mail.example.com", "smtp://", "smtp://host:99999", "smtp://host?from=nobody"):
        with pytest.raises(MailSettingsError, match="OVERTURE_SMTP_URL"):
            SmtpSettings.from_url(bad)
    with pytest.raises(MailSettingsError, match="OVERTURE_DIGEST_HOUR"):
        MailSettings.from_config("smtp://host", digest_hour="25")
    assert MailSettings.from_config("smtp://host", base_url="https://o.example.com/", digest_hour="6").base_url == "https://o.example.com"
    assert poll_interval({}) == 10.0 and poll_interval({"OVERTURE_MAIL_POLL": "0.2"}) == 0.2
    with pytest.raises(MailSettingsError, match="OVERTURE_MAIL_POLL"):
        poll_interval({"OVERTURE_MAIL_POLL": "soon"})
