"""Personas through the UI: who each persona signs in as on a server, and the personas file."""

from __future__ import annotations

import pytest

from runtime.testing.scenario import load_scenario
from runtime.testing.ui.personas import DEMO_PASSWORD, Person, PersonasError, bind, demo_accounts, load_accounts

PEOPLE = {
    p.user: p
    for p in (
        Person("ada", "admin", frozenset({"admin"})),
        Person("sam", "member", frozenset({"sales"})),
        Person("alice", "member", frozenset({"legal"})),
        Person("lena", "member", frozenset({"legal"})),
        Person("nina", "member", frozenset()),
        Person("gone", "member", frozenset(), active=False),
    )
}

SCENARIO = """
scenario: 1
name: People
orchestration: contract_approval
personas:
  requester: {user: sam}
  legal: {user: l.jones, groups: [legal]}
  second_legal: {user: x.y, groups: [legal]}
  customer: {user: carla}
  dev: {user: dave, groups: [developers]}
environments:
  staging: {legal: lena}
steps:
  - start: {inputs: {}}
  - expect: {status: in_progress}
"""


def test_each_persona_gets_an_account_and_why():
    bound = bind(load_scenario(SCENARIO), demo_accounts({}), PEOPLE)
    assert bound["requester"] == ("sam", "same name")
    # Members of the group, one each while there are enough.
    assert {bound["legal"][0], bound["second_legal"][0]} == {"alice", "lena"}
    assert bound["legal"][1] == "member of legal"
    # No such account and no group: the member with the fewest duties (never an inactive one).
    assert bound["customer"] == ("nina", "in none of the scenario's groups and queues")
    assert bound["dev"][0] == "nina" and "nobody is in developers" in bound["dev"][1]


def test_the_environment_and_the_personas_file_win(tmp_path):
    file = tmp_path / "personas.yaml"
    file.write_text("admin: ada\npersonas:\n  requester: {user: alice, password_env: ALICE_PW}\n")
    accounts = load_accounts(file, {"OVERTURE_E2E_PASSWORD": "everyone", "ALICE_PW": "alice's"})
    bound = bind(load_scenario(SCENARIO), accounts, PEOPLE, environment="staging")
    assert bound["requester"] == ("alice", str(file)) and bound["legal"] == ("lena", "environment staging")
    assert accounts.password_of("alice") == "alice's" and accounts.password_of("sam") == "everyone"
    assert demo_accounts({}).password_of("sam") == DEMO_PASSWORD


def test_the_plugins_personas_file_reads_too(tmp_path):
    file = tmp_path / "personas.yaml"
    file.write_text("sales: {username: sam, password_env: SALES_PASSWORD}\nlegal: {username: alice}\n")
    environ = {"SALES_PASSWORD": "s", "OVERTURE_E2E_PASSWORD": "d", "OVERTURE_E2E_ADMIN": "boss", "OVERTURE_E2E_ADMIN_PASSWORD": "b"}
    accounts = load_accounts(file, environ)
    assert (accounts.admin.user, accounts.admin.password) == ("boss", "b")
    assert accounts.personas["sales"].user == "sam" and accounts.password_of("sam") == "s" and accounts.password_of("alice") == "d"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("personas: {}\n", "name an admin account"),
        ("admin: ada\nextra: 1\n", "unknown keys extra"),
        ("admin: {user: ada, password: hunter2}\n", "expected {username: NAME, password_env: VARIABLE}"),
        ("admin: {user: ada, password_env: NOPE}\n", "$NOPE, which is not set"),
        ("- ada\n", "a personas file is a mapping"),
        ("admin: [\n", "cannot read the personas file"),
    ],
)
def test_a_bad_personas_file_says_what_is_wrong(tmp_path, text, problem):
    file = tmp_path / "personas.yaml"
    file.write_text(text)
    with pytest.raises(PersonasError) as raised:
        load_accounts(file, {})
    assert problem in str(raised.value)


def test_a_persona_nobody_can_be_is_named():
    people = {"ada": PEOPLE["ada"], "sam": PEOPLE["sam"]}
    with pytest.raises(PersonasError, match=r"persona customer: no account for it: name one in the personas file"):
        bind(
            load_scenario(SCENARIO.replace("requester: {user: sam}", "requester: {user: sam, groups: [sales]}")), demo_accounts({}), people
        )
