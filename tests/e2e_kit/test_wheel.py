"""The plugin as a company gets it: built into the wheel (its ``e2e`` extra declared with
the pinned versions), installed into a fresh virtual environment outside the repository,
running ``examples/e2e/`` against a running server (a LiveServer, as ``make run`` would serve).

The fresh environment gets the wheel itself (``pip install --no-deps``); its
dependencies — the extra's packages among them — come from this environment's site-packages through a ``.pth`` line (no
network and no second copy of Playwright). Only that directory is added, not its
``.pth`` files, so the editable install of the repository stays out: what is imported
is the wheel's. ``pip wheel`` builds in an isolated environment, so it fetches setuptools
from the package index (PyPI, or the one pip is configured with). Needs Chromium and the
built front end; skipped without them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from e2e.fixtures.server import APP_INDEX, DEMO_PASSWORD, REPO, LiveServer
from overture_e2e.api import Api
from overture_e2e.config import DEFAULT_CHROMIUM

pytestmark = [
    pytest.mark.skipif(not Path(DEFAULT_CHROMIUM).exists(), reason=f"{DEFAULT_CHROMIUM} is missing (scripts/ensure-chromium)"),
    pytest.mark.skipif(not APP_INDEX.exists(), reason="the front end is not built (npm run build)"),
    pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="runs from the repository's virtual environment"),
    pytest.mark.timeout(240),
]

#: A test that fails as one does after a release renamed a field: it keeps its artifacts.
BROKEN = """
from playwright.sync_api import expect
from overture_e2e.work_pages import MyWorkPage


def test_broken(persona):
    work = MyWorkPage(persona("requester")).open()
    expect(work.page.get_by_label("Vanished")).to_be_visible(timeout=500)
"""

#: What the wheel is built from (builder/static is the front end's build, not in the wheel).
SOURCES = ("pyproject.toml", "README.md", "runtime", "builder", "overture_e2e")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def start_wheel_build(folder: Path) -> subprocess.Popen[str]:
    """``pip wheel`` of a copy of the sources, in the background (the server starts meanwhile)."""
    source = folder / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "static", "*.egg-info"))
        else:
            shutil.copy(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(folder / "dist")]
    return subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def built_wheel(build: subprocess.Popen[str], folder: Path) -> Path:
    output, _ = build.communicate(timeout=180)
    assert build.returncode == 0, f"pip wheel failed ({build.returncode}):\n{output[-4000:]}"
    (wheel,) = (folder / "dist").glob("overture-*.whl")
    return wheel


def fresh_venv(folder: Path, wheel: Path) -> Path:
    venv = folder / "venv"
    run(getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", venv, cwd=folder)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=folder)
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=folder).strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_the_wheel_with_the_e2e_extra_runs_the_example_against_a_server(tmp_path):
    build = start_wheel_build(tmp_path)
    with contextlib.ExitStack() as stack:
        stack.callback(stop, build)
        server = stack.enter_context(LiveServer())
        wheel = built_wheel(build, tmp_path)
        with zipfile.ZipFile(wheel) as built:
            names = built.namelist()
            metadata = built.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
            entry_points = built.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        assert "overture_e2e/plugin.py" in names and "overture_e2e/work_pages.py" in names
        assert "overture_e2e = overture_e2e.plugin" in entry_points
        for pin in ("pytest-playwright==0.10.0", "playwright==1.65.2", "requests==2.34.2"):
            assert f'Requires-Dist: {pin}; extra == "e2e"' in metadata

        python = fresh_venv(tmp_path, wheel)
        imported = "import overture_e2e.plugin, builder; print(overture_e2e.__file__); print(builder.__file__)"
        where = run(python, "-c", imported, cwd=tmp_path)
        assert all(line.startswith(str(tmp_path / "venv")) for line in where.split()), where

        example = tmp_path / "example"
        shutil.copytree(REPO / "examples" / "e2e", example, ignore=shutil.ignore_patterns("__pycache__"))
        (example / "test_broken.py").write_text(BROKEN)
        accounts = ("REQUESTER", "LEGAL", "FINANCE", "EXEC", "OPS", "OVERTURE_E2E_ADMIN", "OVERTURE_E2E")
        secrets = {f"{name}_PASSWORD": DEMO_PASSWORD for name in accounts}
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OVERTURE_"))}, **secrets}
        command: list[str | Path] = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--overture-url", server.url]
        command += ["--overture-personas", "personas.yaml", "--output", tmp_path / "results"]
        command += ["-p", "no:overture"]  # the scenario files run below, as the example's CI job runs them
        done = subprocess.run(command, cwd=example, env=env, capture_output=True, text=True, timeout=180)
        output = done.stdout + done.stderr
        assert "1 failed, 1 passed" in output, output
        # The example's scenarios, through the server's pages, with the installed command.
        overture = tmp_path / "venv" / "bin" / "overture"
        command = [overture, "test", "scenarios", "--ui", server.url, "--personas", "personas.yaml", "--report", tmp_path / "ui"]
        done = subprocess.run(command, cwd=example, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        scenarios = len(list(example.glob("scenarios/*.scenario.yaml")))
        assert done.stdout.count("PASS") == scenarios, done.stdout
        assert (tmp_path / "ui" / "report.html").exists()
        assert 'get_by_label("Vanished")' in output, output

        # The failure kept a screenshot of the persona's page and the trace, by default.
        (kept,) = (tmp_path / "results").iterdir()
        assert "test-broken" in kept.name, kept
        assert list(kept.glob("trace*.zip")) and list(kept.glob("*.png")), sorted(p.name for p in kept.iterdir())

        # The test's record has a unique name, and its run (at finance) was cancelled after it.
        ops = Api(server.url).sign_in("otto")
        titles = {r["fields"]["title"]: r["id"] for r in ops.get("/api/records/contract")["items"]}
        (title,) = [t for t in titles if t.startswith("Contract test_legal_approves")]
        assert re.fullmatch(r"Contract test_legal_approves\w* [0-9a-f]{6}-\d+", title), title
        (started,) = ops.record("contract", titles[title])["runs"]
        assert ops.run(started["id"])["status"] == "cancelled"
