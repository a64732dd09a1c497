"""``overture serve`` under hostile load (ARCHITECTURE §5, Serving): a real server, real
sockets. Slow clients hold no share of a fixed pool, half-sent headers time out, and
websockets are capped per person and in all. Figures are in bench/hostile_load.py;
here only "answered at all" within generous timeouts."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest
from click.testing import CliRunner
from wsproto.events import TextMessage

from builder import create_app
from builder.cli import main
from builder.sockets import POLICY_VIOLATION, TRY_AGAIN_LATER
from tests.builder.ws_client import WsClient

PASSWORD = "a long serving passphrase 7"
HEADER_TIMEOUT = 2
PER_USER = 20
TOTAL = 30
ANSWER_WITHIN = 20.0  # seconds: generous, a loaded 2-core machine is slow but answers


class Running:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path):
        self.port, self.process, self.log = port, process, log

    def request(
        self, method: str, path: str, body: dict[str, object] | None = None, cookie: str | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ANSWER_WITHIN)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            if cookie:
                headers["Cookie"] = cookie
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            return response.status, response.msg, response.read()
        finally:
            conn.close()

    def sign_in(self, username: str) -> str:
        status, headers, body = self.request("POST", "/api/session", {"username": username, "password": PASSWORD})
        assert status == 200, body
        # The session cookie and the device cookie of the sign-in throttle: send both back, as a browser does.
        return "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie") or [])

    def websocket(self, cookie: str) -> WsClient:
        return WsClient("127.0.0.1", self.port, "/ws/inbox", {"Cookie": cookie}, timeout=ANSWER_WITHIN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Iterator[Running]:
    directory = tmp_path_factory.mktemp("serving")
    url = f"sqlite:///{directory / 'overture.db'}"
    shutil.copy(migrated_db, directory / "overture.db")
    for name in ("sam", "alice"):
        result = CliRunner().invoke(
            main,
            ["create-user", name, "--role", "member", "--password-stdin", "--database-url", url],
            input=PASSWORD + "\n",
            env={"OVERTURE_SECRET_KEY": "test"},
        )
        assert result.exit_code == 0, result.output
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_") and k != "DATABASE_URL"}
    env.update(
        OVERTURE_VAR=str(directory / "var"),
        OVERTURE_SECRET_KEY="test",
        OVERTURE_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        OVERTURE_WS_PER_USER=str(PER_USER),
        OVERTURE_WS_TOTAL=str(TOTAL),
    )
    log = directory / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from builder.cli import main; main()",
                "serve",
                "--port",
                str(port),
                "--no-worker",
                "--database-url",
                url,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Running(port, process, log)
    try:
        deadline = time.monotonic() + ANSWER_WITHIN
        while True:
            try:
                running.request("GET", "/api/session")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def half_open(port: int) -> socket.socket:
    """A connection that sends the start of a request header and never its end."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN)
    conn.sendall(b"GET /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return conn


def test_requests_are_answered_while_200_connections_hold_half_a_header(server: Running):
    with ExitStack() as held:
        for _ in range(200):
            held.enter_context(half_open(server.port))
        for _ in range(3):
            status, _headers, _body = server.request("GET", "/api/session")
            assert status == 401  # answered (nobody signed in), not left waiting
        cookie = server.sign_in("sam")
        assert server.request("GET", "/api/work-items?mine=1", cookie=cookie)[0] == 200


def test_a_half_sent_header_is_closed_after_the_header_timeout(server: Running):
    # The server closes it (EOF, or a reset) well before our own generous timeout.
    with half_open(server.port) as conn, suppress(ConnectionResetError):
        assert conn.recv(1024) == b""
    assert f"header timeout {HEADER_TIMEOUT} s" in server.log.read_text()


def test_websockets_are_capped_per_person_and_in_all(server: Running):
    sam, alice = server.sign_in("sam"), server.sign_in("alice")
    with ExitStack() as held:
        sams = []
        for _ in range(PER_USER):
            ws = server.websocket(sam)
            held.callback(ws.close)
            assert ws.message()["type"] == "inbox"
            sams.append(ws)

        code, reason = server.websocket(sam).closed_with()
        assert code == POLICY_VIOLATION
        assert reason and f"{PER_USER} live connections" in reason and "close a tab" in reason

        # Someone else still gets in: the cap is per person.
        other = server.websocket(alice)
        held.callback(other.close)
        assert other.message()["type"] == "inbox"

        # A socket given back makes room (its place is freed when the server sees it close).
        sams.pop().close()
        deadline = time.monotonic() + ANSWER_WITHIN
        while True:
            again = server.websocket(sam)
            held.callback(again.close)
            event = again.next_event()
            if isinstance(event, TextMessage):
                assert json.loads(event.data)["type"] == "inbox"
                break
            assert time.monotonic() < deadline, "the freed place was never given out"
            time.sleep(0.2)

        # The global cap: alice fills the server up to TOTAL, the next one is told to come back later.
        for _ in range(TOTAL - PER_USER - 1):
            ws = server.websocket(alice)
            held.callback(ws.close)
            assert ws.message()["type"] == "inbox"
        code, reason = server.websocket(alice).closed_with()
        assert code == TRY_AGAIN_LATER
        assert reason and f"limit of {TOTAL} live connections" in reason and "try again later" in reason


def test_every_websocket_route_is_capped():
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://", "EMBEDDED_WORKER": False})
    routes = [rule for rule in app.url_map.iter_rules() if rule.websocket]
    assert {r.rule for r in routes} >= {"/ws/inbox", "/ws/live", "/ws/runs/<run_id>"}
    for rule in routes:
        assert getattr(app.view_functions[rule.endpoint], "overture_limited", False), rule.rule
    app.extensions["overture"].close()


GREEN_WRITERS = """
from gevent import monkey; monkey.patch_all()
import sys, gevent
from runtime.store.sql import SqlStore

store = SqlStore(sys.argv[1])
done = []

def slow_writer():
    with store.transaction():
        gevent.sleep(0.5)  # waits mid-transaction (a hash in a thread, a socket): other greenlets run
    done.append("slow")

def quick_writer():
    with store.transaction():
        pass
    done.append("quick")

gevent.joinall([gevent.spawn(slow_writer), gevent.spawn_later(0.1, quick_writer)], raise_error=True)
print(",".join(done))
"""


def test_a_sqlite_write_that_waits_mid_way_does_not_freeze_a_gevent_process(tmp_path: Path, migrated_db: Path):
    """A second writer queues on a lock that yields, not in SQLite's busy wait: that
    wait blocked the whole process, the first writer with it, until busy_timeout (30 s)."""
    shutil.copy(migrated_db, tmp_path / "overture.db")
    done = subprocess.run(
        [sys.executable, "-c", GREEN_WRITERS, f"sqlite:///{tmp_path / 'overture.db'}"],
        capture_output=True,
        text=True,
        timeout=ANSWER_WITHIN,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "slow,quick"


@pytest.mark.parametrize("name", ["OVERTURE_HEADER_TIMEOUT", "OVERTURE_MAX_CONNECTIONS", "OVERTURE_WS_PER_USER", "OVERTURE_WS_TOTAL"])
def test_a_limit_that_is_not_a_whole_number_stops_serve_with_its_name(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    launched = []
    monkeypatch.setattr("builder.server.launch", lambda *a, **k: launched.append(a))  # never replace this process
    result = CliRunner().invoke(
        main, ["serve", "--database-url", f"sqlite:///{tmp_path / 'o.db'}"], env={"OVERTURE_SECRET_KEY": "test", name: "ten"}
    )
    assert not launched
    assert result.exit_code != 0
    assert f"{name} must be a whole number of at least 1, not 'ten'" in result.output + str(result.exception)


LOAD_AND_COUNT = """
import gc, sys
from builder.server import Server
server = Server({"bind": "127.0.0.1:0"}, {"DATABASE_URL": sys.argv[1], "SECRET_KEY": "test"}, embedded_worker=False)
server.load()
print(gc.get_freeze_count())
"""


def test_a_server_process_freezes_what_its_app_holds_for_life(tmp_path: Path, migrated_db: Path):
    """Objects built with the app leave the collector's generations, so a full collection
    never pauses a request to scan them (~90 ms at a million runs' caches otherwise)."""
    shutil.copy(migrated_db, tmp_path / "overture.db")
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_COUNT, f"sqlite:///{tmp_path / 'overture.db'}"],
        capture_output=True,
        text=True,
        timeout=ANSWER_WITHIN,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 10_000
