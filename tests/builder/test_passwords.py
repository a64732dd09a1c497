"""Password rules after NIST SP 800-63B: long, not common, not built on who the person
is, no composition rules; applied wherever a password is set, with the reason."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner, Result

from builder import create_app, passwords
from builder.cli import main
from tests.builder.conftest import PASSWORD
from tests.builder.test_cli import ENV

#: A password of the longest length allowed.
LONGEST = (
    "a quiet lighthouse keeps watch over forty nine grey boats in the harbour at dawn "
    "while gulls circle and the tide turns slowly towards home"
)[:128]
CONTEXT = passwords.context_words("sam", "Sam Seller", "sam.seller@example.com")


@pytest.mark.parametrize(
    "password, reason",
    [
        ("password", "at least 15 characters"),
        ("12345678", "at least 15 characters"),
        ("sam", "at least 15 characters"),
        ("passwordpassword", "too easy to guess"),
        ("1234567890123456", "commonly used password"),
        ("qwertyuiopasdfghjkl", "too easy to guess"),
        ("Password1234567!", "too easy to guess"),  # composition does not make it strong
        ("iloveyou12345678", "too easy to guess"),
        ("samsamsamsamsamsam", "built on your name"),
        ("Sam Seller Sam Seller!", "built on your name"),
        ("sam.seller@example.com", "built on your name"),
        ("overture overture 2026", "built on your name"),
        ("x" * 129, "at most 128 characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    assert reason in (passwords.problem(password, CONTEXT) or "")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",  # lower case and spaces only: no composition rules
        "teal lamp under the stairs",
        "sam likes green tea a lot",  # naming oneself among other words is fine
        "vq3 mz8 kp2 lw7 rt5",
        "a quiet lighthouse keeps watch over forty nine grey boats in the harbour at dawn",  # past zxcvbn's 72
        LONGEST,
    ],
)
def test_long_uncommon_passwords_are_accepted(password):
    assert len(LONGEST) == passwords.MAX_LENGTH
    assert passwords.problem(password, CONTEXT) is None


def test_the_minimum_length_is_a_setting_never_below_8():
    assert passwords.min_length(None) == 15
    assert passwords.min_length("10") == 10
    for bad in ("7", "200", "ten"):
        with pytest.raises(ValueError, match="OVERTURE_PASSWORD_MIN_LENGTH"):
            passwords.min_length(bad)
    assert passwords.problem("vq3mz8kp2!x", CONTEXT, shortest=10) is None
    assert "at least 15" in (passwords.problem("vq3mz8kp2!x", CONTEXT) or "")


def test_an_admin_creating_or_resetting_a_person_gets_the_reason(login):
    ada = login("ada")
    named = ada.post(
        "/api/users", json={"username": "nina", "display_name": "Nina Novak", "role": "member", "password": "nina novak nina novak"}
    )
    assert named.status_code == 422
    assert "built on your name" in named.get_json()["error"]["details"]["password"][0]
    common = ada.post("/api/users/sam/password", json={"password": "1234567890123456"})
    assert common.status_code == 422 and "commonly used" in common.get_json()["error"]["details"]["password"][0]
    long = ada.post("/api/users/sam/password", json={"password": "y" * 129})
    assert long.status_code == 422 and "at most 128" in long.get_json()["error"]["details"]["password"][0]
    assert ada.get("/api/users/nina").status_code == 404


def test_a_person_changing_their_password_gets_the_reason_and_keeps_the_old_one(app, login):
    sam = login("sam")
    sam.patch("/api/profile", json={"email": "sam.seller@example.com"})
    for new, reason in [
        ("sam.seller@example.com", "built on your name"),
        ("passwordpassword", "too easy to guess"),
        ("short one", "at least 15"),
    ]:
        response = sam.post("/api/profile/password", json={"current_password": PASSWORD, "new_password": new})
        assert response.status_code == 422, new
        assert reason in response.get_json()["error"]["details"]["new_password"][0]
    assert app.test_client().post("/api/session", json={"username": "sam", "password": PASSWORD}).status_code == 200


def cli(url: str, password: str, *args: str) -> Result:
    """An ``overture`` command given ``password`` on stdin."""
    return CliRunner().invoke(main, [*args, "--password-stdin", "--database-url", url], input=f"{password}\n", env=ENV)


def test_the_cli_refuses_a_weak_password_with_the_reason(tmp_path, migrated_db):
    path = tmp_path / "cli.db"
    shutil.copy(migrated_db, path)
    url = f"sqlite:///{path}"
    weak = cli(url, "nina12345678901", "create-user", "nina", "--role", "member")
    assert weak.exit_code == 1 and "too easy to guess" in weak.output
    fine = cli(url, "teal lamp under the stairs", "create-user", "nina", "--role", "member")
    assert fine.exit_code == 0, fine.output


def test_a_configured_minimum_applies_to_the_api(tmp_path, migrated_db, monkeypatch):
    path = tmp_path / "min.db"
    shutil.copy(migrated_db, path)
    monkeypatch.setenv("OVERTURE_PASSWORD_MIN_LENGTH", "20")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{path}", "EMBEDDED_WORKER": False})
    try:
        from builder import accounts
        from runtime.errors import InvalidInput

        with app.app_context(), pytest.raises(InvalidInput, match="at least 20"):
            accounts.check_password("teal lamp stairs", "nina")
    finally:
        app.extensions["overture"].close()


def test_the_cli_sets_a_password_by_the_rules_and_ends_the_sessions(tmp_path, migrated_db):
    from tests.builder.test_cli import app_on

    path = tmp_path / "set.db"
    shutil.copy(migrated_db, path)
    url = f"sqlite:///{path}"
    made = cli(url, "teal lamp under the stairs", "create-user", "nina", "--role", "admin")
    assert made.exit_code == 0, made.output
    app = app_on(url)
    try:
        http = app.test_client()
        assert http.post("/api/session", json={"username": "nina", "password": "teal lamp under the stairs"}).status_code == 200
        weak = cli(url, "nina nina nina nina", "set-password", "nina")
        assert weak.exit_code == 1 and "built on your name" in weak.output
        assert http.get("/api/session").status_code == 200
        unknown = cli(url, "teal lamp under the stairs", "set-password", "nobody")
        assert unknown.exit_code == 1 and "nobody" in unknown.output
        fine = cli(url, "orange kettle quietly hums", "set-password", "nina")
        assert fine.exit_code == 0 and "signed out everywhere" in fine.output
        assert http.get("/api/session").status_code == 401
        assert http.post("/api/session", json={"username": "nina", "password": "orange kettle quietly hums"}).status_code == 200
    finally:
        app.extensions["overture"].close()
