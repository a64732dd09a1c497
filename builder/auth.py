"""Who is calling: a person with a session cookie, or a system with a bearer token.

- People sign in at ``POST /api/session``. The session is kept on the server
  (:mod:`builder.sessions`); its HttpOnly, SameSite=Lax cookie carries only a random
  token, and every state-changing request made with it must carry the session's CSRF
  token in ``X-CSRF-Token``. Signing out, a password change, deactivation and "sign out
  everywhere" end sessions at once; so do the idle and absolute timeouts
  (``OVERTURE_SESSION_IDLE``, ``OVERTURE_SESSION_MAX``).
- Systems send ``Authorization: Bearer <token>``; a token may only start runs, create
  and update records and publish events (routes marked :func:`tokens_allowed`).
- Routes say which roles may call them with :func:`roles`. Failed sign-ins are
  throttled per address and user name and per address (:mod:`builder.throttle`), the
  address being the one ``OVERTURE_TRUSTED_PROXIES`` proxies vouch for.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask.sessions import SessionInterface
from marshmallow import fields
from werkzeug.middleware.proxy_fix import ProxyFix

from builder import accounts, audit, passwords, sessions, throttle
from builder.errors import ApiError, error_response
from builder.extensions import db
from builder.requests import StrictSchema, body, client_address, uses
from runtime.audit import Actor
from runtime.clock import Clock, SystemClock
from runtime.store.tables import UserRow

bp = Blueprint("session", __name__, url_prefix="/api/session")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
    principal: Principal | None = g.get("principal")
    return principal


def caller() -> Principal:
    """Who is calling, in a view that ``roles()`` has let in."""
    principal = current()
    if principal is None:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/session) or send a bearer token")
    return principal


def _unauthenticated(hint: str = "") -> ApiError:
    if g.get("session_ended"):
        return ApiError(
            401, "session_ended", "your session ended (signed out, timed out, or ended by a password change or an admin); sign in again"
        )
    return ApiError(401, "unauthenticated", f"sign in first (POST /api/session){hint}")


def require_user() -> Principal:
    principal = current()
    if principal is None or not principal.is_user:
        raise _unauthenticated()
    return principal


def require_session() -> Principal:
    """The person of a browser session (not a token), with its id in ``g.session_id``."""
    principal = require_user()
    if not g.get("session_id"):
        raise _unauthenticated()
    return principal


def roles(*allowed: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only signed-in people with one of these roles (all roles when none is given)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current()
            if principal is None:
                raise _unauthenticated(" or send a bearer token")
            if not principal.is_user:
                if not getattr(wrapper, "tokens_allowed", False):
                    raise ApiError(403, "forbidden", "API tokens may only start runs, create or update records and publish events")
            elif allowed and principal.role not in allowed:
                raise ApiError(403, "forbidden", f"this needs the role {' or '.join(allowed)}; you are {principal.role}")
            return view(*args, **kwargs)

        # Marks on the view function itself (its __dict__, which @wraps copies on): the check
        # above and api/openapi.py read them with getattr.
        vars(wrapper).update(allowed_roles=allowed or ("admin", "ops", "member"), tokens_allowed=False)
        return wrapper

    return decorate


def tokens_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let bearer tokens call this route too (apply outside :func:`roles`)."""
    vars(view)["tokens_allowed"] = True
    return view


