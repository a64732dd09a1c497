"""Administration through the API: people (edit, deactivate with their work handed over,
reactivate, password), groups and queues with their members, and record types with the
orchestrations they trigger."""

from __future__ import annotations

from typing import Any

import pytest

from builder import accounts, create_app
from builder.extensions import state
from tests.builder.api_support import EXPENSE, deploy, document, error_code, setup_contracts, start
from tests.builder.conftest import GROUPS, PASSWORD, PEOPLE, Client


def _items(app: Any, **filters: Any) -> dict[str, dict[str, Any]]:
    engine = app.extensions["overture"].engine
    return {i["id"]: i for i in engine.work_items(status=("open", "claimed", "completed", "cancelled"), **filters)}


def _events(admin: Client, run_id: str, kind: str) -> list[dict[str, Any]]:
    response = admin.get(f"/api/runs/{run_id}/events?limit=200")
    assert response.status_code == 200, response.get_json()
    return [e for e in response.get_json()["items"] if e["type"] == kind]


@pytest.fixture
def work(app, login) -> dict[str, Any]:
    """fiona holds two expense items: one claimed from finance, one assigned to her personally."""
    ada, otto, fiona = login("ada"), login("otto"), login("fiona")
    deploy(ada, EXPENSE)
    claimed_run, personal_run = start(ada), start(ada)
    (claimed,) = _items(app, run=claimed_run["id"]).values()
    (personal,) = _items(app, run=personal_run["id"]).values()
    assert fiona.post(f"/api/work-items/{claimed['id']}/claim").status_code == 200
    moved = otto.post(f"/api/work-items/{personal['id']}/reassign", json={"to": {"type": "user", "value": "fiona"}})
    assert moved.status_code == 200, moved.get_json()
    return {
        "ada": ada,
        "fiona": fiona,
        "claimed": claimed,
        "personal": personal,
        "claimed_run": claimed_run["id"],
        "personal_run": personal_run["id"],
    }


# ----------------------------------------------------------------------------- one person


def test_a_person_with_their_open_items_for_admins_and_ops(app, login, work):
    for viewer in ("ada", "otto"):
        response = login(viewer).get("/api/users/fiona")
        assert response.status_code == 200, response.get_json()
        user = response.get_json()
        assert user["username"] == "fiona" and user["active"] is True
        assert user["groups"] == [{"name": "finance", "kind": "group"}]
        assert user["open_items"] == {"assigned": 1, "claimed": 1}
    assert login("ada").get("/api/users/frank").get_json()["open_items"] == {"assigned": 0, "claimed": 0}
    assert login("ada").get("/api/users/nobody").status_code == 404
    assert login("fiona").get("/api/users/fiona").status_code == 403


def test_an_admin_changes_name_role_and_memberships(login):
    ada = login("ada")
    response = ada.patch("/api/users/sam", json={"display_name": "Sam Sales", "role": "ops", "groups": ["legal", "warehouse"]})
    assert response.status_code == 200, response.get_json()
    sam = response.get_json()
    assert sam["display_name"] == "Sam Sales" and sam["role"] == "ops"
    assert sam["groups"] == [{"name": "legal", "kind": "group"}, {"name": "warehouse", "kind": "queue"}]
    # Only what is given changes; an empty list empties the memberships.
    again = ada.patch("/api/users/sam", json={"groups": []}).get_json()
    assert again["groups"] == [] and again["display_name"] == "Sam Sales" and again["role"] == "ops"
    assert ada.get("/api/groups/legal").get_json()["members"] == [{"username": "alice", "display_name": "alice", "active": True}]
    assert login("otto").patch("/api/users/sam", json={"role": "admin"}).status_code == 403
    assert login("sam").patch("/api/users/sam", json={"role": "admin"}).status_code == 403


