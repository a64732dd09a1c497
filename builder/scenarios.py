"""Scenario tests stored per orchestration: the builder's Tests panel lists, edits,
generates and runs them (runtime/testing/SCENARIOS.md, "In the builder").

A stored scenario is its YAML source under a name (a slug, unique per orchestration);
every save checks the file with :func:`runtime.testing.load_scenario` and refuses one
that is not about this orchestration. Tests run in-process on the runner's own
in-memory engine, so running them never writes to the database; a scenario that
crashes the runner becomes a failed result, never an error of the whole request.
Session helpers take a session and never commit (the caller opens the transaction).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ContextManager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.drafts import document_of
from builder.tables import DraftRow, ScenarioRow
from runtime.actions import ActionRegistry
from runtime.document import validate
from runtime.errors import DocumentInvalid, InvalidInput, NotFound
from runtime.store.tables import OrchestrationRow, RecordTypeRow, VersionRow

if TYPE_CHECKING:
    from runtime.testing import Coverage, DocumentSource, Scenario

# runtime.testing (YAML, JSON Schema, the runner) is imported where it is used: the
# app starts without loading it.

#: A stored scenario's name: an identifier-ish slug, safe in a URL and as a file name.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: The largest source stored, in bytes of UTF-8.
MAX_SOURCE_BYTES = 256 * 1024
#: The most scenarios one orchestration keeps (and one test run runs).
MAX_SCENARIOS = 200
#: Generated scenarios are saved under names with this prefix, so saving them again
#: replaces earlier generated ones and never a hand-written scenario.
GENERATED = "generated-"


def problem(message: str, *, path: str = "", line: int | None = None) -> dict[str, Any]:
    """One problem of a scenario file, shaped as ``ScenarioFormatError.problems``."""
    return {"line": line, "path": path, "message": message}


def invalid(message: str, problems: list[dict[str, Any]]) -> InvalidInput:
    """A 422 whose ``details.problems`` lists what is wrong and on which line."""
    return InvalidInput(message, {"problems": problems})


# --------------------------------------------------------------------------- checking


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise invalid(
            f"{name[:120]!r} is not a scenario name: 1 to 100 letters, digits, '_', '.' or '-', starting with a letter or digit",
            [problem("must be a slug like small-deal-signed", path="name")],
        )
    return name


def check_source(key: str, source: str, *, name: str) -> Scenario:
    """The scenario in ``source``, checked: a valid file whose ``orchestration`` is ``key``.

    Raises:
        InvalidInput: with ``details.problems`` (1-based lines) for a file too large, one
            that is not a valid scenario, or one about another orchestration.
    """
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise invalid(
            f"scenario {name} is {size} bytes; the most a scenario may be is {MAX_SOURCE_BYTES} bytes (256 KiB)",
            [problem(f"larger than {MAX_SOURCE_BYTES} bytes", path="source")],
        )
    from runtime.testing import ScenarioFormatError, load_scenario

    try:
        scenario = load_scenario(source, source=name)
    except ScenarioFormatError as exc:
        count = len(exc.problems)
        raise invalid(
            f"scenario {name} is not a valid scenario file: {count} problem{'s' if count != 1 else ''}; see details.problems",
            list(exc.problems),
        ) from None
    if scenario.orchestration != key:
        raise invalid(
            f"scenario {name} tests orchestration {scenario.orchestration!r}, not {key!r}",
            [problem(f"must be {key!r}, the orchestration it is saved to", path="orchestration", line=scenario.line("orchestration"))],
        )
    return scenario


def check_orchestration(session: Session, key: str) -> None:
    """Raises NotFound unless ``key`` is an orchestration (a draft alone counts)."""
    if session.get(OrchestrationRow, key) is None and session.get(DraftRow, key) is None:
        raise NotFound(f"there is no orchestration {key!r}")


# --------------------------------------------------------------------------- storing


def list_scenarios(session: Session, key: str, names: Iterable[str] | None = None) -> list[ScenarioRow]:
    """The stored scenarios of ``key`` by name (only ``names`` when given; NotFound for a
    name that is not stored)."""
    query = select(ScenarioRow).where(ScenarioRow.orchestration == key).order_by(ScenarioRow.name)
    if names is None:
        return list(session.scalars(query))
    wanted = list(dict.fromkeys(names))
    rows = {row.name: row for row in session.scalars(query.where(ScenarioRow.name.in_(wanted)))}
    missing = [n for n in wanted if n not in rows]
    if missing:
        raise NotFound(f"orchestration {key} has no scenario {', '.join(missing)}")
    return [rows[n] for n in wanted]


def save_scenario(session: Session, key: str, name: str, source: str, *, by: str | None) -> ScenarioRow:
    """Create or replace scenario ``name`` of ``key`` after checking it (see :func:`check_source`)."""
    check_name(name)
    check_source(key, source, name=name)
    row = session.get(ScenarioRow, (key, name))
    now = datetime.now(UTC)
    if row is None:
        held = session.scalar(select(func.count()).select_from(ScenarioRow).where(ScenarioRow.orchestration == key)) or 0
        if held >= MAX_SCENARIOS:
            raise invalid(
                f"orchestration {key} already has {held} scenarios, the most it may keep; delete some first",
                [problem(f"at most {MAX_SCENARIOS} scenarios per orchestration", path="name")],
            )
        row = ScenarioRow(orchestration=key, name=name, source=source, updated_at=now, updated_by=by)
        session.add(row)
    elif row.source != source:
        row.source, row.updated_at, row.updated_by = source, now, by
    return row


def delete_scenario(session: Session, key: str, name: str) -> None:
    row = session.get(ScenarioRow, (key, name))
    if row is None:
        raise NotFound(f"orchestration {key} has no scenario {name}")
    session.delete(row)


def item(row: ScenarioRow) -> dict[str, Any]:
    """A stored scenario as the API gives it."""
    return {"name": row.name, "source": row.source, "updated_at": row.updated_at.isoformat(), "updated_by": row.updated_by}


def name_of_file(path: Path, root: Path) -> str:
    """``generated/x--1-small.scenario.yaml`` under ``root`` -> ``generated-x--1-small``."""
    from runtime.testing.suite import SUFFIXES

    relative = path.relative_to(root).as_posix()
    for suffix in SUFFIXES:
        relative = relative.removesuffix(suffix)
    return relative.replace("/", "-")


def scenario_files(root: Path) -> list[Path]:
    """Scenario files under ``root`` (any depth), as ``overture test`` finds them."""
    from runtime.testing.suite import discover

    return discover([root])


# --------------------------------------------------------------------------- running


def target_document(session: Session, key: str, target: str | int, *, actions: ActionRegistry | None = None) -> dict[str, Any]:
    """The document scenarios run against (or paths are generated from): ``"draft"``
    (the draft, else the active version), ``"active"`` or a version number.

    Raises:
        NotFound: no such orchestration or version.
        DocumentInvalid: the draft has errors (a version never has).
    """
    check_orchestration(session, key)
    orchestration = session.get(OrchestrationRow, key)
    if target == "draft":
        draft = session.get(DraftRow, key)
        if draft is not None:
            issues = validate(draft.document, actions=actions)
            if any(i.severity == "error" for i in issues):
                raise DocumentInvalid(issues)
            document: dict[str, Any] = draft.document
            return document
        number = orchestration.active_version if orchestration else None
    elif target == "active":
        number = orchestration.active_version if orchestration else None
        if number is None:
            raise invalid(
                f"orchestration {key} has no active version; activate it or test the draft",
                [problem("has no active version", path="target")],
            )
    else:
        number = int(target)
    if number is None:
        raise NotFound(f"orchestration {key} has neither a draft nor an active version")
    version = session.get(VersionRow, f"{key}:{number}")
    if version is None:
        raise NotFound(f"orchestration {key!r} has no version {number}")
    return version.document


@dataclass(frozen=True)
class Stored:
    """A scenario read from the database, to run once the session is closed."""

    name: str
    source: str


def database_documents(sessions: Callable[[], ContextManager[Session]]) -> DocumentSource:
    """Where child runs' documents come from on the server: the active versions in the
    database (the draft of one never activated)."""
    from runtime.testing import DocumentSource

    def lookup(key: str, version: int | None) -> dict[str, Any] | None:
        with sessions() as session:
            try:
                return document_of(session, key, version)
            except NotFound:
                return None

    return DocumentSource(database=lookup, templates=False)


def run_tests(key: str, document: dict[str, Any], scenarios: list[Stored], *, documents: DocumentSource | None = None) -> dict[str, Any]:
    """Run ``scenarios`` against ``document`` (``documents``: where the documents of the
    orchestrations their runs start come from); every one gets a result, in order.

    Each result is ``ScenarioResult.to_dict()`` with ``source`` set to the stored
    scenario's name; ``coverage`` is the coverage report of ``key`` over all of them
    (None when no run of ``key`` was made).
    """
    from runtime.testing import Coverage

    coverage = Coverage()
    started = time.perf_counter()
    results = [_run_one(key, document, scenario, coverage, documents) for scenario in scenarios]
    passed = sum(1 for r in results if r["passed"])
    report = coverage.report()
    return {
        "results": results,
        "summary": {"passed": passed, "failed": len(results) - passed, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
        "coverage": report.get("orchestrations", {}).get(key),
    }


def _run_one(key: str, document: dict[str, Any], stored: Stored, coverage: Coverage, documents: DocumentSource | None) -> dict[str, Any]:
    from runtime.testing import Failure, ScenarioFormatError, ScenarioResult, load_scenario, run_scenario
    from runtime.testing.results import setup_failures

    started = time.perf_counter()
    try:
        scenario = load_scenario(stored.source)  # no file: nothing is looked up next to it
    except ScenarioFormatError as exc:  # stored before a change of the format, or by hand in the database
        result = ScenarioResult(stored.name, stored.name, key, failures=setup_failures(exc))
    else:
        try:
            # Hits reach ``coverage`` only when the run finished: a crash half-way counts nothing.
            result = run_scenario(scenario, document=document, documents=documents, coverage=coverage)
        except Exception as exc:  # noqa: BLE001 — one broken scenario must not sink the others
            message = f"the scenario runner crashed: {type(exc).__name__}: {exc}"
            result = ScenarioResult(scenario.name, None, key, failures=[Failure(None, None, "setup", message)])
    result.duration_ms = (time.perf_counter() - started) * 1000
    return {**result.to_dict(), "source": stored.name}


# --------------------------------------------------------------------------- test runs


def defined_record_types(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The record types defined in the database, by name (what a test run's engine knows)."""
    return {row.id: list(row.fields) for row in session.scalars(select(RecordTypeRow).order_by(RecordTypeRow.id))}


