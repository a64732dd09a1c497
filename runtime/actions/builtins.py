"""Built-in actions: records, notifications, variables, HTTP and child runs.

``record.update``, ``record.create``, ``notify`` and ``vars.set`` change only the
engine's own database, so they are *local*: they run inside the transaction of the
step they belong to and happen exactly once with it. ``http.request`` and
``orchestration.start`` run as jobs, outside it, at least once.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from runtime import tracing
from runtime.actions.registry import ActionContext, ActionFailed, ActionField, ActionRegistry, Pending

_MAX_RESPONSE = 1_000_000


def register_builtins(registry: ActionRegistry) -> None:
    """Add every built-in action to ``registry``."""

    @registry.action(
        "record.update",
        inputs=[
            ActionField("fields", "map", True, "Field values to write"),
            ActionField("object", "string", False, "Record type (default: the run's record)"),
            ActionField("id", "string", False, "Record id (default: the run's record)"),
        ],
        outputs=[ActionField("record", "map", description="The record after the update")],
        local=True,
        description="Update fields of a record (the run's own record unless told otherwise).",
    )
    def record_update(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
        obj, rid = _record_target(ctx, inputs)
        record = ctx.services.update_record(obj, rid, _map(inputs["fields"], "fields"), by=None)
        return {"record": record}

    @registry.action(
        "record.create",
        inputs=[
            ActionField("object", "string", True, "Record type"),
            ActionField("fields", "map", True, "Field values"),
            ActionField("owner", "string", False, "Owner user name"),
        ],
        outputs=[ActionField("id", "string"), ActionField("record", "map")],
        local=True,
        description="Create a record; retried attempts return the record the first attempt made.",
    )
    def record_create(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
        # One record per step visit, whatever the attempt: the key leaves the attempt out.
        key = ctx.idempotency_key.rsplit(":", 1)[0]
        record = ctx.services.create_record(
            _string(inputs["object"], "object"), _map(inputs["fields"], "fields"), owner=inputs.get("owner"), idempotency_key=key
        )
        return {"id": record["id"], "record": record}

    @registry.action(
        "notify",
        inputs=[
            ActionField("to", "any", True, "A user name, or {type: user|group|queue, value}"),
            ActionField("subject", "string", True),
            ActionField("body", "string", False),
        ],
        local=True,
        description="Write a notification to the outbox (delivered in-app and by mail).",
    )
    def notify(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
        to = inputs["to"]
        if isinstance(to, str):
            to = {"type": "user", "value": to}
        if not (isinstance(to, dict) and to.get("type") in {"user", "group", "queue"} and isinstance(to.get("value"), str)):
            raise ActionFailed("notify: `to` must be a user name or {type: user|group|queue, value: name}", retryable=False)
        ctx.services.notify(
            to={"type": to["type"], "value": to["value"]},
            subject=_string(inputs["subject"], "subject"),
            body=str(inputs.get("body") or ""),
            run_id=ctx.run_id,
            idempotency_key=ctx.idempotency_key.rsplit(":", 1)[0],
        )
        return {}

    @registry.action(
        "vars.set",
        open_inputs=True,
        local=True,
        description="Set run variables: each input names a variable (runs in the step's own transaction).",
    )
    def vars_set(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
        ctx.set_variables(inputs)
        return dict(inputs)

    @registry.action(
        "http.request",
        inputs=[
            ActionField("url", "string", True, "http(s) URL; its host must be on the allowlist"),
            ActionField("method", "string", False, "GET (default), POST, PUT, PATCH or DELETE"),
            ActionField("headers", "map", False),
            ActionField("body", "any", False, "Sent as JSON"),
            ActionField("timeout", "number", False, "Seconds, default 10"),
        ],
        outputs=[ActionField("status", "integer"), ActionField("body", "any"), ActionField("headers", "map")],
        description="Call an HTTP endpoint on an allowed host, with an Idempotency-Key header.",
        secrets=True,  # credentials in headers, body or URL go to that host, nowhere else
    )
    def http_request(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
        return _http_request(ctx, inputs)

    @registry.action(
        "orchestration.start",
        inputs=[
            ActionField("orchestration", "string", True, "Key of an active orchestration"),
            ActionField("inputs", "map", False),
            ActionField("wait", "boolean", False, "Complete the step only when the child run ends"),
        ],
        outputs=[ActionField("run_id", "string"), ActionField("status", "string"), ActionField("vars", "map")],
        description="Start a child run, optionally waiting for it to end.",
    )
    def orchestration_start(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any] | Pending:
        wait = bool(inputs.get("wait", False))
        child = ctx.services.start_child(
            _string(inputs["orchestration"], "orchestration"), _map(inputs.get("inputs") or {}, "inputs"), parent=ctx, wait=wait
        )
        if wait:
            return Pending({"run_id": child})
        return {"run_id": child, "status": "in_progress"}


def _record_target(ctx: ActionContext, inputs: dict[str, Any]) -> tuple[str, str]:
    obj, rid = inputs.get("object"), inputs.get("id")
    if obj is None and rid is None:
        if not ctx.record:
            raise ActionFailed("record.update: the run has no record; give `object` and `id`", retryable=False)
        return ctx.record["object"], ctx.record["id"]
    if not (isinstance(obj, str) and isinstance(rid, str)):
        raise ActionFailed("record.update: give both `object` and `id` as strings, or neither", retryable=False)
    return obj, rid


def _map(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ActionFailed(f"input `{name}` must be a map, got {type(value).__name__}", retryable=False)
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ActionFailed(f"input `{name}` must be a non-empty string", retryable=False)
    return value


#: A label of a host name (letters, digits, hyphens; underscores as some internal names have).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
#: A last label that is a number (``2130706433``, ``0x7f``, ``1``): the host is an IPv4 address in some form.
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)\Z")


def url_problem(url: str, allowlist: list[str]) -> str | None:
    """Why ``url`` may not be called, or None when it may.

    Only plain http(s) URLs whose host is on the allowlist (``*.example.com`` matches
    subdomains). Shapes that parsers read differently are refused outright, so the host
    checked here is the host connected to: credentials before an ``@``, backslashes,
    spaces and control characters, percent-encoded or non-ASCII hosts, IPv4 addresses
    written other than as four decimal numbers (``2130706433``, ``0177.0.0.1``, ``0x7f.1``),
    IPv6 zone ids.
    """
    if "\\" in url or not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        return "it has a backslash, a space, a control or a non-ASCII character; give a plain http(s) URL"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a port that is not a number from 0 to 65535
    except ValueError:
        return "it is not a valid URL (check the host and port)"
    if parts.scheme not in {"http", "https"}:
        return "only http and https URLs may be called"
    if "@" in parts.netloc:
        return "credentials in URLs are not allowed (send them in a header)"
    if "%" in parts.netloc:
        return "a percent-encoded host is not allowed"
    host = (parts.hostname or "").lower()
    if not host:
        return "it has no host"
    canonical = _canonical_host(host, bracketed=parts.netloc.startswith("["))
    if canonical is None:
        return f"host {host!r} is neither a plain name nor an IP address written plainly (four decimal numbers, or IPv6 in brackets)"
    for allowed in (a.lower() for a in allowlist):
        if allowed.startswith("*.") and canonical.endswith(allowed[1:]):
            return None
        if canonical == (_canonical_host(allowed.strip("[]"), bracketed=allowed.startswith("[")) or allowed):
            return None
    return f"host {host!r} is not on the allowlist (OVERTURE_HTTP_ALLOWLIST)"


def _canonical_host(host: str, *, bracketed: bool) -> str | None:
    """The host as compared with the allowlist, or None for a shape that is refused."""
    if bracketed or ":" in host:
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            return None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return None
    if _NUMERIC.match(labels[-1]):  # no top-level domain is a number: an IPv4 address, so a plain one
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return None
    return host


def host_allowed(url: str, allowlist: list[str]) -> bool:
    """True when ``url`` may be called (see :func:`url_problem`)."""
    return url_problem(url, allowlist) is None


def _http_request(ctx: ActionContext, inputs: dict[str, Any]) -> dict[str, Any]:
    url = _string(inputs["url"], "url")
    allowlist = list(ctx.settings.get("http_allowlist", []))
    problem = url_problem(url, allowlist)
    if problem is not None:
        raise ActionFailed(f"http.request: {url[:200]!r} may not be called: {problem}", retryable=False)
    method = str(inputs.get("method") or "GET").upper()
    if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
        raise ActionFailed(f"http.request: method {method!r} is not supported", retryable=False)
    headers = {str(k): str(v) for k, v in _map(inputs.get("headers") or {}, "headers").items()}
    headers.setdefault("Idempotency-Key", ctx.idempotency_key)
    if not any(k.lower() == "traceparent" for k in headers):  # the called system continues the job's trace
        tracing.inject(headers)
    data = None
    if "body" in inputs and inputs["body"] is not None:
        data = json.dumps(inputs["body"]).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    # Redirects could lead off the allowlist: refuse to follow them.
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=float(inputs.get("timeout") or 10)) as response:
            status, raw, response_headers = response.status, response.read(_MAX_RESPONSE), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, response_headers = exc.code, exc.read(_MAX_RESPONSE), dict(exc.headers or {})
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ActionFailed(f"http.request: {url}: {getattr(exc, 'reason', exc)}") from None
    except ValueError as exc:  # http.client.InvalidURL and friends: the URL will never work
        raise ActionFailed(f"http.request: {url[:200]!r}: {exc}", retryable=False) from None
    body: Any
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    if status >= 500 or status == 429:
        raise ActionFailed(f"http.request: {method} {url} answered {status}")
    if status >= 400:
        raise ActionFailed(f"http.request: {method} {url} answered {status}", retryable=False)
    return {"status": status, "body": body, "headers": response_headers}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
