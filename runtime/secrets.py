"""Secrets that action inputs name (``secrets.crm_token``): how the runtime reaches
them without knowing where they are kept, and how their values stay out of everything
a run records (ARCHITECTURE §2, secrets).

Evaluating a background step's inputs never sees a value: ``secrets.<name>`` is a
*reference*, a marker string with the name and a tag only the keeper of the secrets
can make (so a person typing a marker into a form cannot have a secret sent anywhere).
References travel with the job, so the jobs table holds no value; just before the
action runs, :func:`reveal` swaps each reference for its value, and what the action
returns or raises goes through :func:`mask` before anything is stored, logged or sent
to a page.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

#: What a secret's value is shown as, wherever it would surface.
MASK = "••••"
#: A secret's name: an identifier, as CEL's ``secrets.<name>`` needs.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

_MARK = "\u2063"  # INVISIBLE SEPARATOR: never typed by accident, kept by JSON and CEL
_REFERENCE = re.compile(_MARK + r"secret:([A-Za-z_][A-Za-z0-9_]{0,63}):([0-9a-f]{32})" + _MARK)


class SecretStore(Protocol):
    """Where the engine gets secrets (the web app's encrypted table, or test values)."""

    def names(self) -> frozenset[str]:
        """Every secret's name."""

    def value(self, name: str) -> str | None:
        """The value of ``name``, or None when there is no such secret."""

    def tag(self, name: str) -> str:
        """A keyed digest of ``name`` (32 hex digits) that marks a reference as made here."""


class UnknownSecret(LookupError):
    """An action input names a secret that does not exist (or cannot be read)."""


def keyed_tag(key: bytes, name: str) -> str:
    return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()[:32]


class MockSecrets:
    """Secrets held in memory: the values a test gives, or none.

    ``everything=True`` answers every name with :data:`MASK` (the scenario runner and the
    builder's Test run: actions are mocked there, and no real value is ever read).
    """

    def __init__(self, values: Mapping[str, str] | None = None, *, everything: bool = False):
        self._values = dict(values or {})
        self._everything = everything
        self._key = os.urandom(32)

    def names(self) -> frozenset[str]:
        return frozenset(self._values)

    def value(self, name: str) -> str | None:
        return MASK if self._everything else self._values.get(name)

    def tag(self, name: str) -> str:
        return keyed_tag(self._key, name)


def reference(store: SecretStore, name: str) -> str:
    """What ``secrets.<name>`` evaluates to: a reference, never the value."""
    return f"{_MARK}secret:{name}:{store.tag(name)}{_MARK}"


def references(store: SecretStore, names: Iterable[str]) -> dict[str, str]:
    """The ``secrets`` map of an expression's scope, for the names it reads."""
    return {name: reference(store, name) for name in names}


def reveal(value: Any, store: SecretStore) -> tuple[Any, list[str]]:
    """``value`` with every reference made by ``store`` replaced by the secret's value,
    and the values put in (to mask in what comes back).

    Raises:
        UnknownSecret: a reference names a secret that does not exist.
    """
    used: list[str] = []

    def swap(match: re.Match[str]) -> str:
        name, tag = match.group(1), match.group(2)
        if not hmac.compare_digest(tag, store.tag(name)):
            return MASK  # not made here: never a way to a value
        try:
            secret = store.value(name)
        except Exception as exc:  # a value that cannot be decrypted (the server key changed)
            raise UnknownSecret(f"secret {name} cannot be read: {exc}") from None
        if secret is None:
            raise UnknownSecret(f"there is no secret {name}: an admin adds it under Admin, Secrets")
        used.append(secret)
        return secret

    return _each_string(value, lambda text: _REFERENCE.sub(swap, text) if _MARK in text else text), used


def mask(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of a secret's value, and every reference, shown as
    :data:`MASK` (strings anywhere in lists and maps, keys included)."""
    values = sorted({s for s in secrets if s}, key=len, reverse=True)

    def hide(text: str) -> str:
        # references first: a value may occur inside a reference's tag, and hiding it there
        # first would leave the rest of the reference showing
        if _MARK in text:
            text = _REFERENCE.sub(MASK, text)
        for secret in values:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    return _each_string(value, hide)


def _each_string(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {_each_string(k, change): _each_string(v, change) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_each_string(v, change) for v in value]
    return value
