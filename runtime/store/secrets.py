"""The secrets store in the database: values encrypted at rest (Fernet: AES-128-CBC with
an HMAC-SHA256), with keys derived from the server key (``OVERTURE_SECRET_KEY``) by
HKDF, one for encryption and one for the tags of references (runtime/secrets.py).

Whoever holds a copy of the database without the server key reads names and dates,
never a value. Changing the server key makes the stored values unreadable: a step that
needs one then fails saying so, and an admin enters the secrets again.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from runtime.secrets import keyed_tag
from runtime.store.tables import SecretRow


def _derive(server_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"overture " + purpose).derive(server_key.encode())


class SqlSecrets:
    """The :class:`runtime.secrets.SecretStore` of the web app and its workers."""

    def __init__(self, engine: Engine, server_key: str):
        if not server_key:
            raise ValueError("the secrets store needs the server key")
        self._sessions = sessionmaker(engine)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(server_key, b"secrets v1")))
        self._tag_key = _derive(server_key, b"secret references v1")

    # ---- what the engine asks

    def _reading(self) -> Session:
        session = self._sessions()
        session.connection(execution_options={"overture_write": False})  # a plain BEGIN: never queues behind a writer
        return session

    def names(self) -> frozenset[str]:
        with self._reading() as s:
            return frozenset(s.scalars(select(SecretRow.name)))

    def value(self, name: str) -> str | None:
        with self._reading() as s:
            row = s.get(SecretRow, name)
            ciphertext = row.ciphertext if row is not None else None
        if ciphertext is None:
            return None
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("it was stored under another server key (OVERTURE_SECRET_KEY changed); an admin enters it again") from None

    def tag(self, name: str) -> str:
        return keyed_tag(self._tag_key, name)

    # ---- what admins do (the caller opens the transaction)

    def put(self, session: Session, name: str, value: str, *, by: str | None, now: datetime) -> tuple[SecretRow, bool]:
        """Store ``value`` under ``name`` (a new secret, or a new value); (row, created)."""
        ciphertext = self._fernet.encrypt(value.encode()).decode()
        row = session.get(SecretRow, name)
        if row is None:
            row = SecretRow(name=name, ciphertext=ciphertext, created_at=now, created_by=by, updated_at=now, updated_by=by)
            session.add(row)
            return row, True
        row.ciphertext, row.updated_at, row.updated_by = ciphertext, now, by
        return row, False
