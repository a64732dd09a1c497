"""Server-side sessions: what ends them (sign-out, deactivation, password changes, sign out
everywhere, the idle and absolute timeouts), and what the cookie carries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from builder import create_app
from builder.extensions import state
from builder.tables import SessionRow
from tests.builder.conftest import PASSWORD, Client

NEW_PASSWORD = "a whole new passphrase"


def cookie_of(client: Client) -> str:
    cookie = client.http.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


def with_cookie(app: Any, value: str) -> Any:
    """A browser that has only copied someone's session cookie."""
    http = app.test_client()
    http.set_cookie("session", value)
    return http


def signed_in(client: Client) -> bool:
    status = client.get("/api/session").status_code
    assert status in (200, 401)
    return status == 200


def session_rows(app: Any, username: str) -> list[SessionRow]:
    with app.app_context(), state().sessions() as s:
        return list(s.scalars(select(SessionRow).where(SessionRow.user_id == username)))


def test_the_cookie_carries_a_random_token_and_the_table_only_its_hash(app, login):
    sam = login("sam")
    value = cookie_of(sam)
    (row,) = session_rows(app, "sam")
    assert value != row.id and value not in row.id and "sam" not in value
    assert row.user_agent and row.address == "127.0.0.1"
    again = login("sam")
    assert cookie_of(again) != value and again.csrf != sam.csrf  # a session of its own, and a CSRF token of its own


def test_the_old_cookie_opens_nothing_after_sign_out(app, login):
    sam = login("sam")
    copied = cookie_of(sam)
    assert with_cookie(app, copied).get("/api/work-items?mine=1").status_code == 200
    signed_out = sam.delete("/api/session")
    assert signed_out.status_code == 200
    assert "session=;" in signed_out.headers["Set-Cookie"]  # the browser forgets it too
    for url in ("/api/session", "/api/work-items?mine=1", "/api/profile"):
        response = with_cookie(app, copied).get(url)
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "session_ended"
        assert "sign in again" in response.get_json()["error"]["message"]
    assert session_rows(app, "sam") == []


def test_a_write_with_an_old_sessions_csrf_token_is_refused(app, login):
    sam = login("sam")
    old_csrf = sam.csrf
    sam.delete("/api/session")
    again = login("sam")
    response = again.http.patch("/api/profile", json={"email_mode": "off"}, headers={"X-CSRF-Token": old_csrf})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf"
    assert again.patch("/api/profile", json={"email_mode": "off"}).status_code == 200


def test_deactivating_a_person_ends_every_session_of_theirs(app, login):
    laptop, phone, frank = login("sam"), login("sam"), login("frank")
    ada = login("ada")
    assert ada.post("/api/users/sam/deactivate", json={"reassign_to": None}).status_code == 200
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(frank)
    assert ada.post("/api/users/sam/reactivate").status_code == 200
    assert not signed_in(laptop)  # coming back needs a new sign-in
    assert signed_in(login("sam"))


