"""Live insights over HTTP and real websockets (a werkzeug server on a free port)."""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from builder.live.hub import Hub
from builder.live.outlet import BUSY, GONE, STARTED, Outlet, ws_frame
from builder.live.subscribers import DEFAULT_INTERVAL, LiveSubscriber, LiveView
from runtime.engine import Engine
from tests.builder.ws_client import WsClient

REVIEW = {"fields": [], "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}]}
DEAL = {
    "format": 1,
    "key": "deal",
    "label": "Deal",
    "inputs": [{"name": "amount", "type": "number", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "legal", "type": "stage", "label": "Legal"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "legal",
            "label": "Review",
            "due": "P2D",
            "assignee": {"type": "group", "value": "legal"},
            "form": REVIEW,
        },
        {"id": "finance", "type": "stage", "label": "Finance"},
        {
            "id": "sign",
            "type": "interactive",
            "stage": "finance",
            "label": "Sign",
            "assignee": {"type": "group", "value": "finance"},
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "legal"},
        {"id": "e2", "source": "legal", "target": "finance"},
        {"id": "e3", "source": "finance", "target": "done"},
    ],
}


@pytest.fixture
def engine(app) -> Engine:
    engine = app.extensions["overture"].engine
    engine.deploy(DEAL, by="ada")
    return engine


def cookie(login, user: str) -> str:
    return f"session={login(user).http.get_cookie('session').value}"


class Socket:
    """A websocket client that reads JSON messages."""

    def __init__(self, server: str, path: str, headers: dict[str, str]):
        host, port = server.rsplit(":", 1)
        self.ws = WsClient(host, int(port), path, headers)

    def next(self, timeout: float = 5.0) -> dict[str, Any]:
        try:
            return self.ws.message(timeout)
        except TimeoutError:
            raise AssertionError("no message in time") from None

    def until(self, check, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Messages until one satisfies ``check``."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            message = self.next(deadline - time.monotonic())
            seen.append(message)
            if check(message):
                return seen
        raise AssertionError(f"no message satisfied the check: {seen}")

    def close(self) -> None:
        self.ws.close()


def connect(server: str, path: str, login, user: str) -> Socket:
    return Socket(server, path, {"Cookie": cookie(login, user)})


def handshake_status(server: str, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection(server, timeout=5)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                **headers,
            },
        )
        return conn.getresponse().status
    finally:
        conn.close()


def hub_of(app) -> Hub:
    return app.extensions["overture_live"]


def start(engine: Engine, n: int = 1, by: str = "sam") -> list[str]:
    return [engine.start("deal", {"amount": 10}, started_by=by) for _ in range(n)]


def review(engine: Engine, run_id: str) -> None:
    (item,) = [i for i in engine.work_items(run=run_id) if i["step_id"] == "review"]
    engine.complete(item["id"], by="alice", outcome="approve")


def apply(state: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """What a client does with a message: a snapshot replaces, a delta overwrites the
    figures it carries (LIVE.md)."""
    if message["type"] == "snapshot":
        return {"seq": message["seq"], "nodes": dict(message["nodes"]), "edges": dict(message["edges"])}
    nodes = {**state["nodes"], **{n: {**state["nodes"].get(n, {}), **f} for n, f in message["nodes"].items()}}
    edges = {**state["edges"], **{e: {**state["edges"].get(e, {}), **f} for e, f in message["edges"].items()}}
    return {"seq": message["seq"], "nodes": nodes, "edges": edges}


# -- HTTP ----------------------------------------------------------------------------


def test_insights_api_for_ops_and_admins(login, engine, clock):
    runs = start(engine, 3)
    clock.advance(timedelta(hours=2))
    review(engine, runs[0])
    response = login("otto").get("/api/orchestrations/deal/insights")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["orchestration"], body["version"], body["window"]) == ("deal", None, "all")
    assert body["nodes"]["review"] == {
        "active": 2,
        "waiting": 0,
        "error": 0,
        "completed": 1,
        "failed": 0,
        "overdue": 0,
        "p50": 7200.0,
        "p95": 7200.0,
    }
    assert body["nodes"]["done"]["completed"] == 0  # listed with zeros
    assert body["edges"] == {"e1": {"taken": 3}, "e2": {"taken": 1}, "e3": {"taken": 0}}
    assert body["seq"] > 0
    clock.advance(timedelta(days=2))
    week = login("ada").get("/api/orchestrations/deal/insights?version=1&window=week").get_json()
    assert (week["nodes"]["review"]["overdue"], week["nodes"]["legal"]["overdue"]) == (2, 2)
    assert login("ada").get("/api/orchestrations/deal/insights?window=hour").get_json()["nodes"]["review"]["completed"] == 0


def test_insights_api_refusals(login, engine):
    assert login("sam").get("/api/orchestrations/deal/insights").status_code == 403
    assert login(None).get("/api/orchestrations/deal/insights").status_code == 401
    otto = login("otto")
    assert otto.get("/api/orchestrations/nope/insights").status_code == 404
    assert otto.get("/api/orchestrations/deal/insights?version=7").status_code == 404
    bad = otto.get("/api/orchestrations/deal/insights?window=month")
    assert bad.status_code == 400 and "window" in bad.get_json()["error"]["details"]
    assert otto.get("/api/orchestrations/deal/insights?colour=red").status_code == 400


# -- websockets ----------------------------------------------------------------------


def test_snapshot_then_coalesced_deltas(server, login, engine, clock):
    start(engine, 1)
    ws = connect(server, "/ws/live?orchestration=deal", login, "otto")
    try:
        snap = ws.next()
        assert snap["type"] == "snapshot" and snap["nodes"]["review"]["active"] == 1
        assert set(snap["nodes"]) == {"start", "legal", "review", "finance", "sign", "done"}
        runs = start(engine, 1)
        delta = ws.until(lambda m: m["nodes"].get("review", {}).get("active") == 2)[-1]
        assert delta["type"] == "delta" and delta["seq"] > snap["seq"]
        assert set(delta["nodes"]) <= {"legal", "review"} and set(delta["edges"]) == {"e1"}
        assert delta["edges"]["e1"]["taken"] == 2
        clock.advance(timedelta(minutes=30))
        review(engine, runs[0])
        delta = ws.until(lambda m: m["nodes"].get("review", {}).get("completed") == 1)[-1]
        assert delta["nodes"]["review"]["p50"] == 1800.0
        assert delta["nodes"]["sign"]["active"] == 1 and "start" not in delta["nodes"]
        # A burst of changes arrives as a few coalesced messages (at most one per LIVE_MIN_INTERVAL).
        began = time.monotonic()
        for _ in range(30):
            start(engine, 1)
        messages = ws.until(lambda m: m["nodes"].get("review", {}).get("active") == 31, timeout=10)
        elapsed = time.monotonic() - began
        assert len(messages) <= elapsed / DEFAULT_INTERVAL + 1
    finally:
        ws.close()


def test_items_going_overdue_reach_the_stream(server, login, engine, clock, app):
    app.config["LIVE_OVERDUE_EVERY"] = 0.1
    start(engine, 2)
    ws = connect(server, "/ws/live?orchestration=deal", login, "otto")
    try:
        state = apply({}, ws.next())
        assert state["nodes"]["review"]["overdue"] == 0
        clock.advance(timedelta(days=2, minutes=1))  # no event: only time passed
        delta = ws.until(lambda m: m["nodes"].get("review", {}).get("overdue") == 2)[-1]
        assert delta["nodes"] == {"review": {"overdue": 2}, "legal": {"overdue": 2}}  # only what changed
        state = apply(state, delta)
        assert state["nodes"] == login("otto").get("/api/orchestrations/deal/insights").get_json()["nodes"]
    finally:
        ws.close()


def test_reconnecting_with_after_misses_nothing_and_counts_nothing_twice(server, login, engine, clock):
    runs = start(engine, 2)
    ws = connect(server, "/ws/live?orchestration=deal", login, "otto")
    state = apply({}, ws.next())
    ws.close()
    # While the client is away: new runs, a review, a run going overdue.
    more = start(engine, 3)
    clock.advance(timedelta(days=1))
    review(engine, runs[0])
    review(engine, more[0])
    clock.advance(timedelta(days=1, hours=1))
    ws = connect(server, f"/ws/live?orchestration=deal&after={state['seq']}", login, "otto")
    try:
        resumed = ws.next()
        assert resumed["type"] == "delta" and resumed["resumed"] is True and resumed["seq"] > state["seq"]
        assert "start" not in resumed["nodes"]  # only what changed (and nodes that can be overdue)
        state = apply(state, resumed)
    finally:
        ws.close()
    fresh = login("otto").get("/api/orchestrations/deal/insights").get_json()
    assert state["nodes"] == fresh["nodes"] and state["edges"] == fresh["edges"]
    assert state["nodes"]["review"]["overdue"] == 3 and state["edges"]["e1"]["taken"] == 5


def test_a_client_too_far_behind_or_ahead_gets_a_snapshot(server, login, engine):
    start(engine, 1)
    ws = connect(server, "/ws/live?orchestration=deal&after=999999", login, "otto")
    try:
        assert ws.next()["type"] == "snapshot"
    finally:
        ws.close()


def test_changes_from_another_process_reach_the_stream(server, login, engine, app, clock):
    from runtime.store.directory import SqlDirectory
    from runtime.store.sql import SqlStore

    ws = connect(server, "/ws/live?orchestration=deal&version=1", login, "otto")
    other = SqlStore(app.config["DATABASE_URL"])  # a second "process": its own store and engine
    try:
        assert ws.next()["type"] == "snapshot"
        Engine(other, clock, SqlDirectory(other)).start("deal", {"amount": 5}, started_by="sam")
        delta = ws.until(lambda m: m["nodes"].get("legal", {}).get("active") == 1)[-1]
        assert delta["edges"]["e1"]["taken"] == 1
    finally:
        ws.close()
        other.dispose()


def test_run_stream_gives_history_then_new_events(server, login, engine):
    (run_id,) = start(engine, 1)
    ws = connect(server, f"/ws/runs/{run_id}", login, "sam")
    try:
        history = ws.next()
        assert history["type"] == "history"
        types = [e["type"] for e in history["events"]]
        assert types[:3] == ["run.started", "edge.taken", "stage.started"]
        review(engine, run_id)
        received = ws.until(lambda m: any(e["type"] == "stage.started" and e["node"] == "finance" for e in m["events"]))
        new = [e for m in received for e in m["events"]]
        seqs = [e["seq"] for e in history["events"] + new]
        assert seqs == sorted(set(seqs))  # in order, none twice
        assert [e["seq"] for e in engine.events(run_id)][: len(seqs)] == seqs  # none missed
        assert all(e["run_id"] == run_id for e in new)
    finally:
        ws.close()


def test_who_may_watch(server, login, engine, app):
    (run_id,) = start(engine, 1, by="sam")
    live = "/ws/live?orchestration=deal"
    assert handshake_status(server, live, {}) == 401
    assert handshake_status(server, live, {"Cookie": cookie(login, "sam")}) == 403  # members: no live figures
    assert handshake_status(server, live, {"Cookie": cookie(login, "otto"), "Origin": "http://evil.example"}) == 403
    assert handshake_status(server, "/ws/live?orchestration=nope", {"Cookie": cookie(login, "otto")}) == 404
    assert handshake_status(server, "/ws/live", {"Cookie": cookie(login, "otto")}) == 400
    # The API's query parser (builder/requests.py): an unknown argument is a 400, the paging ones are not.
    assert handshake_status(server, live + "&colour=red", {"Cookie": cookie(login, "otto")}) == 400
    assert handshake_status(server, live + "&window=month", {"Cookie": cookie(login, "otto")}) == 400
    assert handshake_status(server, live + "&limit=5", {"Cookie": cookie(login, "otto")}) == 101
    token = login("ada").post("/api/tokens", json={"name": "crm"}).get_json()["token"]
    assert handshake_status(server, live, {"Authorization": f"Bearer {token}"}) == 403
    # A member may watch a run they started or work on, not another's.
    assert handshake_status(server, f"/ws/runs/{run_id}", {"Cookie": cookie(login, "mallory")}) == 404
    assert handshake_status(server, "/ws/runs/nope", {"Cookie": cookie(login, "otto")}) == 404
    for user in ("sam", "alice", "otto"):
        ws = connect(server, f"/ws/runs/{run_id}", login, user)
        try:
            assert ws.next()["type"] == "history"
        finally:
            ws.close()


# -- pacing (LIVE.md, Coalescing): the hub's own bookkeeping, on a test clock -----------


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def figure(active: int) -> dict[str, Any]:
    return {"active": active, "waiting": 0, "error": 0, "completed": 0, "failed": 0, "overdue": 0, "p50": None, "p95": None}


def test_a_quiet_view_sends_its_first_change_at_once():
    tick = Clock()
    view = LiveView(0.05, tick)
    view.offer(5, {"review": figure(1)}, {})
    assert view.due_at() == tick.now  # not at the end of an interval: now
    assert view.take() is not None and (view.leading, view.coalesced) == (1, 0)
    tick.now += 0.01
    view.offer(6, {"review": figure(2)}, {})  # within the interval: waits for its end
    assert view.due_at() == pytest.approx(tick.now + 0.04)
    tick.now += 0.04
    assert view.take() is not None and (view.leading, view.coalesced) == (1, 1)
    tick.now += 3.0  # quiet again
    view.offer(9, {}, {"e1": {"taken": 3}})
    assert view.due_at() == tick.now
    assert view.take() is not None and (view.leading, view.coalesced) == (2, 1)
    assert view.take() is None and view.due_at() is None


def test_a_burst_is_coalesced_to_one_frame_per_interval():
    tick = Clock()
    view = LiveView(0.05, tick)
    made: list[tuple[float, Any]] = []
    for i in range(200):  # a change every 5 ms for a second, the poller sending what falls due
        view.offer(i + 1, {"review": figure(i + 1)}, {})
        due = view.due_at()
        if due is not None and due <= tick.now:
            made.append((tick.now, view.take()))
        tick.now += 0.005
    tick.now = max(tick.now, view.due_at() or tick.now)
    made.append((tick.now, view.take()))
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(made)]
    assert len(made) <= 1.0 / 0.05 + 1 and min(gaps) >= 0.05 - 1e-9
    assert (view.leading, view.coalesced) == (1, len(made) - 1)
    last = json.loads(made[-1][1].text)
    assert last["seq"] == 200 and last["nodes"]["review"]["active"] == 200  # the newest figures, nothing lost


