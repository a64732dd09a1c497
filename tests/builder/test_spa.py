"""The front end's build served by Flask: deep links, hashed assets, a missing build."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import spa

INDEX = "<!doctype html><title>Overture</title><script type=module src=/assets/index-abc123.js></script>"
DEEP_LINKS = [
    "/",
    "/login",
    "/builder/contract_approval",
    "/monitor/contract_approval",
    "/runs/r_42",
    "/runs",
    "/work",
    "/work/w_9",
    "/records",
    "/records/contract",
    "/records/contract/c_7",
    "/profile",
    "/orchestrations/contract_approval/start",
    "/admin",
    "/admin/people",
]


def make_build(app, root: Path, index: str, script: str) -> Path:
    """A stand-in for the Vite build at ``root``: ``index.html`` and one hashed script, served by ``app``."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(index)
    (root / "assets" / script).write_text("console.log('overture')")
    app.config["SPA_DIR"] = str(root)
    return root


@pytest.fixture
def build(app, tmp_path) -> Path:
    return make_build(app, tmp_path / "app-build", INDEX, "index-abc123.js")


@pytest.mark.parametrize("path", DEEP_LINKS)
def test_deep_links_answer_with_the_app(app, build, path):
    with app.test_client().get(path) as response:
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert response.get_data(as_text=True) == INDEX
        assert response.headers["Cache-Control"] == "no-cache"


def test_every_view_of_the_design_is_a_deep_link():
    assert len(spa.DEEP_LINKS) == len(DEEP_LINKS)


def test_hashed_assets_are_served_and_cached_for_good(app, build):
    client = app.test_client()
    with client.get("/assets/index-abc123.js") as response:
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "console.log('overture')"
        assert "immutable" in response.headers["Cache-Control"]
    missing = client.get("/assets/index-gone.js")
    assert missing.status_code == 404 and missing.is_json
    assert client.get("/assets/../index.html").status_code == 404


def test_api_paths_are_never_the_app(app, build):
    client = app.test_client()
    for path in ("/api/nothing-here", "/api/orchestrations/x/y/z"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.is_json and response.get_json()["error"]["code"] == "not_found"
    # Nor are the live streams and the assets, whatever the client accepts.
    for path in ("/ws/nothing", "/assets/nothing.js"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("path", ["/not-a-view", "/builder", "/runs/r_1/extra", "/records/contract/c_7/x"])
def test_unknown_pages_answer_404_with_the_app(app, build, path):
    """The app shows its "page not found" view (with a way back) rather than raw JSON."""
    client = app.test_client()
    with client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}) as response:
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert response.get_data(as_text=True) == INDEX
    # An API-style client asking for JSON still gets the JSON error; so does a write.
    as_json = client.get(path, headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.get_json()["error"]["code"] == "not_found"
    posted = client.post(path, headers={"Accept": "text/html"})
    assert posted.status_code in (404, 405) and posted.is_json


def test_unknown_pages_without_a_build_say_how_to_build_it(app, tmp_path):
    app.config["SPA_DIR"] = str(tmp_path / "never-built")
    response = app.test_client().get("/not-a-view", headers={"Accept": "text/html"})
    assert response.status_code == 503 and "npm run build" in response.get_data(as_text=True)


def test_a_missing_build_says_how_to_build_it(app, tmp_path):
    app.config["SPA_DIR"] = str(tmp_path / "never-built")
    client = app.test_client()
    page = client.get("/builder/contract_approval", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "npm run build" in page.get_data(as_text=True)
    as_json = client.get("/work", headers={"Accept": "application/json"})
    assert as_json.status_code == 503
    assert as_json.get_json()["error"]["code"] == "app_not_built"
    assert client.get("/assets/index-abc123.js").status_code == 503
    # The API does not need the build.
    assert client.get("/api/session").status_code == 401
