"""Security headers on every response: API, pages, assets, errors (ARCHITECTURE §4, "Responses").

The Content-Security-Policy allows no inline script or style and no ``eval``: scripts,
styles, workers, fonts and images come from this origin only, and fetches and websockets
go back to it. The one inline script of ``index.html`` (the first view's requests, started
before the app's bundle loads) is allowed by its SHA-256 hash, read from the build that is
served, so a rebuild that changes it cannot break the page. No page may be framed.
HSTS is sent only when the cookies are marked Secure (``OVERTURE_SECURE_COOKIES=1``),
that is when the app is served over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app

from builder import spa

#: An inline script: a ``<script>`` without ``src``; its text is what the hash covers.
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.I | re.S)
ONE_YEAR = 365 * 24 * 3600


@lru_cache(maxsize=8)
def _script_hashes(path: str, _version: tuple[int, int, int]) -> tuple[str, ...]:
    """``'sha256-...'`` for each inline script of the page at ``path`` (cached per file version)."""
    text = Path(path).read_text(encoding="utf-8")
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()}'" for m in _INLINE_SCRIPT.finditer(text)
    )


def inline_script_hashes() -> tuple[str, ...]:
    page = spa.spa_dir() / "index.html"
    try:
        stat = page.stat()
        return _script_hashes(str(page), (stat.st_mtime_ns, stat.st_size, stat.st_ino))
    except OSError:  # not built: the 503 page has no script
        return ()


def content_security_policy() -> str:
    script = " ".join(("'self'", *inline_script_hashes()))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers without CSP 2
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", f"max-age={ONE_YEAR}")
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure)
