"""Who is calling: a person with a session cookie, or a system with a bearer token.

- People sign in at ``POST /api/session``; the signed session cookie is HttpOnly and
  SameSite=Lax, and every state-changing request made with it must carry the session's
  CSRF token in ``X-CSRF-Token``.
- Systems send ``Authorization: Bearer <token>``; a token may only start runs, create
  and update records and publish events (routes marked :func:`tokens_allowed`).
- Routes say which roles may call them with :func:`roles`; failed sign-ins are rate
  limited per address and user name.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Flask, g, jsonify, request, session
from marshmallow import fields

from builder import accounts
from builder.api.common import StrictSchema, body, uses
from builder.errors import ApiError
from builder.extensions import db
from runtime.store.tables import UserRow

bp = Blueprint("session", __name__, url_prefix="/api/session")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 60.0


@dataclass(frozen=True)
class Principal:
    """The caller: ``kind`` is "user" (with a role) or "token"."""

    name: str
    kind: str
    role: str | None = None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"


def current() -> Principal | None:
    return g.get("principal")


def require_user() -> Principal:
    principal = current()
    if principal is None or not principal.is_user:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/session)")
    return principal


def roles(*allowed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only signed-in people with one of these roles (all roles when none is given)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current()
            if principal is None:
                raise ApiError(401, "unauthenticated", "sign in first (POST /api/session) or send a bearer token")
            if not principal.is_user:
                if not getattr(wrapper, "tokens_allowed", False):
                    raise ApiError(403, "forbidden", "API tokens may only start runs, create or update records and publish events")
            elif allowed and principal.role not in allowed:
                raise ApiError(403, "forbidden", f"this needs the role {' or '.join(allowed)}; you are {principal.role}")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed or ("admin", "ops", "member")  # type: ignore[attr-defined]
        wrapper.tokens_allowed = False  # type: ignore[attr-defined]
        return wrapper

    return decorate


def tokens_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let bearer tokens call this route too (apply outside :func:`roles`)."""
    view.tokens_allowed = True  # type: ignore[attr-defined]
    return view


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone may call this route, signed in or not (documented without security)."""
    view.public = True  # type: ignore[attr-defined]
    return view


class _LoginLimiter:
    """Failed sign-ins per (address, user name) in a sliding window, per process."""

    def __init__(self) -> None:
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str]) -> float:
        with self._lock:
            window = self._failures[key]
            now = time.monotonic()
            while window and window[0] < now - LOGIN_WINDOW:
                window.popleft()
            return (window[0] + LOGIN_WINDOW - now) if len(window) >= LOGIN_ATTEMPTS else 0.0

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures[key].append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


limiter = _LoginLimiter()


class LoginSchema(StrictSchema):
    username = fields.String(required=True)
    password = fields.String(required=True)


def _load_principal() -> None:
    g.principal = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        with db().begin() as s:
            token = accounts.token_owner(s, header[len("Bearer "):].strip())
            if token is None:
                raise ApiError(401, "invalid_token", "the bearer token is unknown or revoked")
            g.principal = Principal(f"token:{token.name}", "token")
        return
    username = session.get("user")
    if not username:
        return
    with db()() as s:
        user = s.get(UserRow, username)
        if user is None or not user.active:
            session.clear()
            return
        g.principal = Principal(user.id, "user", user.role)
    if request.method in STATE_CHANGING and request.blueprint != "session":
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent or not secrets.compare_digest(sent.encode(), session.get("csrf", "").encode()):
            raise ApiError(403, "csrf", "missing or wrong X-CSRF-Token header (GET /api/session gives it)")


def init_app(app: Flask) -> None:
    app.before_request(_load_principal)
    app.register_blueprint(bp)


def _session_view(principal: Principal) -> dict[str, Any]:
    with db()() as s:
        user = s.get(UserRow, principal.name)
        assert user is not None
        return {"user": accounts.user_view(s, user), "csrf_token": session.get("csrf")}


@bp.post("")
@uses(LoginSchema)
@public
def login() -> Any:
    data = body(LoginSchema())
    key = (request.remote_addr or "", str(data["username"]).lower())
    wait = limiter.blocked(key)
    if wait:
        raise ApiError(429, "too_many_attempts", f"too many failed sign-ins; try again in {int(wait) + 1} s")
    with db()() as s:
        user = accounts.authenticate(s, data["username"], data["password"])
        if user is None:
            limiter.failed(key)
            raise ApiError(401, "bad_credentials", "unknown user name or wrong password")
        principal = Principal(user.id, "user", user.role)
    limiter.succeeded(key)
    session.clear()
    session["user"] = principal.name
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    return jsonify(_session_view(principal))


@bp.get("")
def whoami() -> Any:
    principal = require_user()
    return jsonify(_session_view(principal))


@bp.delete("")
def logout() -> Any:
    principal = require_user()
    sent = request.headers.get("X-CSRF-Token", "")
    if not secrets.compare_digest(sent.encode(), session.get("csrf", "").encode()):
        raise ApiError(403, "csrf", "missing or wrong X-CSRF-Token header")
    session.clear()
    return jsonify({"signed_out": principal.name})