def test_every_client_of_a_view_is_sent_the_same_encoded_frame():
    view = LiveView(0.05, Clock())
    subs = [LiveSubscriber("deal", None, "all") for _ in range(3)]
    for sub in subs:
        sub.start_at({"seq": 4, "nodes": {"review": figure(0)}, "edges": {}}, 0.0)
    view.offer(5, {"review": figure(1)}, {"e1": {"taken": 1}})
    frame = view.take()
    for sub in subs:
        sub.offer_frame(frame)
    texts = [sub.take() for sub in subs]
    assert all(text is frame.text for text in texts)  # encoded once
    assert json.loads(frame.text) == {"type": "delta", "seq": 5, "nodes": {"review": figure(1)}, "edges": {"e1": {"taken": 1}}}


def test_a_slow_client_is_sent_one_merged_delta_and_its_own_pace():
    tick = Clock()
    view = LiveView(0.05, tick)
    sub = LiveSubscriber("deal", None, "all", 0.05, tick)
    sub.start_at({"seq": 4, "nodes": {}, "edges": {}}, 0.0)
    view.offer(5, {"review": figure(1)}, {"e1": {"taken": 1}})
    sub.offer_frame(view.take())
    tick.now += 0.05
    view.offer(7, {"review": figure(2)}, {})
    sub.offer_frame(view.take())  # the first one was not sent yet
    assert sub.wait() == 0.0
    merged = json.loads(sub.take())
    assert merged == {"type": "delta", "seq": 7, "nodes": {"review": figure(2)}, "edges": {"e1": {"taken": 1}}}
    assert sub.take() is None
    # Its own figures (an overdue count) wait for the end of its interval.
    sub.offer_overdue(1.0, {(1, "review"): 2})
    assert sub.wait() == pytest.approx(0.05)
    tick.now += 0.05
    assert sub.wait() == 0.0 and json.loads(sub.take())["nodes"] == {"review": {"overdue": 2}}  # only what changed