@pytest.mark.parametrize(
    "change, field",
    [
        ({"groups": ["finance", "nope"]}, "groups"),
        ({"role": "owner"}, "role"),
        ({"role": 1}, "role"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"groups": "finance"}, "groups"),
        ({"groups": [1]}, "groups"),
        ({"active": False}, "active"),
        ({"username": "other"}, "username"),
    ],
)
def test_hostile_changes_are_a_422_naming_the_field_and_change_nothing(login, change, field):
    ada = login("ada")
    before = ada.get("/api/users/fiona").get_json()
    response = ada.patch("/api/users/fiona", json=change)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]
    assert ada.get("/api/users/fiona").get_json() == before


def test_unknown_groups_are_named(login):
    response = login("ada").patch("/api/users/fiona", json={"groups": ["finance", "nope", "zilch"]})
    assert response.get_json()["error"]["message"] == "no such group or queue: nope, zilch"
    assert login("ada").patch("/api/users/nobody", json={"role": "ops"}).status_code == 404


def test_the_last_active_admin_keeps_the_role_and_stays_active(app, login):
    ada = login("ada")
    demoted = ada.patch("/api/users/ada", json={"role": "ops"})
    assert demoted.status_code == 409 and "last active admin" in demoted.get_json()["error"]["message"]
    itself = ada.post("/api/users/ada/deactivate", json={"reassign_to": None})
    assert itself.status_code == 409 and "yourself" in itself.get_json()["error"]["message"]
    # A second admin who is inactive does not count.
    assert ada.post("/api/users", json={"username": "bea", "password": PASSWORD, "role": "admin"}).status_code == 201
    assert ada.post("/api/users/bea/deactivate", json={"reassign_to": None}).status_code == 200
    assert ada.patch("/api/users/ada", json={"role": "member"}).status_code == 409
    assert ada.post("/api/users/bea/reactivate").status_code == 200
    bea = login("bea")
    # Now bea is the other active admin: ada may step down, and then bea may not.
    assert ada.patch("/api/users/ada", json={"role": "member"}).status_code == 200
    assert bea.patch("/api/users/bea", json={"role": "ops"}).status_code == 409
    last = bea.post("/api/users/ada/deactivate", json={"reassign_to": None})
    assert last.status_code == 200, last.get_json()  # ada is a member now: not the last admin
    assert bea.get("/api/users/bea").get_json()["role"] == "admin"


def test_the_last_active_admin_cannot_be_deactivated_by_another_admin_who_is_leaving(login):
    ada = login("ada")
    assert ada.post("/api/users", json={"username": "bea", "password": PASSWORD, "role": "admin"}).status_code == 201
    bea = login("bea")
    assert bea.post("/api/users/ada/deactivate", json={"reassign_to": None}).status_code == 200
    # ada's session ends on her next request; bea is now the last active admin.
    assert ada.get("/api/session").status_code == 401
    assert bea.patch("/api/users/bea", json={"role": "member"}).status_code == 409


# ----------------------------------------------------------------------------- deactivation


def test_deactivation_hands_the_work_over_and_ends_the_session(app, login, work):
    ada, fiona = work["ada"], work["fiona"]
    response = ada.post("/api/users/fiona/deactivate", json={"reassign_to": {"type": "user", "value": "frank"}})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["username"] == "fiona" and result["active"] is False
    assert (result["released"], result["reassigned"]) == (1, 1)
    assert result["open_items"] == {"assigned": 0, "claimed": 0}

    items = _items(app)
    claimed, personal = items[work["claimed"]["id"]], items[work["personal"]["id"]]
    assert claimed["status"] == "open" and claimed["claimed_by"] is None
    assert claimed["assignee"] == {"type": "group", "value": "finance"}
    assert personal["status"] == "open" and personal["assignee"] == {"type": "user", "value": "frank"}

    (released,) = _events(ada, work["claimed_run"], "work_item.released")
    assert released["by"] == "ada" and released["data"] == {"work_item": claimed["id"], "claimed_by": "fiona"}
    reassigned = _events(ada, work["personal_run"], "work_item.reassigned")[-1]
    assert reassigned["by"] == "ada"
    assert reassigned["data"]["from"] == {"type": "user", "value": "fiona"}
    assert reassigned["data"]["to"] == {"type": "user", "value": "frank"}
    frank = login("frank")
    assert any(n["work_item_id"] == personal["id"] for n in frank.get("/api/notifications").get_json()["items"])
    assert personal["id"] in {i["id"] for i in frank.get("/api/work-items?mine=1").get_json()["items"]}

    # Her session ends on its next request, and she cannot sign in again.
    assert fiona.get("/api/session").status_code == 401
    assert fiona.http.post("/api/session", json={"username": "fiona", "password": PASSWORD}).status_code == 401
    assert ada.post("/api/users/fiona/deactivate", json={"reassign_to": None}).status_code == 409  # already


