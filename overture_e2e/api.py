"""The HTTP API from tests, with ``requests``: set up data and check outcomes without the UI.

:class:`Api` is one caller: a person signed in with a session cookie (it sends the CSRF
token on writes) or a system with a bearer token (``with_token``). Its helpers create
records, start and cancel runs, and wait — by polling the API with a deadline, never by
sleeping a fixed time — until a run reaches a stage or a status, or a work item opens.
A failed wait says what was awaited and what was seen instead.

What a client creates is remembered (``created_runs``, ``created_records``): after each
test the plugin's ``overture_api`` fixture cancels the runs its clients started that are
still open (:func:`cancel_open_runs`; :meth:`Api.clean_up` does it for one client).
Records cannot be deleted through the API: give them unique names (the ``unique_name``
fixture) so that tests never see each other's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

#: The password ``overture seed --demo`` gives every demo person (``make run``).
DEMO_PASSWORD = "overture-demo"
#: Seconds a wait polls before it fails (a loaded CI machine needs a few).
DEFAULT_WAIT = 30.0
#: Run statuses after which nothing more happens on their own.
FINISHED = ("completed", "cancelled")

T = TypeVar("T")


class ApiFailure(AssertionError):
    """The API answered with a status the caller did not expect; ``status`` and ``error`` (its JSON error object)."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.status = response.status_code
        try:
            self.error = response.json().get("error", {})
        except ValueError:
            self.error = {"message": response.text[:500]}
        super().__init__(f"{response.request.method} {response.url} answered {self.status}: {self.error}")