def test_a_client_drops_figures_no_newer_than_its_first_message():
    view = LiveView(0.05, Clock())
    view.offer(5, {"review": figure(1)}, {})
    view.offer(9, {"legal": figure(1)}, {})
    frame = view.take()
    sub = LiveSubscriber("deal", None, "all")
    sub.offer_frame(frame)  # arrived while its snapshot (seq 6) was being read
    sub.start_at({"seq": 6, "nodes": {}, "edges": {}}, 0.0)
    assert json.loads(sub.take()) == {"type": "delta", "seq": 9, "nodes": {"legal": figure(1)}, "edges": {}}


def test_a_quiet_stream_gets_its_first_change_without_waiting_the_interval(server, login, engine, app):
    app.config["LIVE_MIN_INTERVAL"] = 30.0  # a change that waited for the interval would miss the 5 s timeouts
    ws = connect(server, "/ws/live?orchestration=deal", login, "otto")
    try:
        assert ws.next()["type"] == "snapshot"
        start(engine, 1)
        assert ws.until(lambda m: m["nodes"].get("review", {}).get("active") == 1)[-1]["type"] == "delta"
        view = hub_of(app).view("deal", None, "all")
        assert view is not None and (view.leading, view.coalesced) == (1, 0)
        start(engine, 1)  # within the interval: held by the view, not sent
        deadline = time.monotonic() + 5
        while view.due_at() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert view.due_at() is not None and (view.leading, view.coalesced) == (1, 0)
    finally:
        ws.close()