def test_deactivation_on_postgresql_is_one_transaction(postgres_url):
    """The person and their work change in the engine's transaction on PostgreSQL too."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": postgres_url, "EMBEDDED_WORKER": False, "AUTOPROCESS": True})
    try:
        with app.app_context(), state().sessions.begin() as s:
            for name, kind in GROUPS.items():
                accounts.create_group(s, name, kind=kind)
            s.flush()
            for name, (role, groups) in PEOPLE.items():
                accounts.create_user(s, name, role=role, password=PASSWORD, groups=groups)
        ada, otto = Client(app, "ada"), Client(app, "otto")
        deploy(ada, EXPENSE)
        (item,) = _items(app, run=start(ada)["id"]).values()
        assert otto.post(f"/api/work-items/{item['id']}/reassign", json={"to": {"type": "user", "value": "fiona"}}).status_code == 200
        refused = ada.post("/api/users/fiona/deactivate", json={"reassign_to": None})
        assert refused.status_code == 422 and ada.get("/api/users/fiona").get_json()["active"] is True
        done = ada.post("/api/users/fiona/deactivate", json={"reassign_to": {"type": "group", "value": "legal"}})
        assert done.status_code == 200, done.get_json()
        assert (done.get_json()["active"], done.get_json()["reassigned"]) == (False, 1)
        assert _items(app)[item["id"]]["assignee"] == {"type": "group", "value": "legal"}
    finally:
        app.extensions["overture"].close()


def test_personal_items_to_a_queue_and_nothing_to_hand_over(app, login, work):
    ada = work["ada"]
    response = ada.post("/api/users/fiona/deactivate", json={"reassign_to": {"type": "queue", "value": "warehouse"}})
    assert response.status_code == 200, response.get_json()
    assert _items(app)[work["personal"]["id"]]["assignee"] == {"type": "queue", "value": "warehouse"}
    # Someone with no open items needs no reassign_to.
    empty = ada.post("/api/users/mallory/deactivate", json={"reassign_to": None})
    assert empty.status_code == 200 and (empty.get_json()["released"], empty.get_json()["reassigned"]) == (0, 0)


def test_personal_items_without_reassign_to_is_a_422_and_nothing_moves(app, login, work):
    ada = work["ada"]
    before = _items(app)
    response = ada.post("/api/users/fiona/deactivate", json={"reassign_to": None})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert "1 open work item" in error["message"] and "reassign_to" in error["message"]
    assert "reassign_to" in error["details"]
    # All or nothing: she is still active and still holds her claimed item.
    assert _items(app) == before
    assert ada.get("/api/users/fiona").get_json()["active"] is True
    assert work["fiona"].get("/api/session").status_code == 200
    assert _events(ada, work["claimed_run"], "work_item.released") == []


@pytest.mark.parametrize(
    "reassign_to, status",
    [
        ({"type": "user", "value": "nobody"}, 422),
        ({"type": "user", "value": "fiona"}, 422),  # the person leaving
        ({"type": "group", "value": "warehouse"}, 422),  # a queue, not a group
        ({"type": "queue", "value": "finance"}, 422),
        ({"type": "team", "value": "finance"}, 422),
        ({"type": "user"}, 422),
        ({"type": "user", "value": 7}, 422),
        ("frank", 422),
        ({"type": "user", "value": "frank", "extra": 1}, 422),
    ],
)
def test_hostile_reassign_to_is_refused_and_nothing_moves(app, login, work, reassign_to, status):
    ada = work["ada"]
    before = _items(app)
    response = ada.post("/api/users/fiona/deactivate", json={"reassign_to": reassign_to})
    assert response.status_code == status, response.get_json()
    assert "reassign_to" in response.get_json()["error"]["details"]
    assert _items(app) == before and ada.get("/api/users/fiona").get_json()["active"] is True


def test_reassigning_to_an_inactive_person_is_refused(app, login, work):
    ada = work["ada"]
    assert ada.post("/api/users/frank/deactivate", json={"reassign_to": None}).status_code == 200
    response = ada.post("/api/users/fiona/deactivate", json={"reassign_to": {"type": "user", "value": "frank"}})
    assert response.status_code == 422 and "inactive" in response.get_json()["error"]["message"]


def test_deactivate_needs_a_body_an_admin_and_a_real_person(login):
    ada = login("ada")
    assert ada.post("/api/users/mallory/deactivate", json={}).status_code == 422  # reassign_to must be said
    assert ada.post("/api/users/nobody/deactivate", json={"reassign_to": None}).status_code == 404
    assert login("otto").post("/api/users/mallory/deactivate", json={"reassign_to": None}).status_code == 403
    assert ada.post("/api/users/nobody/reactivate").status_code == 404
    assert ada.post("/api/users/mallory/reactivate", json={"active": True}).status_code == 422  # it takes no body


def test_a_reactivated_person_signs_in_again(login):
    ada = login("ada")
    assert ada.post("/api/users/sam/deactivate", json={"reassign_to": None}).status_code == 200
    response = ada.post("/api/users/sam/reactivate")
    assert response.status_code == 200 and response.get_json()["active"] is True
    assert login("sam").get("/api/session").status_code == 200


# ----------------------------------------------------------------------------- passwords


def test_an_admin_resets_a_password(app, login):
    ada = login("ada")
    short = ada.post("/api/users/sam/password", json={"password": "short"})
    assert short.status_code == 422 and "password" in short.get_json()["error"]["details"]
    for hostile in ({}, {"password": 12345678}, {"password": PASSWORD, "username": "ada"}):
        assert ada.post("/api/users/sam/password", json=hostile).status_code == 422
    assert ada.post("/api/users/nobody/password", json={"password": "a brand new secret phrase"}).status_code == 404
    assert login("otto").post("/api/users/sam/password", json={"password": "a brand new secret phrase"}).status_code == 403
    response = ada.post("/api/users/sam/password", json={"password": "a brand new secret phrase"})
    assert response.status_code == 200 and "password" not in response.get_data(as_text=True)
    http = app.test_client()
    assert http.post("/api/session", json={"username": "sam", "password": PASSWORD}).status_code == 401
    assert http.post("/api/session", json={"username": "sam", "password": "a brand new secret phrase"}).status_code == 200


def test_new_people_errors_name_their_field(login):
    ada = login("ada")
    cases = [
        ({"username": "Bad Name", "role": "member", "password": PASSWORD}, 422, "username"),
        ({"username": "newbie", "role": "member", "password": "short"}, 422, "password"),
        ({"username": "newbie", "role": "member", "password": PASSWORD, "groups": ["nope"]}, 422, "groups"),
        ({"username": "sam", "role": "member", "password": PASSWORD}, 409, "username"),
    ]
    for payload, status, field in cases:
        response = ada.post("/api/users", json=payload)
        assert response.status_code == status, (payload, response.get_json())
        assert field in response.get_json()["error"]["details"], (payload, response.get_json())
    assert ada.get("/api/users/newbie").status_code == 404


# ----------------------------------------------------------------------------- groups and queues


def test_groups_list_their_members(login):
    fiona = login("fiona")
    groups = {g["name"]: g for g in fiona.get("/api/groups").get_json()["items"]}
    assert groups["finance"] == {"name": "finance", "kind": "group", "label": "Finance", "members": ["fiona", "frank"]}
    assert groups["warehouse"]["members"] == ["walt"]
    created = login("ada").post("/api/groups", json={"name": "auditors", "kind": "queue", "label": "Audit"})
    assert created.get_json() == {"name": "auditors", "kind": "queue", "label": "Audit", "members": []}


def test_an_admin_edits_a_groups_label_and_members(login):
    ada = login("ada")
    detail = ada.get("/api/groups/finance")
    assert detail.status_code == 200
    assert detail.get_json()["members"] == [
        {"username": "fiona", "display_name": "fiona", "active": True},
        {"username": "frank", "display_name": "frank", "active": True},
    ]
    response = ada.patch("/api/groups/finance", json={"label": "Finance team", "members": ["frank", "walt", "walt"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["label"] == "Finance team"
    assert [m["username"] for m in response.get_json()["members"]] == ["frank", "walt"]
    # Memberships are one thing: the people's views follow.
    assert ada.get("/api/users/fiona").get_json()["groups"] == []
    assert {g["name"] for g in ada.get("/api/users/walt").get_json()["groups"]} == {"finance", "warehouse"}
    assert ada.patch("/api/groups/finance", json={"members": []}).get_json()["members"] == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"members": ["frank", "ghost", "phantom"]}, "members"),
        ({"members": "frank"}, "members"),
        ({"members": [None]}, "members"),
        ({"label": ""}, "label"),
        ({"label": " "}, "label"),
        ({"kind": "queue"}, "kind"),
    ],
)
def test_hostile_group_changes_are_a_422_and_change_nothing(login, change, field):
    ada = login("ada")
    before = ada.get("/api/groups/finance").get_json()
    response = ada.patch("/api/groups/finance", json=change)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]
    if field == "members" and isinstance(change["members"], list) and "ghost" in change["members"]:
        assert response.get_json()["error"]["message"] == "no such user: ghost, phantom"
    assert ada.get("/api/groups/finance").get_json() == before


def test_group_routes_for_who_may(login):
    assert login("ada").get("/api/groups/nope").status_code == 404
    assert login("ada").patch("/api/groups/nope", json={"label": "x"}).status_code == 404
    assert login("otto").get("/api/groups/finance").status_code == 200
    assert login("otto").patch("/api/groups/finance", json={"label": "x"}).status_code == 403
    assert login("fiona").get("/api/groups/finance").status_code == 403


# ----------------------------------------------------------------------------- record types


def test_record_types_list_the_orchestrations_their_saves_start(app, login):
    ada = login("ada")
    setup_contracts(ada)
    # A draft with a record trigger, never activated, starts nothing: not listed.
    draft = document(
        EXPENSE, key="contract_draft", label="Contract draft", trigger={"type": "record", "object": "contract", "on": ["create"]}
    )
    assert ada.post("/api/orchestrations", json=draft).status_code == 201
    types = {t["name"]: t for t in ada.get("/api/record-types").get_json()["items"]}
    assert types["contract"]["triggers"] == [
        {
            "orchestration": "contract_approval",
            "label": "Contract approval",
            "version": 1,
            "on": ["create", "update"],
            "condition": "record.status == 'submitted'",
        }
    ]
    plain = ada.post("/api/record-types", json={"name": "note", "fields": [{"name": "text", "type": "string"}]})
    assert plain.status_code == 201 and plain.get_json()["triggers"] == []


def test_error_codes_for_admin_routes(login):
    ada = login("ada")
    assert error_code(ada.patch("/api/users/sam", data="{", content_type="application/json")) == "malformed_json"
    assert ada.patch("/api/users/sam", data="x", content_type="text/plain").status_code == 415
