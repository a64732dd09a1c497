"""The front end's build served by Flask: deep links, hashed assets, a missing build."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import spa

INDEX = "<!doctype html><title>Overture</title><script type=module src=/assets/index-abc123.js></script>"
DEEP_LINKS = [
    "/", "/login", "/builder/contract_approval", "/monitor/contract_approval", "/runs/r_42", "/runs", "/work", "/work/w_9",
    "/records/contract", "/records/contract/c_7", "/admin",
]


@pytest.fixture
def build(app, tmp_path) -> Path:
    root = tmp_path / "app-build"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('overture')")
    app.config["SPA_DIR"] = str(root)
    return root


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
    unknown = client.get("/not-a-view")
    assert unknown.status_code == 404 and unknown.is_json


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