def test_the_interval_is_set_in_whole_milliseconds(tmp_path, migrated_db, monkeypatch):
    import shutil

    from builder import create_app

    shutil.copy(migrated_db, tmp_path / "o.db")
    config = {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}", "EMBEDDED_WORKER": False}
    monkeypatch.setenv("OVERTURE_LIVE_INTERVAL_MS", "250")
    app = create_app(config)
    assert app.config["LIVE_MIN_INTERVAL"] == 0.25
    app.extensions["overture"].close()
    for bad in ("0", "0.05", "fast"):
        monkeypatch.setenv("OVERTURE_LIVE_INTERVAL_MS", bad)
        with pytest.raises(ValueError, match="OVERTURE_LIVE_INTERVAL_MS"):
            create_app(config)


def test_a_client_is_sent_no_two_messages_within_an_interval():
    """Its own delta (an overdue count) and the view's frames share one pace."""
    tick = Clock()
    view = LiveView(0.05, tick)
    sub = LiveSubscriber("deal", None, "all", 0.05, tick)
    sub.start_at({"seq": 4, "nodes": {"review": figure(0)}, "edges": {}}, 0.0)
    sub.offer_overdue(1.0, {(1, "review"): 1})
    assert sub.wait() == 0.0 and json.loads(sub.take())["nodes"] == {"review": {"overdue": 1}}
    tick.now += 0.01
    view.offer(5, {"review": {**figure(1), "overdue": 1}}, {})
    sub.offer_frame(view.take())  # the view was quiet: made at once, but this client was just sent a message
    assert sub.wait() == pytest.approx(0.04)
    tick.now += 0.04
    assert sub.wait() == 0.0 and json.loads(sub.take())["seq"] == 5
    tick.now += 0.05
    view.offer(6, {"review": {**figure(2), "overdue": 1}}, {})
    sub.offer_frame(view.take())  # made an interval after the last: goes at once
    assert sub.wait() == 0.0 and json.loads(sub.take())["seq"] == 6
    sub.offer_overdue(2.0, {(1, "review"): 2})  # its own delta: an interval after that frame
    assert sub.wait() == pytest.approx(0.05)


