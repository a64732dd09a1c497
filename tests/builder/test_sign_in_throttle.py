"""Failed sign-ins slow an attacker down without locking anyone else out: counted per
(address, user name) and per address, in the database (shared by every process), with
the client address taken from a proxy only when OVERTURE_TRUSTED_PROXIES says so."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from builder import accounts, create_app, throttle
from builder.extensions import state
from builder.tables import SessionRow, SignInFailureRow
from runtime.clock import ManualClock
from tests.builder.conftest import PASSWORD, PEOPLE

ATTACKER, OWNER = "198.51.100.66", "203.0.113.7"


def sign_in(app: Flask, username: str, password: str, address: str = ATTACKER, **headers: str) -> Any:
    return app.test_client().post(
        "/api/session", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def fail(app: Flask, username: str, times: int, address: str = ATTACKER, **headers: str) -> list[int]:
    return [sign_in(app, username, "not the password", address, **headers).status_code for _ in range(times)]


def test_the_owner_signs_in_from_elsewhere_while_the_attackers_address_waits(app):
    assert fail(app, "sam", throttle.PER_USER) == [401] * throttle.PER_USER
    refused = sign_in(app, "sam", PASSWORD)  # even the right password: a throttle never checks
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= throttle.WINDOW.total_seconds()
    assert f"try again in {wait} s" in refused.get_json()["error"]["message"]
    assert sign_in(app, "sam", PASSWORD, OWNER).status_code == 200
    assert sign_in(app, "frank", PASSWORD).status_code == 200  # the attacker's address, another person


def test_waiting_is_enough_and_a_success_clears_the_pairs_failures(app, wall):
    fail(app, "sam", throttle.PER_USER)
    wall.advance(throttle.WINDOW)
    assert sign_in(app, "sam", PASSWORD).status_code == 200
    assert fail(app, "sam", throttle.PER_USER - 1) == [401] * (throttle.PER_USER - 1)
    assert sign_in(app, "sam", PASSWORD).status_code == 200  # the typo-er's failures are forgotten on success
    assert fail(app, "sam", throttle.PER_USER) == [401] * throttle.PER_USER


def test_spraying_many_people_from_one_address_is_slowed(app):
    people = list(PEOPLE)[:8] + ["nobody", "ghost"]  # 10 user names, existing or not
    answers = [sign_in(app, people[i % 10], f"guess {i}").status_code for i in range(40)]
    assert answers[: throttle.PER_ADDRESS] == [401] * throttle.PER_ADDRESS
    assert set(answers[throttle.PER_ADDRESS :]) == {429}
    assert sign_in(app, "sam", PASSWORD).status_code == 429
    assert sign_in(app, "sam", PASSWORD, OWNER).status_code == 200


def test_a_browser_that_signed_in_before_is_not_held_back_by_a_spray_from_its_address(app):
    """An office behind one address: a spray from it must not keep its people out."""
    sams_browser, fresh_browser = app.test_client(), app.test_client()
    office = {"environ_base": {"REMOTE_ADDR": ATTACKER}}
    assert sams_browser.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 200
    assert sams_browser.get_cookie("overture_device", path="/api") is not None
    people = ["ada", "otto", "alice", "fiona", "frank", "erin", "walt", "mallory"]
    for i in range(throttle.PER_ADDRESS):
        sign_in(app, people[i % len(people)], "spray guess")
    assert sign_in(app, "sam", PASSWORD).status_code == 429  # a browser never seen here
    assert fresh_browser.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 429
    assert sams_browser.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 200
    # The mark is sam's: it does not open the spray to other names, nor does a forged one.
    assert sams_browser.post("/api/session", json={"username": "ada", "password": "spray guess"}, **office).status_code == 429
    forged = app.test_client()
    forged.set_cookie("overture_device", "0" * 32, path="/api")
    assert forged.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 429


def test_a_known_browser_still_waits_after_failing_for_its_own_person(app):
    browser = app.test_client()
    office = {"environ_base": {"REMOTE_ADDR": ATTACKER}}
    assert browser.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 200
    for _ in range(throttle.PER_USER):
        assert browser.post("/api/session", json={"username": "sam", "password": "typo"}, **office).status_code == 401
    assert browser.post("/api/session", json={"username": "sam", "password": PASSWORD}, **office).status_code == 429


def test_user_names_differing_in_case_or_spaces_count_as_one(app):
    statuses = [sign_in(app, name, "not the password").status_code for name in ("sam", "SAM", " sam", "Sam", "sam ")]
    assert statuses == [401] * 5
    assert sign_in(app, "sam", PASSWORD).status_code == 429


def test_a_forwarded_for_header_is_ignored_unless_a_proxy_is_trusted(app):
    spoofed = [
        sign_in(app, "sam", "not the password", ATTACKER, **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(throttle.PER_USER)
    ]
    assert spoofed == [401] * throttle.PER_USER
    assert sign_in(app, "sam", PASSWORD, ATTACKER, **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429


@pytest.fixture
def behind_a_proxy(tmp_path, migrated_db) -> Iterator[Flask]:
    path = tmp_path / "proxied.db"
    shutil.copy(migrated_db, path)
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{path}", "EMBEDDED_WORKER": False, "TRUSTED_PROXIES": "1"}
    )
    with app.app_context(), state().sessions.begin() as s:
        accounts.create_user(s, "sam", role="member", password=PASSWORD)
    yield app
    app.extensions["overture"].close()


def test_with_a_trusted_proxy_the_forwarded_address_is_the_clients(behind_a_proxy):
    proxy = "10.0.0.1"
    # The client wrote the first address itself; only the proxy's own (last) entry is believed.
    forwarded = {"X-Forwarded-For": f"192.0.2.1, {ATTACKER}"}
    assert fail(behind_a_proxy, "sam", throttle.PER_USER, proxy, **forwarded) == [401] * throttle.PER_USER
    assert sign_in(behind_a_proxy, "sam", PASSWORD, proxy, **{"X-Forwarded-For": f"192.0.2.2, {ATTACKER}"}).status_code == 429
    owner = sign_in(behind_a_proxy, "sam", PASSWORD, proxy, **{"X-Forwarded-For": OWNER})
    assert owner.status_code == 200
    with behind_a_proxy.app_context(), state().sessions() as s:
        assert set(s.scalars(select(SessionRow.address))) == {OWNER}


def test_a_bad_trusted_proxies_setting_stops_the_app(tmp_path, migrated_db, monkeypatch):
    path = tmp_path / "o.db"
    shutil.copy(migrated_db, path)
    monkeypatch.setenv("OVERTURE_TRUSTED_PROXIES", "yes")
    with pytest.raises(ValueError, match="OVERTURE_TRUSTED_PROXIES"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{path}", "EMBEDDED_WORKER": False})


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_two_server_processes_share_the_count(request, database):
    """Two apps on one database, as two gunicorn workers are: failures in one count in the other."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": request.getfixturevalue(f"{database}_url"),
        "EMBEDDED_WORKER": False,
        "SESSION_CLOCK": ManualClock(),
    }
    one, other = create_app(config), create_app(config)
    try:
        with one.app_context(), state().sessions.begin() as s:
            accounts.create_user(s, "sam", role="member", password=PASSWORD)
        for i in range(throttle.PER_USER):
            assert sign_in(one if i % 2 else other, "sam", "not the password").status_code == 401
        assert sign_in(other, "sam", PASSWORD).status_code == 429
        assert sign_in(one, "sam", PASSWORD).status_code == 429
        assert sign_in(other, "sam", PASSWORD, OWNER).status_code == 200
    finally:
        for app in (one, other):
            app.extensions["overture"].close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_guesses_at_once_in_two_processes_get_no_more_than_the_limit(request, database, monkeypatch):
    """The last guess the limit allows, tried twice at the same moment through two apps
    (two server processes): one password is checked, the other attempt must wait.
    Counting after the check let both through."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": request.getfixturevalue(f"{database}_url"),
        "EMBEDDED_WORKER": False,
        "SESSION_CLOCK": ManualClock(),
    }
    one, other = create_app(config), create_app(config)
    checking, release, lock = [], threading.Event(), threading.Lock()
    answers: list[int] = []
    check = accounts.authenticate

    def slow_check(*args: Any, **kwargs: Any) -> Any:  # a password hash takes a while: both requests are in flight
        with lock:
            checking.append(1)
        release.wait(10)
        return check(*args, **kwargs)

    def guess(app: Flask) -> None:
        status = sign_in(app, "sam", "not the password").status_code
        with lock:
            answers.append(status)

    try:
        with one.app_context(), state().sessions.begin() as s:
            accounts.create_user(s, "sam", role="member", password=PASSWORD)
        assert fail(one, "sam", throttle.PER_USER - 1) == [401] * (throttle.PER_USER - 1)
        monkeypatch.setattr(accounts, "authenticate", slow_check)
        guesses = [threading.Thread(target=guess, args=(app,)) for app in (one, other)]
        for thread in guesses:
            thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until each request is checking a password or answered
            with lock:
                if len(checking) + len(answers) == 2:
                    break
            time.sleep(0.01)
        release.set()
        for thread in guesses:
            thread.join(10)
        assert len(checking) == 1 and sorted(answers) == [401, 429]
        assert sign_in(other, "sam", PASSWORD).status_code == 429
    finally:
        release.set()
        for app in (one, other):
            app.extensions["overture"].close()


def test_changing_ones_password_is_throttled_too(app, login):
    sam = login("sam")
    wrong = {"current_password": "not the password", "new_password": "a whole new passphrase"}
    assert [sam.post("/api/profile/password", json=wrong).status_code for _ in range(throttle.PER_USER)] == [403] * 5
    refused = sam.post("/api/profile/password", json={**wrong, "current_password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_old_failures_are_pruned(app, wall):
    fail(app, "sam", 3)
    wall.advance(throttle.WINDOW + timedelta(seconds=1))
    fail(app, "frank", 1)
    with app.app_context(), state().sessions() as s:
        assert list(s.scalars(select(SignInFailureRow.username))) == ["frank"]
