"""The page objects and API client the UI runner drives, from one place.

They are the packaged end-to-end kit's (``overture_e2e``: roles, labels and the
``data-testid``s the front end keeps). This module is the only one of the runner that
imports them, and Playwright: the UI runner is optional (``pip install overture[e2e]``),
so nothing imports this module before a scenario is run through the UI.
"""

from __future__ import annotations

try:
    from playwright.sync_api import Browser, BrowserContext, Error, Locator, Page, Playwright, expect, sync_playwright

    from overture_e2e.api import Api, ApiFailure
    from overture_e2e.browser import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, VIEWPORT, launch_options
    from overture_e2e.config import DEFAULT_CHROMIUM as CHROMIUM
    from overture_e2e.pages import RunPage
    from overture_e2e.work_pages import ItemPage, MyWorkPage, RecordPage, RecordsPage
except ImportError as exc:  # pragma: no cover - the wheel without its e2e extra
    raise ImportError(f"running scenarios through the UI needs Playwright: install overture[e2e] ({exc})") from exc

__all__ = [
    "ACTION_TIMEOUT_MS",
    "CHROMIUM",
    "NAVIGATION_TIMEOUT_MS",
    "VIEWPORT",
    "Api",
    "ApiFailure",
    "Browser",
    "BrowserContext",
    "Error",
    "ItemPage",
    "Locator",
    "MyWorkPage",
    "Page",
    "Playwright",
    "RecordPage",
    "RecordsPage",
    "RunPage",
    "expect",
    "launch_options",
    "sync_playwright",
]