# -- fan-out (builder/live/outlet.py): the hub writes each frame to every socket itself ---


def frames_in(data: bytes) -> list[dict[str, Any]]:
    """The JSON messages of a run of whole, unmasked websocket text frames."""
    found = []
    while data:
        assert data[0] == 0x81, data[:2]  # FIN, text, uncompressed
        size, start = data[1], 2
        if size == 126:
            size, start = int.from_bytes(data[2:4], "big"), 4
        elif size == 127:
            size, start = int.from_bytes(data[2:10], "big"), 10
        found.append(json.loads(data[start : start + size]))
        data = data[start + size :]
    return found


def read_all(peer: socket.socket) -> bytes:
    peer.setblocking(False)
    chunks = []
    while True:
        try:
            chunk = peer.recv(1 << 20)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def stuck_pair() -> tuple[socket.socket, socket.socket]:
    """A socket whose buffers are full: the peer reads nothing."""
    ours, peer = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    ours.setblocking(False)
    try:
        while True:
            ours.send(b"\x00" * 4096)
    except BlockingIOError:
        pass
    ours.setblocking(True)
    return ours, peer


@pytest.mark.parametrize("size", [10, 200, 70_000])
def test_a_frame_is_encoded_once_as_a_websocket_frame(size):
    text = json.dumps({"type": "delta", "seq": 1, "nodes": {"n": "x" * size}, "edges": {}})
    assert frames_in(ws_frame(text)) == [json.loads(text)]


