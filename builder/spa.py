"""The front end: the Vite build of ``frontend/`` (``npm run build`` writes it to
``builder/static/app``), served for every deep link of the single-page app.

Reloading ``/builder/<key>`` or ``/runs/<id>`` must show the app, so each view's
path answers with ``index.html`` and the app's router takes over; the hashed files
under ``/assets/`` are cached for good. Anything under ``/api`` is never the SPA:
an unknown API path stays a JSON 404. When the build is missing, the app's pages
answer 503 saying how to build it (JSON for API-style clients).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("spa", __name__)

#: Where ``npm run build`` writes the app (override with ``SPA_DIR`` in the app config).
DEFAULT_DIR = Path(__file__).resolve().parent / "static" / "app"

#: The SPA's views (DESIGN §6); each answers with index.html.
DEEP_LINKS = (
    "/",
    "/login",
    "/builder/<key>",
    "/monitor/<key>",
    "/runs",
    "/runs/<run_id>",
    "/work",
    "/work/<item_id>",
    "/records/<object_name>",
    "/records/<object_name>/<record_id>",
    "/admin",
)

BUILD_HINT = "run `npm ci && npm run build` at the repository root"
ONE_YEAR = 365 * 24 * 3600


def spa_dir() -> Path:
    return Path(current_app.config.get("SPA_DIR") or DEFAULT_DIR)


def _missing_build() -> Any:
    message = f"the web app has not been built: {BUILD_HINT}"
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
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
