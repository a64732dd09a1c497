"""Which account each persona of a scenario signs in as on a real server.

A scenario names personas (``legal``, ``requester``); a server has accounts. The
mapping comes, for each persona, from the first of:

1. the personas file (``--personas FILE``): ``personas: {legal: {user: a.jones}}``;
2. the scenario's ``environments.<NAME>`` (``--env NAME``);
3. the persona's own ``user``, when the server has that account;
4. an active member of every group and queue the persona declares (one not taken by
   another persona of the scenario when there is one);
5. a persona in no group and no queue (a requester, a customer), or in groups nobody is
   in on the server: an active member in none of the scenario's groups and queues (the
   one with the fewest groups), not taken by another persona.

Passwords never sit in a scenario or in the personas file: each account's password is
read from the environment variable the file names (``password_env``, per account or for
all), else ``OVERTURE_E2E_PASSWORD``. Without a file, the accounts are those of the demo
(``overture seed --demo``, what ``make run`` serves) with the demo's published password.

The file (YAML)::

    admin: {username: ada, password_env: OVERTURE_ADMIN_PASSWORD}   # checks, events, the test clock
    password_env: OVERTURE_E2E_PASSWORD                               # the default for everyone
    legal: {username: a.jones, password_env: OVERTURE_PASSWORD_AJONES}
    finance: {username: f.smith}

(personas may also go under ``personas:``; ``user`` is the same as ``username``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runtime.testing.scenario import Scenario

#: The demo's published password (``overture seed --demo``).
DEMO_PASSWORD = "overture-demo"
#: The demo's admin, who posts events, moves the test clock and reads runs.
DEMO_ADMIN = "ada"
DEFAULT_PASSWORD_ENV = "OVERTURE_E2E_PASSWORD"


class PersonasError(ValueError):
    """The personas file is wrong, or a persona has no account."""


@dataclass(frozen=True)
class Account:
    user: str
    password: str


@dataclass
class Accounts:
    """The personas file: who the admin is, and accounts for persona names."""

    admin: Account
    personas: dict[str, Account] = field(default_factory=dict)
    default_password: str = DEMO_PASSWORD
    source: str = "the demo's accounts"

    def password_of(self, user: str) -> str:
        for account in (self.admin, *self.personas.values()):
            if account.user == user:
                return account.password
        return self.default_password


def demo_accounts(environ: Mapping[str, str] = os.environ) -> Accounts:
    """The demo server's accounts (``make run``): its people, its password."""
    password = environ.get(DEFAULT_PASSWORD_ENV) or DEMO_PASSWORD
    return Accounts(Account(DEMO_ADMIN, password), default_password=password)