def test_the_hub_writes_each_frame_to_every_socket_without_waking_the_clients():
    tick = Clock()
    view = LiveView(0.05, tick)
    pairs = [socket.socketpair() for _ in range(3)]
    subs = []
    for ours, _peer in pairs:
        sub = LiveSubscriber("deal", None, "all", 0.05, tick)
        sub.start_at({"seq": 4, "nodes": {}, "edges": {}}, 0.0)
        sub.attach(Outlet(ours))
        subs.append(sub)
    for seq in (5, 6):
        view.offer(seq, {"review": figure(seq)}, {})
        frame = view.take()
        for sub in subs:
            sub.offer_frame(frame)
        tick.now += 0.05
    for sub, (_ours, peer) in zip(subs, pairs, strict=True):
        assert not sub.ready.is_set() and sub.take() is None  # nothing left for its greenlet
        assert [m["seq"] for m in frames_in(read_all(peer))] == [5, 6]
    for ours, peer in pairs:
        ours.close()
        peer.close()


def test_a_stuck_client_does_not_hold_up_the_others_and_then_gets_the_latest_figures():
    tick = Clock()
    view = LiveView(0.05, tick)
    good_ours, good_peer = socket.socketpair()
    stuck_ours, stuck_peer = stuck_pair()
    good, stuck = (LiveSubscriber("deal", None, "all", 0.05, tick) for _ in range(2))
    for sub, sock in ((good, good_ours), (stuck, stuck_ours)):
        sub.start_at({"seq": 4, "nodes": {}, "edges": {}}, 0.0)
        sub.attach(Outlet(sock))
    for seq in range(5, 25):  # a second of frames; the stuck client reads none of them
        view.offer(seq, {"review": figure(seq)}, {"e1": {"taken": seq}} if seq == 5 else {})
        frame = view.take()
        good.offer_frame(frame)
        stuck.offer_frame(frame)
        tick.now += 0.05
    assert [m["seq"] for m in frames_in(read_all(good_peer))] == list(range(5, 25))
    assert not good.ready.is_set()
    # The stuck one kept at most part of one frame, and its figures since: its greenlet is woken.
    assert stuck.ready.is_set() and stuck.outlet is not None and stuck.outlet.backlog < 4096
    stuck_peer.setblocking(False)
    received = bytearray()
    drained = threading.Thread(target=lambda: received.extend(drain(stuck_peer)))
    drained.start()
    assert stuck.outlet.flush()  # what the route does when woken: the backlog first...
    text = stuck.take()  # ...then one delta of its own, the newest figures of everything it missed
    assert text is not None
    stuck.outlet.send(ws_frame(text))
    stuck_ours.close()
    drained.join(5)
    messages = frames_in(bytes(received).lstrip(b"\x00"))
    assert len(messages) <= 2  # a frame begun before it stuck, then one merged delta: no backlog of frames
    held = {"seq": 4, "nodes": {}, "edges": {}}
    for message in messages:
        held = apply(held, message)
    assert held == {"seq": 24, "nodes": {"review": figure(24)}, "edges": {"e1": {"taken": 5}}}
    good_ours.close()
    good_peer.close()
    stuck_peer.close()