def throttled(view: Callable[..., Any]) -> Callable[..., Any]:
    """This route checks a password, so it may answer 429 (documented in the OpenAPI)."""
    vars(view)["throttled"] = True
    return view


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anyone may call this route, signed in or not (documented without security)."""
    vars(view)["public"] = True
    return view


class TooManyAttempts(ApiError):
    """A 429 that says, in ``Retry-After`` too, when to try again."""

    def __init__(self, wait: float, what: str):
        self.retry_after = max(1, int(wait) + (0 if wait == int(wait) else 1))
        super().__init__(429, "too_many_attempts", f"too many {what}; try again in {self.retry_after} s", {"retry_after": self.retry_after})


def now() -> datetime:
    """Real time for sessions and throttling: not the engine's clock, which scenario tests
    and OVERTURE_TEST_CLOCK servers move by days (tests set SESSION_CLOCK instead)."""
    clock: Clock = current_app.config["SESSION_CLOCK"]
    return clock.now()


def timeouts() -> tuple[timedelta, timedelta]:
    """The idle and the absolute timeout of sessions."""
    return current_app.config["SESSION_IDLE"], current_app.config["SESSION_MAX"]


#: The device cookie: proof that this browser signed in as someone before (builder/throttle.py).
DEVICE_COOKIE = "overture_device"
_DEVICE_NAMES = 5  # people remembered per browser
DEVICE_COOKIE_DAYS = 365


def _secret() -> bytes:
    key = current_app.secret_key
    return key if isinstance(key, bytes) else str(key).encode()


def _device_mark(username: str) -> str:
    return hmac.new(_secret(), b"device:" + throttle.key(username).encode(), hashlib.sha256).hexdigest()[:32]


def _known_browser(username: str) -> bool:
    marks = request.cookies.get(DEVICE_COOKIE, "").split(".")
    return any(secrets.compare_digest(mark, _device_mark(username)) for mark in marks[:_DEVICE_NAMES])


def _remember_browser(response: Any, username: str) -> None:
    mark = _device_mark(username)
    marks = [m for m in request.cookies.get(DEVICE_COOKIE, "").split(".")[:_DEVICE_NAMES] if m and m != mark]
    response.set_cookie(
        DEVICE_COOKIE,
        ".".join([mark, *marks][:_DEVICE_NAMES]),
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/api",
        httponly=True,
        samesite="Strict",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def check_throttle(username: str, what: str) -> None:
    """Refuse (429) before a password is even checked when this address must wait for
    ``username``; else count the attempt as failed until :func:`record_attempt` says it
    was not (committed first: concurrent attempts, in any process, see it)."""
    with db().begin() as s:
        wait = throttle.claim(s, client_address(), username, now(), known_browser=_known_browser(username))
    if wait:
        raise TooManyAttempts(wait, what)


def record_attempt(username: str, ok: bool) -> None:
    """Settle the attempt :func:`check_throttle` counted: a success clears the pair's
    failures, this one with them; a failure stays counted (so does one whose request fails)."""
    if ok:
        with db().begin() as s:
            throttle.succeeded(s, client_address(), username)


class LoginSchema(StrictSchema):
    username = fields.String(required=True)
    password = fields.String(required=True)


def _cookie() -> str:
    return str(current_app.config.get("SESSION_COOKIE_NAME") or "session")


def _load_principal() -> None:
    g.principal = None
    if request.blueprint in ("prometheus", "health"):
        # /metrics has a token of its own (builder/prometheus/web.py), not a person's; probes
        # need no one, and /healthz must answer with the database gone
        return
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        with db().begin() as s:
            token = accounts.token_owner(s, header[len("Bearer ") :].strip())
            if token is None:
                raise ApiError(401, "invalid_token", "the bearer token is unknown or revoked")
            g.principal = Principal(f"token:{token.name}", "token")
        return
    cookie = request.cookies.get(_cookie(), "")
    if not cookie:
        return
    idle, longest = timeouts()
    moment = now()
    with db().begin() as s:
        found = sessions.find(s, cookie, now=moment, idle=idle, longest=longest)
        if found is None:
            # Said on every request until the browser signs in again (the dead cookie is kept:
            # the app's first requests after a reload must all hear why, not only the first).
            g.session_ended = True
            return
        sessions.touch(s, found, now=moment)
        g.principal = Principal(found.user.id, "user", found.user.role)
        g.session_id, g.session_token = found.id, cookie
    if request.method in STATE_CHANGING and request.blueprint != "session":
        _check_csrf()


#: A websocket closes with this code when its session ends (sign-out elsewhere, revoked, timed out).
SESSION_ENDED_CLOSE = 4401


def close_if_session_ended(ws: Any) -> bool:
    """For a long-lived websocket: close it, and say so, once the session it opened with has ended.

    Sockets call this about every half-minute (``SESSION_RECHECK``, the inbox's refresh);
    a bearer token has no session to end.
    """
    session_id = g.get("session_id")
    if session_id is None:
        return False
    idle, longest = timeouts()
    with db()() as s:
        if sessions.alive(s, session_id, now=now(), idle=idle, longest=longest):
            return False
    ws.close(reason=SESSION_ENDED_CLOSE, message="your session ended; sign in again")
    return True


def screen_principal() -> Principal:
    """The person opening a websocket (``/ws/live``, ``/ws/runs/<id>``, ``/ws/inbox``); the
    handshake is refused (an HTTP error, not an upgraded socket) for another site's page,
    nobody signed in, or a bearer token: tokens are for systems that start runs and
    publish events, not for screens."""
    origin = request.headers.get("Origin")
    if origin and origin.split("://", 1)[-1] != request.host:
        raise ApiError(403, "cross_origin", "websockets are only served to pages of this site")
    principal = current()
    if principal is None:
        raise ApiError(401, "unauthenticated", "sign in first (POST /api/session)")
    if not principal.is_user:
        raise ApiError(403, "forbidden", "API tokens may not open live streams; sign in as a person")
    return principal


def _check_csrf() -> None:
    sent = request.headers.get("X-CSRF-Token", "")
    expected = sessions.csrf_token(_secret(), g.session_token)
    # As bytes: compare_digest refuses non-ASCII text, which must be a 403, not a 500.
    if not sent or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, "csrf", "missing or wrong X-CSRF-Token header (GET /api/session gives it)")


class _NoClientSessions(SessionInterface):
    """Flask's signed-cookie session is off: sessions live in the database, and
    ``flask.session`` is empty and read-only, so nothing can lean on it by mistake."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


def read_settings(app: Flask) -> None:
    """This module's OVERTURE_* settings, checked: a wrong value stops the app at start."""
    app.config.setdefault("SESSION_CLOCK", SystemClock())
    for name in ("SESSION_IDLE", "SESSION_MAX", "TRUSTED_PROXIES", "PASSWORD_MIN_LENGTH"):
        app.config.setdefault(name, os.environ.get(f"OVERTURE_{name}"))
    app.config["SESSION_IDLE"] = sessions.limit(app.config["SESSION_IDLE"], sessions.DEFAULT_IDLE, "OVERTURE_SESSION_IDLE")
    app.config["SESSION_MAX"] = sessions.limit(app.config["SESSION_MAX"], sessions.DEFAULT_LONGEST, "OVERTURE_SESSION_MAX")
    app.config["PASSWORD_MIN_LENGTH"] = passwords.min_length(app.config["PASSWORD_MIN_LENGTH"])
    proxies = app.config["TRUSTED_PROXIES"]
    if not str(proxies or 0).isdigit():
        raise ValueError(f"OVERTURE_TRUSTED_PROXIES must be a number of proxies (0 or more), not {proxies!r}")
    app.config["TRUSTED_PROXIES"] = int(proxies or 0)


def init_app(app: Flask) -> None:
    read_settings(app)
    if app.config["TRUSTED_PROXIES"]:
        # Only the last N hops of X-Forwarded-For are believed; whatever comes before them the client wrote.
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.session_interface = _NoClientSessions()
    app.before_request(_load_principal)

    @app.errorhandler(TooManyAttempts)
    def too_many(exc: TooManyAttempts) -> Any:
        response = error_response(exc.status, exc.code, exc.message, exc.details)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    app.register_blueprint(bp)


def _session_view(principal: Principal) -> dict[str, Any]:
    with db()() as s:
        user = s.get(UserRow, principal.name)
        assert user is not None
        csrf = sessions.csrf_token(_secret(), g.session_token)
        return {"user": accounts.user_view(s, user), "csrf_token": csrf}


@bp.post("")
@uses(LoginSchema)
@public
@throttled
def login() -> Any:
    """Sign in: a new session, its cookie and its CSRF token (429 while this address must wait)."""
    data = body(LoginSchema())
    username = data["username"]
    check_throttle(username, "failed sign-ins")
    with db()() as s:
        user = accounts.authenticate(s, username, data["password"])
        principal = Principal(user.id, "user", user.role) if user is not None else None
        shown_as = user.display_name if user is not None else None
    record_attempt(username, principal is not None)
    if principal is None:
        tried = username.strip()[:64]  # cut short; never the password
        with db().begin() as s:  # by nobody known, even from a browser signed in as someone
            who = Actor(None, "anonymous", client_address() or None)
            audit.record(s, "session.sign_in_failed", "user", tried or None, after={"username": tried}, who=who)
        raise ApiError(401, "bad_credentials", "unknown user name or wrong password")
    with db().begin() as s:
        if g.get("session_id"):  # signing in again from this browser replaces its session
            sessions.end(s, g.session_id)
        idle, longest = timeouts()
        token = sessions.start(
            s, principal.name, now=now(), user_agent=request.user_agent.string, address=client_address(), idle=idle, longest=longest
        )
        who = Actor(principal.name, "user", client_address() or None)
        audit.record(s, "session.signed_in", "user", principal.name, label=shown_as, who=who)
    g.session_token, g.session_ended = token, False
    response = jsonify(_session_view(principal))
    config = current_app.config
    response.set_cookie(
        _cookie(),
        token,
        max_age=int(config["SESSION_MAX"].total_seconds()),
        path=config.get("SESSION_COOKIE_PATH") or "/",
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite=config.get("SESSION_COOKIE_SAMESITE") or "Lax",
    )
    _remember_browser(response, principal.name)
    return response


@bp.get("")
def whoami() -> Any:
    return jsonify(_session_view(require_session()))


@bp.delete("")
def logout() -> Any:
    principal = require_session()
    _check_csrf()
    with db().begin() as s:
        sessions.end(s, g.session_id)
        audit.record(s, "session.signed_out", "user", principal.name, label=accounts.require_user(s, principal.name).display_name)
    response = jsonify({"signed_out": principal.name})
    response.delete_cookie(_cookie(), path=current_app.config.get("SESSION_COOKIE_PATH") or "/")
    return response
