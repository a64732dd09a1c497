"""Personas: the names a test uses ("alice", "legal") mapped to real accounts of a deployment.

A personas file is YAML, one persona a key::

    alice: {username: alice.smith, password_env: ALICE_PW}   # a person: signs in to the browser and the API
    crm:   {token_env: CRM_TOKEN}                             # a system: an API token (API only)

Passwords and tokens come from environment variables, named in the file: never the
secret itself (a ``password`` or ``token`` key is refused). A missing variable fails
only the test that uses that persona, naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
KEYS = {"username", "password_env", "token_env"}


class PersonaError(ValueError):
    """A personas file or a persona that cannot be used, with the reason."""


@dataclass(frozen=True)
class Persona:
    """One persona: a person (``username`` and the variable holding the password) or a
    system (the variable holding its API token).

    ``password`` may be given in code (the project's own suite signs in its demo people
    with the demo password); a personas file never carries it.
    """

    name: str
    username: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    password: str | None = None

    def secret_password(self) -> str:
        """The password, from code or from its environment variable."""
        if self.username is None:
            raise PersonaError(f"persona {self.name!r} is a system (an API token): it cannot sign in to the browser")
        if self.password is not None:
            return self.password
        return _from_env(self.name, self.password_env, "password")

    def secret_token(self) -> str:
        return _from_env(self.name, self.token_env, "token")


def _from_env(persona: str, variable: str | None, what: str) -> str:
    if variable is None:
        raise PersonaError(f"persona {persona!r} has no {what}_env")
    value = os.environ.get(variable)
    if not value:
        raise PersonaError(f"persona {persona!r}: the environment variable {variable} (its {what}) is not set")
    return value


def parse_personas(data: Any, source: str = "personas") -> dict[str, Persona]:
    """Personas from the parsed YAML; :class:`PersonaError` naming the persona and the problem."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise PersonaError(f"{source}: expected a mapping of persona names to accounts, got {type(data).__name__}")
    # The shape `overture test --ui` reads too: a default `password_env` for every person
    # without their own, and personas listed under `personas:` as well as by name.
    default_env = data.get("password_env")
    if default_env is not None and (not isinstance(default_env, str) or not ENV_NAME.match(default_env)):
        raise PersonaError(f"{source}: password_env {default_env!r} is not an environment variable's name")
    listed = data.get("personas") or {}
    if not isinstance(listed, Mapping):
        raise PersonaError(f"{source}: personas: expected a mapping of persona names to accounts")
    entries = {**{k: v for k, v in data.items() if k not in ("password_env", "personas")}, **listed}
    personas: dict[str, Persona] = {}
    for name, entry in entries.items():
        where = f"{source}: persona {name!r}"
        if isinstance(entry, Mapping) and default_env and "username" in entry and "password_env" not in entry:
            entry = {**entry, "password_env": default_env}
        if not isinstance(name, str) or not NAME.match(name):
            raise PersonaError(f"{where}: a persona name is a word of letters, digits, '_', '.', '-' (at most 64)")
        if not isinstance(entry, Mapping):
            raise PersonaError(f"{where}: expected {{username: ..., password_env: ...}} or {{token_env: ...}}")
        if "password" in entry or "token" in entry:
            raise PersonaError(
                f"{where}: secrets never go in the file: name the environment variable that holds it (password_env, token_env)"
            )
        unknown = sorted(set(entry) - KEYS)
        if unknown:
            raise PersonaError(f"{where}: unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(sorted(KEYS))})")
        for key in entry:
            value = entry[key]
            if not isinstance(value, str) or not value.strip():
                raise PersonaError(f"{where}: {key} must be a non-empty string")
            if key.endswith("_env") and not ENV_NAME.match(value):
                raise PersonaError(f"{where}: {key} {value!r} is not an environment variable's name")
        username, password_env, token_env = entry.get("username"), entry.get("password_env"), entry.get("token_env")
        if username is not None and password_env is None:
            raise PersonaError(f"{where}: a person needs password_env (the variable holding the password)")
        if username is None and token_env is None:
            raise PersonaError(f"{where}: give username and password_env (a person) or token_env (a system)")
        if username is None and password_env is not None:
            raise PersonaError(f"{where}: password_env without username")
        personas[name] = Persona(name, username=username, password_env=password_env, token_env=token_env)
    return personas


def load_personas(path: str | Path) -> dict[str, Persona]:
    """Read a personas file (YAML)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PersonaError(f"cannot read the personas file {file}: {error.strerror or error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PersonaError(f"{file} is not valid YAML: {error}") from None
    return parse_personas(data, str(file))