def test_run(
    document: dict[str, Any],
    steps: list[dict[str, Any]],
    *,
    name: str,
    personas: dict[str, dict[str, Any]] | None,
    record_types: dict[str, list[dict[str, Any]]],
    documents: DocumentSource | None = None,
) -> dict[str, Any]:
    """The state of a trial run of ``document`` after ``steps`` (``runtime.testing.trial``).

    Raises:
        InvalidInput: a step cannot be applied; ``details`` has ``step`` (its 0-based index,
            or None), ``kind``, ``unanswered`` and ``problems``.
    """
    from runtime.testing.trial import StepRefused, play

    try:
        return play(document, steps, name=name, personas=personas, record_types=record_types, documents=documents).to_dict()
    except StepRefused as refused:
        where = f"step {refused.index + 1}" if refused.index is not None else "the test run"
        message = refused.message if refused.message.startswith(where) else f"{where}: {refused.message}"
        raise InvalidInput(
            message, {"step": refused.index, "kind": refused.kind, "unanswered": refused.unanswered, "problems": refused.problems}
        ) from None
    except RecursionError:
        raise InvalidInput(
            "the test run's steps are nested too deeply", {"step": None, "kind": "format", "unanswered": None, "problems": []}
        ) from None


# --------------------------------------------------------------------------- generating


def generate(document: dict[str, Any], *, max_visits: int) -> list[dict[str, Any]]:
    """A scenario for each feasible path through ``document`` (``runtime.testing.paths``),
    named ``generated-<n>-<slug>``."""
    from runtime.testing.paths import generate as paths_of
    from runtime.testing.paths import numbered

    return [
        {
            "name": generated_name(int(number), path.slug, len(number)),
            "source": path.to_yaml(),
            "stages": list(path.stages),
            "decisions": [list(decision) for decision in path.decisions],
            "stage_labels": list(path.stage_labels),
            "path": list(path.path),
            "unsolved": list(path.unsolved),
        }
        for number, path in numbered(paths_of(document, max_visits=max_visits))
    ]


def generated_name(n: int, title: str, width: int = 1) -> str:
    """``generated-03-small-deal-signed``: numbered as ``overture test --generate`` numbers
    its files, so the names stay unique and sort in order."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    name = f"{GENERATED}{n:0{width}d}" + (f"-{slug}" if slug else "")
    return name[:100].rstrip("-.")
