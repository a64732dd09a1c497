"""An app on a fresh SQLite database with people in every role, and signed-in clients."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from builder import accounts, create_app
from builder.extensions import state
from runtime.clock import ManualClock
from tests.pg import POSTGRES_URL, throwaway_database

PASSWORD = "correct horse battery"
#: user name -> (role, groups)
PEOPLE = {
    "ada": ("admin", []),
    "otto": ("ops", []),
    "sam": ("member", ["sales"]),
    "alice": ("member", ["legal"]),
    "fiona": ("member", ["finance"]),
    "frank": ("member", ["finance"]),
    "erin": ("member", ["executives"]),
    "walt": ("member", ["warehouse"]),
    "mallory": ("member", []),
}
GROUPS = {"sales": "group", "legal": "group", "finance": "group", "executives": "group", "warehouse": "queue"}


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """scrypt costs ~50 ms a hash by design; tests sign in hundreds of times."""
    previous, accounts.HASH_METHOD = accounts.HASH_METHOD, "pbkdf2:sha256:1000"
    yield
    accounts.HASH_METHOD = previous


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    from builder.migrate import open_store

    path = tmp_path_factory.mktemp("builder-template") / "overture.db"
    open_store(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make_app(directory: Path, migrated_db: Path, clock: ManualClock, **config: Any) -> Flask:
    """An app on a copy of the migrated database in ``directory``, with :data:`PEOPLE`."""
    path = directory / "overture.db"
    shutil.copy(migrated_db, path)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{path}",
            "EMBEDDED_WORKER": False,
            "AUTOPROCESS": True,
            "CLOCK": clock,
            **config,
        }
    )
    add_people(app)
    return app


@pytest.fixture
def app(tmp_path, migrated_db, clock) -> Iterator[Flask]:
    app = make_app(tmp_path, migrated_db, clock)
    yield app
    app.extensions["overture"].close()


def add_people(app: Flask) -> None:
    """The groups and people of :data:`GROUPS` and :data:`PEOPLE`, in ``app``'s database."""
    with app.app_context(), state().sessions.begin() as s:
        for name, kind in GROUPS.items():
            accounts.create_group(s, name, kind=kind)
        s.flush()
        for name, (role, groups) in PEOPLE.items():
            accounts.create_user(s, name, role=role, password=PASSWORD, groups=groups)


class Client:
    """A test client signed in as one person: sends the CSRF token on every write."""

    def __init__(self, app: Flask, username: str | None):
        self.http: FlaskClient = app.test_client()
        self.username = username
        self.csrf = ""
        if username:
            response = self.http.post("/api/session", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.csrf = response.get_json()["csrf_token"]

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.csrf and method.upper() != "GET":
            headers.setdefault("X-CSRF-Token", self.csrf)
        return self.http.open(url, method=method.upper(), headers=headers, **kwargs)

    def get(self, url: str, **kw: Any) -> Any:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.request("DELETE", url, **kw)


@pytest.fixture
def server(app) -> Iterator[str]:
    """The app on a real threaded HTTP server (websockets need one); yields host:port."""
    from werkzeug.serving import make_server

    app.config["LIVE_POLL_INTERVAL"] = 0.01
    http_server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{http_server.server_port}"
    http_server.shutdown()
    thread.join()
    http_server.server_close()
    hub = app.extensions.get("overture_live")
    if hub is not None:
        hub.stop()


@pytest.fixture
def login(app):
    def make(username: str | None) -> Client:
        return Client(app, username)

    return make


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_db: Path) -> str:
    path = tmp_path / "overture.db"
    shutil.copy(migrated_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("OVERTURE_TEST_DATABASE_URL is not set")
    with throwaway_database("overture_cli") as url:
        yield url


@pytest.fixture
def wall(app) -> ManualClock:
    """The real-time clock of sessions and throttling (not the engine's), moved by hand."""
    clock = ManualClock()
    app.config["SESSION_CLOCK"] = clock
    return clock
