"""The profile API: one's own settings and password, out of office, admins' edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builder.extensions import state
from runtime.store.tables import UserRow
from tests.builder.api_support import EXPENSE, deploy, document
from tests.builder.conftest import PASSWORD

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the ManualClock's start


def period(start_hours: float = -1, days: float = 7) -> dict[str, str]:
    return {
        "starts_at": (NOW + timedelta(hours=start_hours)).isoformat(),
        "ends_at": (NOW + timedelta(hours=start_hours) + timedelta(days=days)).isoformat(),
    }


def test_profile_shows_and_changes_ones_own_settings(login):
    sam = login("sam")
    got = sam.get("/api/profile").get_json()
    assert got == {
        "username": "sam",
        "display_name": "sam",
        "role": "member",
        "email": None,
        "email_mode": "immediate",
        "out_of_office": None,
    }
    changed = sam.patch("/api/profile", json={"display_name": " Sam Seller ", "email": "sam@example.com", "email_mode": "digest"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() | {"out_of_office": None} == {
        **got,
        "display_name": "Sam Seller",
        "email": "sam@example.com",
        "email_mode": "digest",
    }
    assert sam.get("/api/profile").get_json()["email_mode"] == "digest"
    assert sam.patch("/api/profile", json={"email": None}).get_json()["email"] is None


def test_bad_profile_changes_are_refused_and_change_nothing(login):
    sam = login("sam")
    for payload, field in [
        ({"email": "not an address"}, "email"),
        ({"email_mode": "hourly"}, "email_mode"),
        ({"display_name": ""}, "display_name"),
        ({"role": "admin"}, "role"),
    ]:
        response = sam.patch("/api/profile", json=payload)
        assert response.status_code == 422, payload
        assert field in response.get_json()["error"]["details"]
    blank = sam.patch("/api/profile", json={"display_name": "   "})
    assert blank.status_code == 422 and "display_name" in blank.get_json()["error"]["message"]
    assert sam.get("/api/profile").get_json()["display_name"] == "sam"


def test_changing_the_password_needs_the_current_one(login, app):
    sam = login("sam")
    wrong = sam.post("/api/profile/password", json={"current_password": "nope", "new_password": "a whole new passphrase"})
    assert wrong.status_code == 403 and "current password is wrong" in wrong.get_json()["error"]["message"]
    short = sam.post("/api/profile/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "at least 15" in short.get_json()["error"]["message"]
    ok = sam.post("/api/profile/password", json={"current_password": PASSWORD, "new_password": "a whole new passphrase"})
    assert ok.status_code == 200
    fresh = app.test_client()
    assert fresh.post("/api/session", json={"username": "sam", "password": PASSWORD}).status_code == 401
    assert fresh.post("/api/session", json={"username": "sam", "password": "a whole new passphrase"}).status_code == 200


def test_people_lists_active_people_for_anyone_signed_in(login, app):
    with app.app_context(), state().sessions.begin() as s:
        s.get(UserRow, "mallory").active = False
        s.get(UserRow, "frank").display_name = "Frank Finance"
    people = login("sam").get("/api/profile/people").get_json()["items"]
    assert {"username": "frank", "display_name": "Frank Finance"} in people
    assert "mallory" not in {p["username"] for p in people}
    assert login(None).get("/api/profile/people").status_code == 401


def test_admins_set_anothers_email_settings(login):
    ada = login("ada")
    response = ada.patch("/api/users/sam/email-settings", json={"email": "sam@example.com", "email_mode": "off"})
    assert response.status_code == 200 and response.get_json()["email_mode"] == "off"
    assert login("sam").get("/api/profile").get_json()["email"] == "sam@example.com"
    assert ada.patch("/api/users/nobody/email-settings", json={"email_mode": "off"}).status_code == 404
    assert login("sam").patch("/api/users/sam/email-settings", json={"email_mode": "off"}).status_code == 403


def test_out_of_office_is_set_read_and_cleared_by_the_person_or_an_admin(login):
    alice = login("alice")
    put = alice.put("/api/users/alice/out-of-office", json={"delegate": "sam", **period()})
    assert put.status_code == 200, put.get_json()
    view = put.get_json()["out_of_office"]
    assert view["delegate"] == "sam" and view["active"] is True and view["set_by"] == "alice"
    assert login("alice").get("/api/profile").get_json()["out_of_office"]["delegate"] == "sam"
    assert login("ada").get("/api/users/alice/out-of-office").get_json()["out_of_office"]["delegate_display_name"] == "sam"
    for other in ("sam", "otto"):
        assert login(other).put("/api/users/alice/out-of-office", json={"delegate": "sam", **period()}).status_code == 403
        assert login(other).delete("/api/users/alice/out-of-office").status_code == 403
    later = login("ada").put("/api/users/alice/out-of-office", json={"delegate": "fiona", **period(start_hours=24)})
    assert later.get_json()["out_of_office"] | {"updated_at": None} == {
        "delegate": "fiona",
        "delegate_display_name": "fiona",
        **{k: datetime.fromisoformat(v).isoformat() for k, v in period(24).items()},
        "active": False,
        "set_by": "ada",
        "updated_at": None,
    }
    assert alice.delete("/api/users/alice/out-of-office").get_json() == {"out_of_office": None}
    assert alice.get("/api/users/alice/out-of-office").get_json() == {"out_of_office": None}


def test_out_of_office_refuses_periods_and_delegates_that_make_no_sense(login, app):
    with app.app_context(), state().sessions.begin() as s:
        s.get(UserRow, "mallory").active = False
    alice = login("alice")
    cases = [
        ({"delegate": "alice", **period()}, "delegate", "yourself"),
        ({"delegate": "mallory", **period()}, "delegate", "not an active user"),
        ({"delegate": "nobody", **period()}, "delegate", "not an active user"),
        ({"delegate": "sam", "starts_at": period()["ends_at"], "ends_at": period()["starts_at"]}, "ends_at", "after it starts"),
        ({"delegate": "sam", **period(start_hours=-48, days=1)}, "ends_at", "already over"),
        ({"delegate": "sam", **period(days=400)}, "ends_at", "within a year"),
        ({"delegate": "sam", "starts_at": "2026-01-05T00:00:00", "ends_at": "2026-01-09T00:00:00"}, "starts_at", None),
        ({"delegate": "sam", "starts_at": "yesterday", "ends_at": "2026-01-09T00:00:00+00:00"}, "starts_at", None),
    ]
    for payload, field, words in cases:
        response = alice.put("/api/users/alice/out-of-office", json=payload)
        assert response.status_code == 422, (payload, response.get_json())
        error = response.get_json()["error"]
        assert field in error["details"], (payload, error)
        assert words is None or words in error["message"], (payload, error)
    assert alice.get("/api/users/alice/out-of-office").get_json() == {"out_of_office": None}


def test_personal_work_goes_to_the_delegate_set_through_the_api(login, app):
    ada = login("ada")
    deploy(
        ada,
        document(
            EXPENSE, nodes=[{**n, "assignee": {"type": "user", "value": "alice"}} if n["id"] == "approve" else n for n in EXPENSE["nodes"]]
        ),
    )
    assert login("alice").put("/api/users/alice/out-of-office", json={"delegate": "sam", **period()}).status_code == 200
    sam = login("sam")
    assert sam.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 5}}).status_code == 201
    [item] = sam.get("/api/work-items").get_json()["items"]
    assert item["assignee"] == {"type": "user", "value": "sam"} and item["on_behalf_of"] == "alice"
    assert item["on_behalf_of_name"] == login("alice").get("/api/profile").get_json()["display_name"]
    assert login("alice").get("/api/work-items").get_json()["items"] == []
    assert sam.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
