"""A suite of scenario files: discovery, running with one shared coverage, the text report.

``overture test`` and the pytest plugin are thin wrappers around this module: the
command line wires its options to :func:`run_suite` and prints
:meth:`SuiteResult.report`; the plugin shows :func:`failure_report` for a failing
scenario, so both read the same.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.directory import Directory
from runtime.testing.coverage import Coverage
from runtime.testing.documents import DocumentSource
from runtime.testing.paths import GeneratedPaths, write_scenarios
from runtime.testing.paths import generate as generate_paths
from runtime.testing.results import Failure, ScenarioResult, setup_failures
from runtime.testing.runner import run_scenario
from runtime.testing.scenario import Scenario, load_scenario
from runtime.testing.scenario_format import ScenarioFormatError, actions_of

#: Names a scenario file ends with; directories are searched for these.
SUFFIXES = (".scenario.yaml", ".scenario.yml")
#: Directories never searched: tools' caches and installed packages, not anyone's scenarios.
SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
#: Exit codes of ``overture test``.
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class SuiteUsageError(Exception):
    """The suite cannot run as asked (a path that does not exist); ``overture test`` exits 2."""


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """The scenario files under ``paths``, each once, in a stable order.

    Args:
        paths: Files (taken whatever their name) and directories (searched recursively
            for ``*.scenario.yaml`` and ``*.scenario.yml``, skipping hidden directories
            and package caches).

    Returns:
        The files, directories' files sorted by path.

    Raises:
        SuiteUsageError: A path does not exist.
    """
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if path.is_file():
            found.setdefault(path, None)
        elif path.is_dir():
            for file in sorted(_search(path)):
                found.setdefault(file, None)
        else:
            raise SuiteUsageError(f"{given}: no such file or directory")
    return list(found)


def _search(directory: Path) -> Iterable[Path]:
    for root, directories, files in os.walk(directory):
        directories[:] = [d for d in directories if not d.startswith(".") and d not in SKIPPED_DIRECTORIES]
        for name in files:
            if name.endswith(SUFFIXES):
                yield Path(root, name)


@dataclass(frozen=True)
class FileResult:
    """The outcome of one scenario file.

    Attributes:
        file: The file as discovered.
        scenario: The scenario it holds; None when it did not load.
        result: Its result. For a file that did not load (unreadable, not YAML, not a valid
            scenario) the result has one failure of kind ``setup`` per problem, with its line.
    """

    file: Path
    scenario: Scenario | None
    result: ScenarioResult

    @property
    def loaded(self) -> bool:
        """Whether the file held a valid scenario (a JUnit ``<failure>`` if it failed, else an ``<error>``)."""
        return self.scenario is not None


@dataclass
class SuiteResult:
    """The outcome of a suite run.

    Attributes:
        files: One entry per file run (files deselected by ``keyword`` are left out).
        coverage: Coverage of every scenario run, merged.
        duration_ms: Wall time of the whole run.
        deselected: Scenarios left out by ``keyword``.
    """

    files: list[FileResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    duration_ms: float = 0.0
    deselected: int = 0

    @property
    def passed(self) -> int:
        """Scenarios that passed."""
        return sum(1 for f in self.files if f.result.passed)

    @property
    def failed(self) -> int:
        """Scenarios that loaded and failed."""
        return sum(1 for f in self.files if f.loaded and not f.result.passed)

    @property
    def errors(self) -> int:
        """Files that did not load."""
        return sum(1 for f in self.files if not f.loaded)

    @property
    def exit_code(self) -> int:
        """0 when every scenario passed, 1 when one failed, 2 when a file did not load or none ran."""
        if self.errors or not self.files:
            return EXIT_USAGE
        return EXIT_FAILED if self.failed else EXIT_PASSED

    def summary(self) -> str:
        """``12 passed, 1 failed in 45 ms`` (errors and deselected counted when there are any)."""
        parts = [f"{self.passed} passed", f"{self.failed} failed"]
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        if self.deselected:
            parts.append(f"{self.deselected} deselected")
        if not self.files:
            parts = ["no scenarios ran" + (f" ({self.deselected} deselected)" if self.deselected else "")]
        return f"{', '.join(parts)} in {format_duration(self.duration_ms, precise=False)}"

    def report(self, *, quiet: bool = False, coverage: bool = False) -> str:
        """The text report: a line per scenario, each failure with its diff, the summary.

        Args:
            quiet: Leave out the lines of passing scenarios.
            coverage: Add the coverage table after the summary.
        """
        lines: list[str] = []
        for entry in self.files:
            result = entry.result
            if not (quiet and result.passed):
                status = "PASS" if result.passed else ("FAIL" if entry.loaded else "ERROR")
                lines.append(f"{status} {result.name} ({entry.file}) {format_duration(result.duration_ms)}")
            if not result.passed:
                lines.append(_indent(failure_report(entry.file, entry.scenario, result), "  "))
        lines.append(self.summary())
        if coverage:
            lines += ["", coverage_table(self.coverage.report())]
        return "\n".join(lines)


def run_suite(
    paths: Sequence[str | Path],
    *,
    keyword: str | None = None,
    documents: DocumentSource | None = None,
    environment: str | None = None,
    directory: Directory | None = None,
) -> SuiteResult:
    """Run the scenario files under ``paths``.

    Args:
        paths: Files and directories (see :func:`discover`).
        keyword: Run only scenarios whose name or file contains this (case-insensitive).
            Files that do not load are always reported, whatever their name.
        documents: Where orchestration documents come from (default: files next to the
            scenarios and the shipped templates).
        environment: Bind personas to the users of this environment of each file.
        directory: People, groups and queues to run against (with ``environment``).

    Returns:
        The results, in file order, with the merged coverage.

    Raises:
        SuiteUsageError: A path does not exist.
    """
    started = time.perf_counter()
    suite = SuiteResult()
    needle = keyword.casefold() if keyword else None
    for file in discover(paths):
        loaded = load_file(file)
        if isinstance(loaded, FileResult):
            suite.files.append(loaded)
            continue
        if needle and needle not in loaded.name.casefold() and needle not in str(file).casefold():
            suite.deselected += 1
            continue
        result = run_scenario(loaded, documents=documents, environment=environment, directory=directory, coverage=suite.coverage)
        suite.files.append(FileResult(file, loaded, result))
    suite.duration_ms = (time.perf_counter() - started) * 1000
    return suite


def load_file(file: Path) -> Scenario | FileResult:
    """The scenario in ``file``, or a failed :class:`FileResult` saying why it did not load."""
    try:
        return load_scenario(file.read_text(encoding="utf-8"), source=str(file))
    except ScenarioFormatError as exc:
        failures = setup_failures(exc)
    except (OSError, UnicodeDecodeError) as exc:
        failures = [Failure(step=None, line=None, kind="setup", message=f"cannot read the file: {exc}")]
    result = ScenarioResult(name=file.name, source=str(file), orchestration="", failures=failures)
    return FileResult(file, None, result)


def failure_report(file: Path | str | None, scenario: Scenario | None, result: ScenarioResult) -> str:
    """Each failure of ``result`` as ``file:line: step N (action): message`` and its diff, indented.

    Args:
        file: The scenario file (None for a scenario built in Python).
        scenario: The scenario, to name the action of the failing step.
        result: A result with failures.
    """
    steps = scenario.steps if scenario is not None else []
    blocks = []
    for failure in result.failures:
        where = f"{file}:{failure.line}" if file is not None and failure.line else (str(file) if file else "")
        what = ""
        if failure.step is not None:
            action = next(iter(actions_of(steps[failure.step])), None) if failure.step < len(steps) else None
            what = f"step {failure.step + 1}" + (f" ({action})" if action else "") + ": "
        head = f"{where}: {what}{failure.message}" if where else f"{what}{failure.message}"
        diff = failure.diff()
        blocks.append(head + ("\n" + _indent(diff.rstrip("\n"), "    ") if diff else ""))
    return "\n".join(blocks)


def coverage_table(report: dict[str, Any]) -> str:
    """A text table of :meth:`Coverage.report`: per orchestration and in total, nodes, outcomes
    and edges covered with percentages, then the ids missed.
    """
    kinds = ("nodes", "outcomes", "edges")
    rows: list[tuple[str, ...]] = [("orchestration", *kinds)]
    missed: dict[str, list[str]] = {}
    for key, figures in sorted(report.get("orchestrations", {}).items()):
        rows.append((key, *(_cell(figures[kind]) for kind in kinds)))
        missed[key] = [f"  missed {kind}: {', '.join(map(str, figures[kind]['missed']))}" for kind in kinds if figures[kind].get("missed")]
    if len(report.get("orchestrations", {})) != 1 and report.get("total"):
        rows.append(("total", *(_cell(report["total"][kind]) for kind in kinds)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines += missed.get(row[0], []) if row is not rows[0] else []
    return "\n".join(lines)


def _cell(figures: dict[str, Any]) -> str:
    return f"{figures['covered']}/{figures['total']} {figures['percent']:5.1f}%"


def write_coverage_json(coverage: Coverage, path: Path) -> None:
    """Write :meth:`Coverage.report` to ``path`` as JSON."""
    path.write_text(json.dumps(coverage.report(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Generated:
    """Path tests written by :func:`generate`.

    Attributes:
        key: The orchestration.
        files: The scenario files written, one per feasible path.
        paths: Every path found, the infeasible ones too.
    """

    key: str
    files: list[Path]
    paths: GeneratedPaths

    def report(self) -> str:
        """The files written, then what is left to do: TODO values, paths skipped, a truncated walk."""
        lines = [str(file) for file in self.files]
        feasible = [p for p in self.paths if p.feasible]
        todo = sum(1 for p in feasible if p.unsolved)
        summary = f"{self.key}: wrote {len(self.files)} scenario{'s' if len(self.files) != 1 else ''}"
        if todo:
            summary += f"; {todo} carry TODO values to fill in (conditions beyond the solver)"
        lines.append(summary)
        lines += [f"  skipped (infeasible): {p.name}: {p.reason}" for p in self.paths if not p.feasible]
        if self.paths.truncated:
            lines.append(f"  stopped after {len(feasible)} paths: there are more")
        return "\n".join(lines)


def generate(document: dict[str, Any], out_dir: Path, *, max_visits: int = 2, document_file: Path | None = None) -> Generated:
    """Write a scenario file for each path through ``document`` into ``out_dir``.

    Args:
        document: A valid orchestration document.
        out_dir: Where the files go (created if needed), named ``<key>--<n>-<slug>.scenario.yaml``.
        max_visits: How many times a path may enter the same stage.
        document_file: The file ``document`` was read from: the scenarios then name it
            (``document:``, relative to them), so they run wherever that file is.
    """
    found = generate_paths(document, max_visits=max_visits)
    if document_file is not None:
        relative = os.path.relpath(document_file.resolve(), out_dir.resolve())
        for path in found:
            if path.data is not None:
                path.data = _with_document(path.data, Path(relative).as_posix())
    return Generated(document["key"], write_scenarios(found, out_dir, document["key"]), found)


def _with_document(data: dict[str, Any], document: str) -> dict[str, Any]:
    """``data`` with ``document:`` right after ``orchestration:``, where a reader looks for it."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == "orchestration":
            out["document"] = document
    return out


def format_duration(ms: float, *, precise: bool = True) -> str:
    """``3.1 ms`` (``45 ms`` when not ``precise``), ``1.25 s`` from a second on."""
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms" if precise else f"{ms:.0f} ms"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))