def drain(peer: socket.socket) -> bytes:
    """Everything the peer is sent until it is closed."""
    peer.setblocking(True)
    peer.settimeout(5)
    chunks = []
    while chunk := peer.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def test_writes_of_the_socket_never_interleave():
    """A message handed to the outlet while part of a frame waits goes after it, whole."""
    ours, peer = stuck_pair()
    outlet = Outlet(ours)
    big = ws_frame(json.dumps({"type": "delta", "seq": 1, "nodes": {"n": "x" * 100_000}, "edges": {}}))
    assert outlet.offer(big) == STARTED and outlet.backlog == len(big)  # the buffer is full: kept whole
    assert outlet.offer(big) == BUSY  # the hub writes nothing more meanwhile
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(drain(peer)))
    reader.start()
    outlet.send(ws_frame('{"type":"delta","seq":2,"nodes":{},"edges":{}}'))  # simple_websocket's write: behind the backlog
    ours.close()
    reader.join(5)
    messages = frames_in(bytes(received).lstrip(b"\x00"))
    assert [m["seq"] for m in messages] == [1, 2]
    peer.close()


def test_a_closed_socket_is_gone_not_an_error():
    ours, peer = socket.socketpair()
    peer.close()
    outlet = Outlet(ours)
    results = {outlet.offer(ws_frame("{}")) for _ in range(3)}  # the first may still be buffered
    assert GONE in results and outlet.offer(ws_frame("{}")) == GONE
    ours.close()


def test_a_poll_reads_the_new_events_once(app, engine, monkeypatch):
    """The projector's pass hands the hub the events it applied: one read, not two."""
    live = Hub(app)
    live.position()
    got: list[Any] = []
    live._listeners.add(got.extend)  # as Hub.listen, without starting the poller thread
    runs = start(engine, 2)
    reads: list[tuple[int, int]] = []
    real = live.store.events_after

    def counted(after: int, limit: int) -> list[Any]:
        reads.append((after, limit))
        return real(after, limit)

    monkeypatch.setattr(live.store, "events_after", counted)
    live.tick()
    assert len(reads) == 1  # the projector's
    assert {e.run_id for e in got} == set(runs) and [e.id for e in got] == sorted(e.id for e in got)