def load_accounts(path: Path, environ: Mapping[str, str] = os.environ) -> Accounts:
    """The personas file at ``path``; :class:`PersonasError` says what is wrong with it.

    Personas are listed under ``personas:`` or at the top level (``legal: {username: alice,
    password_env: LEGAL_PASSWORD}``, the packaged pytest plugin's file); ``user`` and
    ``username`` are the same. The admin is ``admin:``, else ``$OVERTURE_E2E_ADMIN``.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PersonasError(f"{path}: cannot read the personas file: {exc}") from None
    if not isinstance(data, dict):
        raise PersonasError(f"{path}: a personas file is a mapping (admin, password_env, personas)")
    default_env = str(data.get("password_env", DEFAULT_PASSWORD_ENV))
    default = environ.get(default_env)

    def account(where: str, entry: Any) -> Account:
        if isinstance(entry, str):
            entry = {"user": entry}
        if isinstance(entry, dict) and "username" in entry and "user" not in entry:
            entry = {("user" if k == "username" else k): v for k, v in entry.items()}
        if not isinstance(entry, dict) or not isinstance(entry.get("user"), str) or set(entry) - {"user", "password_env"}:
            raise PersonasError(f"{path}: {where}: expected {{username: NAME, password_env: VARIABLE}}")
        variable = str(entry.get("password_env", default_env))
        password = environ.get(variable) or default
        if not password:
            raise PersonasError(f"{path}: {where}: the password of {entry['user']} is in ${variable}, which is not set")
        return Account(entry["user"], password)

    listed = data.get("personas") or {}
    if not isinstance(listed, dict):
        raise PersonasError(f"{path}: personas: a mapping of persona name to account")
    top = {k: v for k, v in data.items() if k not in ("admin", "password_env", "personas")}
    wrong = sorted(k for k, v in top.items() if not isinstance(v, dict))
    if wrong:
        raise PersonasError(
            f"{path}: unknown keys {', '.join(map(str, wrong))} (expected admin, password_env, personas, or personas by name)"
        )
    if "admin" in data:
        admin = account("admin", data["admin"])
    elif environ.get("OVERTURE_E2E_ADMIN"):
        admin = account("$OVERTURE_E2E_ADMIN", {"user": environ["OVERTURE_E2E_ADMIN"], "password_env": "OVERTURE_E2E_ADMIN_PASSWORD"})
    else:
        raise PersonasError(
            f"{path}: name an admin account (admin: {{username: NAME, password_env: VARIABLE}}, or $OVERTURE_E2E_ADMIN): "
            "it posts events, moves the test clock and reads runs"
        )
    return Accounts(
        admin,
        {str(name): account(str(name), entry) for name, entry in {**top, **listed}.items()},
        default_password=default or "",
        source=str(path),
    )


@dataclass(frozen=True)
class Person:
    """An account on the server: its name, role and the groups and queues it is in."""

    user: str
    role: str
    teams: frozenset[str]
    active: bool = True


def people_of(users: list[dict[str, Any]]) -> dict[str, Person]:
    """``GET /api/users`` items as :class:`Person` by user name."""
    return {
        u["username"]: Person(u["username"], u["role"], frozenset(g["name"] for g in u.get("groups", [])), bool(u.get("active", True)))
        for u in users
    }


def bind(
    scenario: Scenario, accounts: Accounts, people: Mapping[str, Person], environment: str | None = None
) -> dict[str, tuple[str, str]]:
    """``{persona: (user, why)}`` for every persona the scenario acts as (see the module's rules)."""
    declared = {name: dict(p) for name, p in scenario.personas.items()}
    used = {str(s.get("as")) for s in scenario.steps if s.get("as")}
    for step in scenario.steps:
        body = step.get("start") or step.get("update_record")
        if isinstance(body, dict):
            for key in ("as",):
                if body.get(key):
                    used.add(str(body[key]))
            owner = (body.get("record") or {}).get("owner")
            if owner:
                used.add(str(owner))
        to = step.get("to")
        if isinstance(to, dict) and "persona" in to:
            used.add(str(to["persona"]))
        expected = step.get("expect")
        if isinstance(expected, dict) and isinstance(expected.get("visible"), dict):
            used.update(str(p) for p in expected["visible"])
    for name in used:
        declared.setdefault(name, {})
    scenario_teams = {t for p in declared.values() for t in (*p.get("groups", ()), *p.get("queues", ()))}
    environments = scenario.environments.get(environment, {}) if environment else {}
    members = sorted(p.user for p in people.values() if p.active and p.role == "member")
    bound: dict[str, tuple[str, str]] = {}
    # Explicit choices first, so that the automatic ones avoid the accounts they took.
    for name, persona in declared.items():
        if name in accounts.personas:
            bound[name] = (accounts.personas[name].user, accounts.source)
        elif name in environments:
            bound[name] = (str(environments[name]), f"environment {environment}")
        elif str(persona.get("user", name)) in people:
            bound[name] = (str(persona.get("user", name)), "same name")
    taken = {user for user, _ in bound.values()}
    for name, persona in sorted(declared.items()):
        if name in bound:
            continue
        teams = {*persona.get("groups", ()), *persona.get("queues", ())}
        fits = [u for u in members if teams <= people[u].teams] if teams else []
        why = f"member of {', '.join(sorted(teams))}"
        if not fits:  # a persona in no group, or in groups the server does not have: someone without other duties
            fits = [u for u in members if not people[u].teams & scenario_teams]
            why = "in none of the scenario's groups and queues" + (f" (nobody is in {', '.join(sorted(teams))})" if teams else "")
        if not fits:
            raise PersonasError(f"persona {name}: no account for it: name one in the personas file (personas: {{{name}: {{user: NAME}}}})")
        fits.sort(key=lambda u: (len(people[u].teams), u))  # the fewest other duties first
        free = [u for u in fits if u not in taken] or fits
        bound[name] = (free[0], why)
        taken.add(free[0])
    return bound