def test_changing_ones_password_ends_the_other_sessions_but_keeps_this_one(app, login):
    here, elsewhere, frank = login("sam"), login("sam"), login("frank")
    changed = here.post("/api/profile/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.get_json()
    assert signed_in(here) and here.patch("/api/profile", json={"email_mode": "off"}).status_code == 200
    assert not signed_in(elsewhere)
    assert signed_in(frank)
    assert len(session_rows(app, "sam")) == 1


def test_an_admin_resetting_a_password_ends_every_session_of_that_person(app, login):
    laptop, phone = login("sam"), login("sam")
    ada = login("ada")
    assert ada.post("/api/users/sam/password", json={"password": NEW_PASSWORD}).status_code == 200
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(ada)


def test_a_person_sees_their_sessions_and_signs_out_everywhere_else(app, login):
    here, laptop, phone = login("sam"), login("sam"), login("sam")
    frank = login("frank")
    listed = here.get("/api/profile/sessions")
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert len(items) == 3 and [i["current"] for i in items].count(True) == 1
    assert set(items[0]) == {"started_at", "last_seen_at", "user_agent", "address", "current"}
    ended = here.delete("/api/profile/sessions")
    assert ended.status_code == 200 and ended.get_json() == {"username": "sam", "ended": 2}
    assert signed_in(here) and not signed_in(laptop) and not signed_in(phone)
    assert signed_in(frank)
    assert [i["current"] for i in here.get("/api/profile/sessions").get_json()["items"]] == [True]


def test_an_admin_signs_a_person_out_everywhere(app, login):
    laptop, phone, frank = login("sam"), login("sam"), login("frank")
    ada = login("ada")
    ended = ada.delete("/api/users/sam/sessions")
    assert ended.status_code == 200 and ended.get_json() == {"username": "sam", "ended": 2}
    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(frank) and signed_in(ada)
    assert signed_in(login("sam"))  # they may sign in again
    assert ada.delete("/api/users/nobody/sessions").status_code == 404
    assert login("otto").delete("/api/users/sam/sessions").status_code == 403
    assert frank.delete("/api/users/sam/sessions").status_code == 403


def test_a_session_ends_after_the_idle_timeout(app, login, wall):
    sam = login("sam")
    idle = app.config["SESSION_IDLE"]
    assert idle == timedelta(hours=8)
    for _ in range(3):  # each request moves the idle timeout on
        wall.advance(idle - timedelta(minutes=2))
        assert signed_in(sam)
    wall.advance(idle)
    response = sam.get("/api/work-items")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "session_ended"
    assert session_rows(app, "sam") == []  # a timed-out session is deleted when it is found


def test_a_session_ends_after_the_absolute_timeout_however_busy(app, login, wall):
    sam = login("sam")
    longest = app.config["SESSION_MAX"]
    assert longest == timedelta(days=7)
    used = timedelta(0)
    while used + timedelta(hours=4) < longest:
        wall.advance(timedelta(hours=4))
        used += timedelta(hours=4)
        assert signed_in(sam), used
    wall.advance(longest - used)
    assert not signed_in(sam)


def test_last_seen_is_written_at_most_once_a_minute(app, login, wall):
    sam = login("sam")
    (row,) = session_rows(app, "sam")
    started = row.last_seen_at
    wall.advance(timedelta(seconds=59))
    assert signed_in(sam)
    assert session_rows(app, "sam")[0].last_seen_at == started
    wall.advance(timedelta(seconds=2))
    assert signed_in(sam)
    assert session_rows(app, "sam")[0].last_seen_at == started + timedelta(seconds=61)


def test_the_timeouts_are_settings(tmp_path, migrated_db, monkeypatch):
    import shutil

    path = tmp_path / "o.db"
    shutil.copy(migrated_db, path)
    base = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{path}", "EMBEDDED_WORKER": False}
    monkeypatch.setenv("OVERTURE_SESSION_IDLE", "PT30M")
    monkeypatch.setenv("OVERTURE_SESSION_MAX", "P1D")
    app = create_app(base)
    try:
        assert (app.config["SESSION_IDLE"], app.config["SESSION_MAX"]) == (timedelta(minutes=30), timedelta(days=1))
    finally:
        app.extensions["overture"].close()
    for setting, value in [("OVERTURE_SESSION_IDLE", "8 hours"), ("OVERTURE_SESSION_MAX", "P1M"), ("OVERTURE_SESSION_IDLE", "PT0S")]:
        monkeypatch.setenv(setting, value)
        with pytest.raises(ValueError, match=setting):
            create_app(base)
        monkeypatch.delenv(setting)


def test_a_bearer_token_still_works_and_has_no_session(app, login):
    ada = login("ada")
    secret = ada.post("/api/tokens", json={"name": "crm"}).get_json()["token"]
    system = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert system.post("/api/records/contract", json={"fields": {}}, headers=bearer).status_code in (404, 422)
    assert system.get("/api/profile/sessions", headers=bearer).status_code == 403
    assert system.get("/api/session", headers=bearer).status_code == 401


def test_moving_the_engines_clock_ends_no_session(app, login, clock, wall):
    """Scenario tests and OVERTURE_TEST_CLOCK servers move the engine by days; sessions keep real time."""
    sam = login("sam")
    clock.advance(timedelta(days=30))
    assert signed_in(sam)


def test_an_admin_resetting_their_own_password_stays_signed_in_here(app, login):
    here, elsewhere = login("ada"), login("ada")
    assert here.post("/api/users/ada/password", json={"password": NEW_PASSWORD}).status_code == 200
    assert signed_in(here) and not signed_in(elsewhere)


def test_the_session_routes_are_in_the_openapi(login):
    paths = login(None).get("/api/openapi.json").get_json()["paths"]
    assert paths["/api/users/{username}/sessions"]["delete"]["x-roles"] == ["admin"]
    mine = paths["/api/profile/sessions"]
    assert mine["get"]["x-roles"] == mine["delete"]["x-roles"] == ["admin", "ops", "member"]
    assert mine["delete"]["x-bearer-tokens"] is False
    for path in ("/api/session", "/api/profile/password"):
        assert "429" in paths[path]["post"]["responses"], path
    assert "429" not in paths["/api/profile"]["patch"]["responses"]


@pytest.mark.parametrize("user, path", [("sam", "/ws/inbox"), ("otto", "/ws/live?orchestration=deal")])
def test_an_open_websocket_closes_when_its_session_ends(app, login, server, user, path):
    from wsproto.events import CloseConnection

    from builder.auth import SESSION_ENDED_CLOSE
    from tests.builder.test_live import DEAL, connect

    app.extensions["overture"].engine.deploy(DEAL, by="ada")
    app.config.update(INBOX_REFRESH_EVERY=0.2, INBOX_MIN_INTERVAL=0.01, SESSION_RECHECK=0.2)
    socket = connect(server, path, login, user)
    try:
        socket.next()  # the first message: the socket is open
        assert login("ada").delete(f"/api/users/{user}/sessions").status_code == 200
        for _ in range(50):  # a bounded wait: messages may still arrive before the close
            event = socket.ws.next_event(timeout=5.0)
            if isinstance(event, CloseConnection):
                break
        else:
            raise AssertionError("the socket stayed open after its session ended")
    finally:
        socket.ws.close()
    assert event.code == SESSION_ENDED_CLOSE
    assert "session ended" in event.reason


def test_sessions_whose_browser_never_came_back_are_deleted_at_the_next_sign_in(app, login, wall):
    login("sam"), login("frank")
    wall.advance(app.config["SESSION_IDLE"])
    login("alice")
    assert session_rows(app, "sam") == session_rows(app, "frank") == []
    assert len(session_rows(app, "alice")) == 1
