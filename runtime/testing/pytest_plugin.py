"""pytest plugin: ``*.scenario.yaml`` / ``*.scenario.yml`` files are collected as tests.

Registered as the ``overture`` ``pytest11`` entry point, so it loads in every pytest run
of a project that installs Overture: besides its package it imports nothing until a
scenario file is collected, and it adds no fixtures or hooks that act on other tests.
``-p no:overture`` turns it off. A failing scenario shows the same
report as ``overture test``; a file that does not load is a collection error naming
``file:line``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # for annotations only: the plugin loads the scenario modules once a file is collected
    from runtime.testing.results import ScenarioResult
    from runtime.testing.scenario import Scenario

SUFFIXES = (".scenario.yaml", ".scenario.yml")  # = runtime.testing.suite.SUFFIXES, kept here so that the suite loads only when needed


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--scenario-env NAME``: run scenario files with their personas bound to that environment;
    ``--overture-ui URL``: run them through the pages of that server (``--overture-ui-report DIR``:
    screenshots, traces and the HTML report; ``--overture-ui-serial``: every step one after
    another). The accounts are the end-to-end plugin's ``--overture-personas FILE``
    (``overture_e2e``, in the same wheel), else the demo's."""
    group = parser.getgroup("overture")
    group.addoption(
        "--scenario-env",
        metavar="NAME",
        default=None,
        help="Overture scenario files: bind personas to the users of this environment.",
    )
    group.addoption(
        "--overture-ui",
        metavar="URL",
        default=None,
        help="Overture scenario files: run them through the UI of the server at URL (needs overture[e2e]).",
    )
    group.addoption(
        "--overture-ui-report",
        metavar="DIR",
        default="test-results/ui",
        help="With --overture-ui: where screenshots, traces and report.html go (default test-results/ui).",
    )
    group.addoption(
        "--overture-ui-serial",
        action="store_true",
        default=False,
        help="With --overture-ui: play every step one after another (by default steps of different personas "
        "the scenario allows play side by side).",
    )


#: The config's stash key for the UI session (one browser for the whole run).
_UI_SESSION: pytest.StashKey[Any] = pytest.StashKey()
_UI_RESULTS: pytest.StashKey[list[Any]] = pytest.StashKey()


def _ui_session(config: pytest.Config) -> Any:
    """The browser and admin of ``--overture-ui``, opened by the first scenario that needs them."""
    if _UI_SESSION not in config.stash:
        from runtime.testing.ui.personas import PersonasError, demo_accounts, load_accounts
        from runtime.testing.ui.runner import UiSession

        url = config.getoption("overture_ui")
        personas = config.getoption("overture_personas", default=None) or os.environ.get("OVERTURE_PERSONAS")
        try:
            accounts = load_accounts(Path(personas)) if personas else demo_accounts()
            session = UiSession(
                url,
                accounts,
                Path(config.getoption("overture_ui_report")),
                environment=config.getoption("scenario_env"),
                parallel=not config.getoption("overture_ui_serial"),
            )
            config.stash[_UI_SESSION] = session.__enter__()
        except PersonasError as exc:
            pytest.fail(f"--overture-ui {url}: {exc}", pytrace=False)
        except OSError as exc:  # requests' connection errors too
            pytest.fail(f"--overture-ui {url} does not answer: {exc}", pytrace=False)
        config.stash[_UI_RESULTS] = []
    return config.stash[_UI_SESSION]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the UI session's browser and write its report."""
    session = config.stash.get(_UI_SESSION, None)
    if session is not None:
        from runtime.testing.ui import report

        session.__exit__(None, None, None)
        report.write_html(config.stash[_UI_RESULTS], session.artifacts / "report.html", server=session.base_url)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A :class:`ScenarioFile` for a file named like a scenario."""
    if file_path.name.endswith(SUFFIXES):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _shown(node: pytest.Item | pytest.Collector) -> Path:
    """The node's file as seen from where pytest was started (so that editors open ``file:line``)."""
    try:
        return node.path.relative_to(node.config.invocation_params.dir)
    except ValueError:
        return node.path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--overture-ui`` drives a browser of its own: Playwright allows one per thread, so
    Playwright tests (pytest-playwright's fixtures) cannot run in the same pytest run."""
    if not config.getoption("overture_ui", default=None) or not any(isinstance(i, ScenarioItem) for i in items):
        return
    browsing = sorted(
        i.nodeid for i in items if set(getattr(i, "fixturenames", ())) & {"page", "context", "browser", "playwright", "persona"}
    )
    if browsing:
        raise pytest.UsageError(
            f"--overture-ui runs scenario files in a browser of its own, and Playwright allows one at a time: run "
            f"{browsing[0]}{f' and {len(browsing) - 1} more' if len(browsing) > 1 else ''} in another pytest run "
            "(or the scenarios with `overture test PATHS --ui URL`)"
        )


class ScenarioFile(pytest.File):
    """A scenario file: one test item, its scenario."""

    def collect(self) -> Iterator[pytest.Item]:
        """The file's scenario as an item; a file that does not load is a collection error."""
        from runtime.testing.suite import FileResult, failure_report, load_file

        loaded = load_file(self.path)
        if isinstance(loaded, FileResult):  # it did not load
            raise self.CollectError(failure_report(_shown(self), None, loaded.result))
        yield ScenarioItem.from_parent(self, name=loaded.name, scenario=loaded)


class ScenarioFailed(Exception):
    """Raised by :meth:`ScenarioItem.runtest` with the failed result."""

    def __init__(self, result: ScenarioResult, report: str | None = None):
        super().__init__(result.name)
        self.result = result
        self.report = report  # the UI runner's account (step, persona, page, screenshot, trace)


class ScenarioItem(pytest.Item):
    """One scenario, run by :func:`runtime.testing.run_scenario`."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        """Run the scenario (through the UI with ``--overture-ui``); raise :class:`ScenarioFailed` if it fails."""
        if self.config.getoption("overture_ui"):
            self._through_the_ui()
            return
        from runtime.testing.runner import run_scenario

        result = run_scenario(self.scenario, environment=self.config.getoption("scenario_env"))
        if not result.passed:
            raise ScenarioFailed(result)

    def _through_the_ui(self) -> None:
        from runtime.testing.ui.report import line

        ran = _ui_session(self.config).run(self.scenario)
        self.config.stash[_UI_RESULTS].append(ran)
        if ran.status == "failed":
            raise ScenarioFailed(ran.result, line(ran))
        if ran.status == "skipped":
            pytest.skip(ran.skipped or "skipped")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """The ``overture test`` report of a failed scenario; a traceback for anything else."""
        if isinstance(excinfo.value, ScenarioFailed):
            if excinfo.value.report is not None:
                return excinfo.value.report
            from runtime.testing.suite import failure_report

            return failure_report(_shown(self), self.scenario, excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The file, the scenario's first line (0-based, as pytest counts) and its name."""
        return self.path, 0, f"scenario: {self.name}"
