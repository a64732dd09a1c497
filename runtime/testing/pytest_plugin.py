"""pytest plugin: ``*.scenario.yaml`` / ``*.scenario.yml`` files are collected as tests.

Registered as the ``overture`` ``pytest11`` entry point, so it loads in every pytest run
of a project that installs Overture: besides its package it imports nothing until a
scenario file is collected, and it adds no fixtures or hooks that act on other tests.
``-p no:overture`` turns it off. A failing scenario shows the same
report as ``overture test``; a file that does not load is a collection error naming
``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # for annotations only: the plugin loads the scenario modules once a file is collected
    from runtime.testing.results import ScenarioResult
    from runtime.testing.scenario import Scenario

SUFFIXES = (".scenario.yaml", ".scenario.yml")  # = runtime.testing.suite.SUFFIXES, kept here so that the suite loads only when needed


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--scenario-env NAME``: run scenario files with their personas bound to that environment."""
    parser.getgroup("overture").addoption(
        "--scenario-env",
        metavar="NAME",
        default=None,
        help="Overture scenario files: bind personas to the users of this environment.",
    )


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

    def __init__(self, result: ScenarioResult):
        super().__init__(result.name)
        self.result = result


class ScenarioItem(pytest.Item):
    """One scenario, run by :func:`runtime.testing.run_scenario`."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        """Run the scenario; raise :class:`ScenarioFailed` if it fails."""
        from runtime.testing.runner import run_scenario

        result = run_scenario(self.scenario, environment=self.config.getoption("scenario_env"))
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """The ``overture test`` report of a failed scenario; a traceback for anything else."""
        if isinstance(excinfo.value, ScenarioFailed):
            from runtime.testing.suite import failure_report

            return failure_report(_shown(self), self.scenario, excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The file, the scenario's first line (0-based, as pytest counts) and its name."""
        return self.path, 0, f"scenario: {self.name}"
