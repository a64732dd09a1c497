"""``overture test --ui URL``: scenario files, or an orchestration's generated paths, through a server's pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.testing.paths import generate as generate_paths
from runtime.testing.results import ScenarioResult
from runtime.testing.runner import run_scenario
from runtime.testing.scenario import Scenario
from runtime.testing.suite import FileResult, discover, load_file
from runtime.testing.ui import report
from runtime.testing.ui.personas import Accounts
from runtime.testing.ui.runner import UiResult, UiSession


@dataclass
class UiSuite:
    """What a UI run gave, and where its report is."""

    results: list[UiResult] = field(default_factory=list)
    html: Path | None = None

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 when a scenario failed, 2 when a file did not load or none ran."""
        if any(r.scenario is None for r in self.results) or not self.results:
            return 2
        return 1 if any(r.status == "failed" for r in self.results) else 0


def scenario_files(paths: Iterable[str | Path], keyword: str | None = None) -> list[tuple[str, Scenario] | UiResult]:
    """The scenarios under ``paths`` (``-k`` keeps those whose name or file has ``keyword``);
    a file that does not load is a failed :class:`UiResult` whatever ``-k`` says."""
    found: list[tuple[str, Scenario] | UiResult] = []
    for file in discover(paths):
        loaded = load_file(file)
        if isinstance(loaded, FileResult):
            found.append(UiResult(loaded.result, None))
        elif keyword is None or keyword.lower() in f"{loaded.name}\n{file}".lower():
            found.append((loaded.name, loaded))
    return found


def generated(document: dict[str, Any], *, max_visits: int = 2) -> list[tuple[str, Scenario]]:
    """A scenario per feasible path through ``document`` (as ``overture test --generate`` writes them)."""
    return [(path.name, Scenario.from_dict(path.data)) for path in generate_paths(document, max_visits=max_visits) if path.data is not None]


def server_document(session: UiSession, key: str) -> dict[str, Any]:
    """The active version of ``key`` on the server: what a release put there."""
    if session.admin.status_of("GET", f"/api/orchestrations/{key}") == 404:
        raise LookupError(f"there is no orchestration {key} on {session.base_url}")
    found = session.admin.get(f"/api/orchestrations/{key}")
    if not found.get("active_version"):
        raise LookupError(f"{key} has no active version on {session.base_url}")
    document: dict[str, Any] = session.admin.get(f"/api/orchestrations/{key}/versions/{found['active_version']}")["document"]
    return document


def run_ui(
    base_url: str,
    accounts: Accounts,
    artifacts: Path,
    *,
    paths: Iterable[str | Path] = (),
    keyword: str | None = None,
    generate: str | None = None,
    max_visits: int = 2,
    environment: str | None = None,
    compare_memory: bool = False,
    parallel: bool = True,
    junit: Path | None = None,
    progress: Callable[[UiResult], None] | None = None,
) -> UiSuite:
    """Run scenario files (or ``generate``: every path of that orchestration on the server) through the UI.

    Writes ``artifacts/report.html`` (and ``junit`` when given); ``compare_memory`` also runs
    each scenario on the in-memory engine and keeps its time; ``parallel=False`` plays every
    step one after another (by default the steps the scenario allows play side by side).
    """
    suite = UiSuite()
    with UiSession(base_url, accounts, artifacts, environment=environment, parallel=parallel) as session:
        chosen = generated(server_document(session, generate), max_visits=max_visits) if generate else scenario_files(paths, keyword)
        for entry in chosen:
            if isinstance(entry, UiResult):
                result = entry
            else:
                name, scenario = entry
                result = session.run(scenario, name=name)
                if compare_memory:
                    document = server_document(session, scenario.orchestration) if generate else None
                    memory: ScenarioResult = run_scenario(scenario, document=document, environment=environment)
                    result.memory_ms = memory.duration_ms
            suite.results.append(result)
            if progress is not None:
                progress(result)
    suite.html = artifacts / "report.html"
    report.write_html(suite.results, suite.html, server=base_url)
    if junit is not None:
        report.write_junit(suite.results, junit)
    return suite
