"""The Content-Security-Policy holds in a real browser: every page of the app (the list the
accessibility test walks) renders with it and no CSP violation, the builder's canvas
included, and the websockets each page streams over open (``connect-src 'self'``).
The headers themselves are checked on the page's own response."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from e2e.test_accessibility import PAGES, AppPage, Ids, ids, settled  # noqa: F401 (ids: a fixture)

#: Each violation the page reports, as the browser's event describes it.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
});
"""
#: Pages that stream live over a websocket of their own as soon as they open (every
#: signed-in page also keeps the inbox's, /ws/inbox).
STREAMING = {"monitor": "/ws/live", "run": "/ws/runs/"}


def violations(page: Page, console: list[str]) -> list[str]:
    return list(page.evaluate("() => window.__cspViolations")) + console


@pytest.mark.parametrize("app_page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_renders_under_the_csp_without_a_violation(app_page: AppPage, ids: Ids, login_as, anonymous_context):
    context = anonymous_context if app_page.who is None else login_as(app_page.who)
    context.add_init_script(LISTEN)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    path = app_page.path.format(run=ids.run, record=ids.record, item=ids.item, key=ids.key)
    sockets: list[Any] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    response = page.goto(path)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    app_page.ready(page)
    settled(page)
    streams = [s for s in (STREAMING.get(app_page.name), "/ws/inbox" if app_page.who else None) if s]
    for stream in streams:  # opened, so connect-src 'self' lets ws:// to this origin through
        if not any(stream in socket.url for socket in sockets):
            page.wait_for_event("websocket", predicate=lambda socket, stream=stream: stream in socket.url)
    assert not violations(page, console), violations(page, console)
