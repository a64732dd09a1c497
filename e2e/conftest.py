"""End-to-end tests: a real ``overture serve`` and Debian's Chromium (ARCHITECTURE §7).

Run with ``make test`` or ``.venv/bin/python -m pytest e2e``. The suite uses the packaged
plugin (``overture_e2e``, loaded by its entry point) as any project would: it is given
the live server's URL and the demo people as its personas (``e2e/fixtures/browser.py``). The suite's own
fixtures live in ``e2e/fixtures/`` (see its ``__init__``); failures keep screenshots,
traces and the server's log under ``test-results/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "e2e.fixtures.mail",
    "e2e.fixtures.server",
    "e2e.fixtures.browser",
    "e2e.fixtures.api",
]

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright's --output is relative to where pytest started; keep artifacts in
    # the repository's test-results/ (gitignored) wherever that is.
    if config.getoption("--output") == "test-results":
        config.option.output = str(REPO / "test-results")
