"""The front end: the Vite build of ``frontend/`` (``npm run build`` writes it to
``builder/static/app``), served for every deep link of the single-page app.

Reloading ``/builder/<key>`` or ``/runs/<id>`` must show the app, so each view's
path answers with ``index.html`` and the app's router takes over; the hashed files
under ``/assets/`` are cached for good. Any other page a browser asks for answers
404 *with* ``index.html``, so the app shows its "page not found" view (with a way
back) instead of raw JSON. Anything under ``/api``, ``/ws`` or ``/assets`` is never
the SPA: an unknown path there stays a JSON 404. When the build is missing, the app's pages
answer 503 saying how to build it (JSON for API-style clients).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, send_from_directory
from werkzeug.exceptions import NotFound

from builder.errors import error_response

bp = Blueprint("spa", __name__)

#: Where ``npm run build`` writes the app (override with ``SPA_DIR`` in the app config).
DEFAULT_DIR = Path(__file__).resolve().parent / "static" / "app"

#: The SPA's views (ARCHITECTURE §6); each answers with index.html.
DEEP_LINKS = (
    "/",
    "/login",
    "/builder/<key>",
    "/monitor/<key>",
    "/orchestrations/<key>/start",
    "/runs",
    "/runs/<run_id>",
    "/work",
    "/records",
    "/work/<item_id>",
    "/records/<object_name>",
    "/records/<object_name>/<record_id>",
    "/profile",
    "/admin",
    "/admin/<section>",
)

#: Paths that are never the app's pages: an unknown one there stays a JSON 404.
NOT_PAGES = ("/api/", "/ws/", "/assets/")

BUILD_HINT = "run `npm ci && npm run build` at the repository root"
ONE_YEAR = 365 * 24 * 3600


def spa_dir() -> Path:
    return Path(current_app.config.get("SPA_DIR") or DEFAULT_DIR)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _missing_build() -> Any:
    message = f"the web app has not been built: {BUILD_HINT}"
    if _wants_json():
        response = jsonify({"error": {"code": "app_not_built", "message": message}})
    else:
        response = Response(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Overture: app not built</title>"
            f"<h1>The Overture web app has not been built</h1><p>To build it, {BUILD_HINT}. "
            "The API under <code>/api</code> works without it.</p></html>",
            mimetype="text/html",
        )
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def index(**_: str) -> Any:
    root = spa_dir()
    if not (root / "index.html").is_file():
        return _missing_build()
    response = send_from_directory(root, "index.html", max_age=0)
    # Always revalidate: a new build changes which hashed assets the page loads.
    response.headers["Cache-Control"] = "no-cache"
    return response


def not_found(exc: NotFound) -> Any:
    """An unknown path: the app (status 404) for a page a browser asks for, else the JSON error."""
    path = request.path
    is_page = request.method in ("GET", "HEAD") and not path.startswith(NOT_PAGES) and path not in ("/api", "/ws")
    if not is_page or _wants_json():
        return error_response(404, "not_found", exc.description or "not found")
    response = index()
    response.status_code = 404 if response.status_code == 200 else response.status_code
    return response


def init_app(app: Flask) -> None:
    """Unknown pages answer with the app, which shows its "page not found" view."""
    app.register_error_handler(NotFound, not_found)


for _number, _rule in enumerate(DEEP_LINKS):
    bp.add_url_rule(_rule, endpoint="index" if _number == 0 else f"index_{_number}", view_func=index)


@bp.get("/assets/<path:filename>")
def asset(filename: str) -> Any:
    root = spa_dir() / "assets"
    if not root.is_dir():
        if not (spa_dir() / "index.html").is_file():
            return _missing_build()
        raise NotFound()
    # Vite puts a content hash in every name under assets/, so a name never changes meaning.
    response = send_from_directory(root, filename, max_age=ONE_YEAR)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
