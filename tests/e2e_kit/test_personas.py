"""Personas files of the end-to-end plugin: accounts by name, secrets only from the environment."""

from __future__ import annotations

import pytest

from overture_e2e.personas import Persona, PersonaError, load_personas, parse_personas


def test_a_personas_file_maps_names_to_people_and_systems(tmp_path, monkeypatch):
    path = tmp_path / "personas.yaml"
    path.write_text("alice: {username: alice.smith, password_env: ALICE_PW}\ncrm:\n  token_env: CRM_TOKEN\n")
    personas = load_personas(path)
    assert personas == {
        "alice": Persona("alice", username="alice.smith", password_env="ALICE_PW"),
        "crm": Persona("crm", token_env="CRM_TOKEN"),
    }
    monkeypatch.setenv("ALICE_PW", "correct horse")
    monkeypatch.setenv("CRM_TOKEN", "ovt_secret")
    assert personas["alice"].secret_password() == "correct horse"
    assert personas["crm"].secret_token() == "ovt_secret"
    assert Persona("sam", username="sam", password="given in code").secret_password() == "given in code"


def test_a_missing_variable_names_the_persona_and_the_variable(monkeypatch):
    monkeypatch.delenv("ALICE_PW", raising=False)
    alice = Persona("alice", username="alice.smith", password_env="ALICE_PW")
    with pytest.raises(PersonaError, match=r"persona 'alice': the environment variable ALICE_PW \(its password\) is not set"):
        alice.secret_password()
    with pytest.raises(PersonaError, match="is a system .* cannot sign in to the browser"):
        Persona("crm", token_env="CRM_TOKEN").secret_password()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alice": {"username": "alice", "password": "hunter2"}}, "secrets never go in the file"),
        ({"crm": {"token": "ovt_x"}}, "secrets never go in the file"),
        ({"alice": {"username": "alice"}}, "a person needs password_env"),
        ({"alice": {"password_env": "PW"}}, "give username and password_env"),
        ({"alice": {"username": "alice", "password_env": "PW", "role": "admin"}}, r"unknown key\(s\) role"),
        ({"alice": {"username": "alice", "password_env": "not a name"}}, "is not an environment variable's name"),
        ({"alice": {"username": "", "password_env": "PW"}}, "username must be a non-empty string"),
        ({"alice": "alice.smith"}, "expected {username"),
        ({"two words": {"token_env": "T"}}, "a persona name is a word"),
        (["alice"], "expected a mapping of persona names"),
    ],
)
def test_a_bad_personas_file_is_refused_with_the_reason(data, message):
    with pytest.raises(PersonaError, match=message):
        parse_personas(data, "personas.yaml")


def test_an_unreadable_or_invalid_file_says_so(tmp_path):
    with pytest.raises(PersonaError, match="cannot read the personas file"):
        load_personas(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("alice: [unclosed\n")
    with pytest.raises(PersonaError, match="is not valid YAML"):
        load_personas(tmp_path / "bad.yaml")
    (tmp_path / "empty.yaml").write_text("")
    assert load_personas(tmp_path / "empty.yaml") == {}


def test_the_file_overture_test_ui_reads_is_read_alike(tmp_path, monkeypatch):
    """One personas file for the plugin and ``overture test --ui``: a default password_env,
    personas under ``personas:`` as well as by name, the admin a persona like any other."""
    from runtime.testing.ui.personas import load_accounts

    path = tmp_path / "personas.yaml"
    path.write_text(
        "password_env: TEAM_PW\n"
        "admin: {username: qa.admin, password_env: ADMIN_PW}\n"
        "legal: {username: a.jones}\n"
        "personas:\n  finance: {username: f.smith}\n"
    )
    assert load_personas(path) == {
        "admin": Persona("admin", username="qa.admin", password_env="ADMIN_PW"),
        "legal": Persona("legal", username="a.jones", password_env="TEAM_PW"),
        "finance": Persona("finance", username="f.smith", password_env="TEAM_PW"),
    }
    monkeypatch.setenv("TEAM_PW", "team secret")
    monkeypatch.setenv("ADMIN_PW", "admin secret")
    accounts = load_accounts(path)
    assert (accounts.admin.user, accounts.admin.password) == ("qa.admin", "admin secret")
    assert {name: (a.user, a.password) for name, a in accounts.personas.items()} == {
        "legal": ("a.jones", "team secret"),
        "finance": ("f.smith", "team secret"),
    }
    with pytest.raises(PersonaError, match="password_env 3 is not an environment variable's name"):
        parse_personas({"password_env": 3})
