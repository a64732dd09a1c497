"""The page objects and API client the UI runner drives, from one place.

They are the project's end-to-end fixtures (``e2e/fixtures``: roles, labels and
``data-testid``s the front end keeps). This module is the only one of the runner that
imports them, and Playwright: the UI runner is optional (``pip install overture[e2e]``),
so nothing imports this module before a scenario is run through the UI.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: A checkout of the repository has the page objects in e2e/fixtures beside runtime/; an
#: installed wheel has them in its e2e extra.
_CHECKOUT = Path(__file__).resolve().parents[3]
if (_CHECKOUT / "e2e" / "fixtures").is_dir() and str(_CHECKOUT) not in sys.path:
    sys.path.append(str(_CHECKOUT))

try:
    from playwright.sync_api import Browser, BrowserContext, Error, Locator, Page, Playwright, expect, sync_playwright

    from e2e.fixtures.api import Api, ApiFailure
    from e2e.fixtures.browser import ACTION_TIMEOUT_MS, CHROMIUM, NAVIGATION_TIMEOUT_MS, VIEWPORT, launch_options
    from e2e.fixtures.pages import RunPage
    from e2e.fixtures.work_pages import ItemPage, MyWorkPage, RecordPage, RecordsPage
except ImportError as exc:  # pragma: no cover - the wheel without its e2e extra
    raise ImportError(
        f"running scenarios through the UI needs Playwright and Overture's page objects: install overture[e2e] ({exc})"
    ) from exc

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
