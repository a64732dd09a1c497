"""Sign-in, sessions, CSRF, tokens and rate limits."""

from __future__ import annotations

from tests.builder.conftest import PASSWORD


def test_login_gives_session_and_csrf(login):
    ada = login("ada")
    me = ada.get("/api/session")
    assert me.status_code == 200
    assert me.get_json()["user"]["role"] == "admin"
    assert me.get_json()["csrf_token"] == ada.csrf
    cookie = ada.http.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_bad_password_and_unknown_user_look_the_same(login):
    anon = login(None)
    for username in ("ada", "nobody"):
        response = anon.post("/api/session", json={"username": username, "password": "wrong password"})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "bad_credentials"


def test_login_attempts_are_rate_limited(login):
    anon = login(None)
    for _ in range(5):
        assert anon.post("/api/session", json={"username": "otto", "password": "nope nope"}).status_code == 401
    blocked = anon.post("/api/session", json={"username": "otto", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "try again" in blocked.get_json()["error"]["message"]


def test_state_changing_requests_need_the_csrf_token(login):
    ada = login("ada")
    response = ada.http.post("/api/groups", json={"name": "auditors"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf"
    assert ada.post("/api/groups", json={"name": "auditors"}).status_code == 201


def test_logout(login):
    sam = login("sam")
    assert sam.delete("/api/session").status_code == 200
    assert sam.get("/api/session").status_code == 401


def test_tokens_are_shown_once_stored_hashed_and_revocable(login, app):
    from builder.tables import ApiTokenRow

    ada = login("ada")
    created = ada.post("/api/tokens", json={"name": "crm"})
    assert created.status_code == 201
    secret = created.get_json()["token"]
    with app.extensions["overture"].sessions() as s:
        row = s.get(ApiTokenRow, created.get_json()["id"])
        assert secret not in (row.token_hash, row.name)
    system = login(None)
    bearer = {"Authorization": f"Bearer {secret}"}
    # Tokens may not manage people.
    assert system.get("/api/users", headers=bearer).status_code == 403
    assert ada.delete(f"/api/tokens/{created.get_json()['id']}").status_code == 200
    assert system.get("/api/users", headers=bearer).status_code == 401


def test_errors_are_json_with_a_code(login):
    ada = login("ada")
    malformed = ada.post("/api/groups", data="{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["code"] == "malformed_json"
    unknown = ada.post("/api/groups", json={"name": "x1", "colour": "red"})
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"] == {"colour": ["Unknown field."]}
    missing = ada.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    big = ada.post("/api/groups", data="x" * (3 * 1024 * 1024), content_type="application/json")
    assert big.status_code == 413
    duplicate = ada.post("/api/groups", json={"name": "legal"})
    assert duplicate.status_code == 409