def wait_until(check: Callable[[], T | None], what: str, *, timeout: float = DEFAULT_WAIT, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something other than None (or False); that value.

    ``what`` describes what is awaited; the error after ``timeout`` seconds says it, with
    what ``check`` last saw if it raised :class:`StillWaiting` with a message.
    """
    deadline = time.monotonic() + timeout
    seen = ""
    while True:
        try:
            value = check()
        except StillWaiting as waiting:
            value, seen = None, str(waiting)
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}" + (f": {seen}" if seen else ""))
        time.sleep(interval)


class StillWaiting(Exception):
    """Raised by a :func:`wait_until` check to say what it sees meanwhile."""


class Api:
    """One caller of the API: a signed-in person, or a system with a bearer token."""

    def __init__(self, base_url: str, *, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout
        self.csrf: str | None = None
        self.user: dict[str, Any] | None = None
        #: Ids of the runs this client started (directly or by creating a record), for :meth:`clean_up`.
        self.created_runs: list[str] = []
        #: ``(object, id)`` of the records this client created.
        self.created_records: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ authentication

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> Api:
        """Sign in as a person (``POST /api/session``); the demo seed's password unless given."""
        data = self.post("/api/session", {"username": username, "password": password})
        self.csrf, self.user = data["csrf_token"], data["user"]
        return self

    def with_token(self, secret: str) -> Api:
        """Authenticate as a system: ``Authorization: Bearer <secret>`` (an API token may start
        runs, create and update records and publish events)."""
        self.http.headers["Authorization"] = f"Bearer {secret}"
        return self

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ plain calls

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        expect: int | tuple[int, ...] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        """The response; unless ``expect`` names the status wanted, anything but 2xx raises :class:`ApiFailure`."""
        sent = dict(headers or {})
        if method != "GET" and self.csrf:
            sent.setdefault("X-CSRF-Token", self.csrf)
        response = self.http.request(method, f"{self.base_url}{path}", json=json, headers=sent, params=params, timeout=self.timeout)
        wanted = (expect,) if isinstance(expect, int) else expect
        if (wanted is not None and response.status_code not in wanted) or (wanted is None and not response.ok):
            raise ApiFailure(response)
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw).json()

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json, **kw).json()

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json, **kw).json()

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json, **kw).json()

    def object(self, method: str, path: str, json: Any = None, **kw: Any) -> dict[str, Any]:
        """A call that answers a JSON object (the typed helpers below use it)."""
        data: dict[str, Any] = self.request(method, path, json, **kw).json()
        return data

    def status_of(self, method: str, path: str, json: Any = None) -> int:
        """Only the status code (for permission checks)."""
        return self.request(method, path, json, expect=tuple(range(100, 600))).status_code

    # ------------------------------------------------------------------ orchestrations

    def create_orchestration(self, document: dict[str, Any]) -> dict[str, Any]:
        return self.object("POST", "/api/orchestrations", document)

    def orchestration(self, key: str) -> dict[str, Any]:
        return self.object("GET", f"/api/orchestrations/{key}")

    def save_draft(self, document: dict[str, Any]) -> dict[str, Any]:
        """Save over the current draft (whatever its revision)."""
        key = document["key"]
        revision = self.orchestration(key)["draft"]["revision"]
        return self.object("PUT", f"/api/orchestrations/{key}/draft", document, headers={"If-Match": f'"{revision}"'})

    def activate(self, key: str) -> int:
        revision = self.orchestration(key)["draft"]["revision"]
        return int(self.post(f"/api/orchestrations/{key}/activate", headers={"If-Match": f'"{revision}"'})["version"])

    # ------------------------------------------------------------------ records

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None = None) -> dict[str, Any]:
        """``POST /api/records/<object>``: the new record, with ``started_runs`` (the ids of
        the runs its save started, which :meth:`clean_up` cancels too)."""
        record = self.object("POST", f"/api/records/{object}", {"fields": fields, "owner": owner})
        self.created_records.append((object, record["id"]))
        self.created_runs.extend(record.get("started_runs", []))
        return record

    def record(self, object: str, record_id: str) -> dict[str, Any]:
        """A record with its runs (those the caller may see)."""
        return self.object("GET", f"/api/records/{object}/{record_id}")

    # ------------------------------------------------------------------ runs and work

    def start_run(self, orchestration: str, inputs: dict[str, Any] | None = None, record: dict[str, str] | None = None) -> dict[str, Any]:
        """Start a run of the active version of ``orchestration`` (its key); ``record`` is
        ``{"object": ..., "id": ...}`` for a run about a record."""
        run = self.object("POST", "/api/runs", {"orchestration": orchestration, "inputs": inputs or {}, "record": record})
        self.created_runs.append(run["id"])
        return run

    def run(self, run_id: str) -> dict[str, Any]:
        return self.object("GET", f"/api/runs/{run_id}")

    def cancel_run(self, run_id: str, reason: str | None = None) -> dict[str, Any]:
        """Cancel a run (admins and ops)."""
        return self.object("POST", f"/api/runs/{run_id}/cancel", {"reason": reason} if reason else None)

    def wait_for_run(
        self, run_id: str, *, stage: str | None = None, status: str | None = None, timeout: float = DEFAULT_WAIT, interval: float = 0.2
    ) -> dict[str, Any]:
        """Poll ``GET /api/runs/<id>`` until the run is in ``stage`` (its current stage's id) and/or has ``status``."""
        if stage is None and status is None:
            raise ValueError("wait for a stage, a status or both")

        def check() -> dict[str, Any] | None:
            run = self.run(run_id)
            if (stage is None or run.get("current_stage") == stage) and (status is None or run.get("status") == status):
                return run
            now = f"it is at stage {run.get('current_stage')!r}, status {run.get('status')!r}, error {run.get('error')!r}"
            if run.get("status") in FINISHED:
                raise AssertionError(f"run {run_id} will never reach stage={stage!r} status={status!r}: {now}")
            raise StillWaiting(now)

        return wait_until(check, f"run {run_id} to reach stage={stage!r} status={status!r}", timeout=timeout, interval=interval)

    def wait_for_stage(self, run_id: str, stage: str, *, timeout: float = DEFAULT_WAIT) -> dict[str, Any]:
        """Wait until the run's current stage is ``stage`` (its id); the run."""
        return self.wait_for_run(run_id, stage=stage, timeout=timeout)

    def work_items(self, **params: Any) -> list[dict[str, Any]]:
        """``GET /api/work-items``: ``mine=1``, ``run=<id>``, ``orchestration=<key>``, ``record=<id>``, ``status=...``."""
        items: list[dict[str, Any]] = self.object("GET", "/api/work-items", params=params)["items"]
        return items

    def wait_for_item(
        self, *, run: str | None = None, step: str | None = None, mine: bool = True, timeout: float = DEFAULT_WAIT
    ) -> dict[str, Any]:
        """Poll until an open work item of the run (and step, by its id) is there — by default
        one this caller may do (``mine``); the item."""

        def check() -> dict[str, Any] | None:
            params: dict[str, Any] = {"run": run} if run else {}
            if mine:
                params["mine"] = 1
            items = [i for i in self.work_items(**params) if step is None or i["step_id"] == step]
            if not items:
                open_steps = sorted({i["step_id"] for i in self.work_items(**params)}) if step is not None else []
                raise StillWaiting(f"open items of these steps: {open_steps}" if open_steps else "no open item")
            return items[0]

        whose = f" of {self.user['username']}" if mine and self.user else ""
        what = f"an open work item{whose}" + (f" of step {step!r}" if step else "") + (f" on run {run}" if run else "")
        return wait_until(check, what, timeout=timeout)

    def complete(self, work_item_id: str, outcome: str, values: dict[str, Any] | None = None, comment: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"outcome": outcome, "values": values or {}}
        if comment is not None:
            payload["comment"] = comment
        return self.object("POST", f"/api/work-items/{work_item_id}/complete", payload)

    # ------------------------------------------------------------------ isolation

    def clean_up(self) -> list[str]:
        """Cancel the runs this client started that are still open; what could not be
        cancelled and why (a member or a token may not cancel runs: 403)."""
        return cancel_open_runs(self.created_runs, [self])


def cancel_open_runs(run_ids: list[str], clients: list[Api]) -> list[str]:
    """Cancel each run still open with the first of ``clients`` allowed to (admins and ops
    are; members and tokens are not); what could not be cancelled and why. Forgets the ids."""
    left: list[str] = []
    for run_id in dict.fromkeys(run_ids):
        problems: list[str] = []
        for client in clients:
            try:
                if client.run(run_id).get("status") not in FINISHED:
                    client.cancel_run(run_id, reason="end of the test that started it")
                break
            except ApiFailure as failure:
                problems.append(f"{failure.status} {failure.error.get('message', '')}".rstrip())
            except requests.RequestException as failure:
                problems.append(str(failure))
        else:
            left.append(f"run {run_id} ({'; '.join(problems) or 'nobody to cancel it'})")
    run_ids.clear()
    return left
