"""JUnit XML of a suite run, for CI servers (Jenkins, GitLab, GitHub test reporters).

One ``<testcase classname=orchestration name=scenario>`` per scenario file, in one
``<testsuite>`` for the run or one per file. A scenario that failed has a ``<failure>``
(``type`` is the failure kind, the text is the report ``overture test`` prints); a file
that did not load has an ``<error>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from runtime.testing.suite import FileResult, SuiteResult, failure_report

#: Characters XML 1.0 cannot hold at all, not even escaped (controls, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """``value`` as text XML can carry: unrepresentable characters become ``\\xNN`` / ``\\uNNNN``."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value))


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def to_junit(suite: SuiteResult, *, per_file: bool = False, name: str = "overture scenarios") -> ET.ElementTree:
    """The JUnit tree of ``suite``.

    Args:
        suite: The run.
        per_file: One ``<testsuite>`` per file (named by its path) instead of one for the run.
        name: Name of the ``<testsuites>`` root and of the run's ``<testsuite>``.
    """
    root = ET.Element("testsuites", name=_text(name))
    groups = [(str(entry.file), [entry]) for entry in suite.files] if per_file else [(name, suite.files)]
    for group_name, entries in groups:
        element = ET.SubElement(root, "testsuite", name=_text(group_name))
        for entry in entries:
            element.append(_testcase(entry))
        _count(element, entries, sum(e.result.duration_ms for e in entries) if per_file else suite.duration_ms)
    _count(root, suite.files, suite.duration_ms)
    return ET.ElementTree(root)


def _count(element: ET.Element, entries: list[FileResult], duration_ms: float) -> None:
    element.set("tests", str(len(entries)))
    element.set("failures", str(sum(1 for e in entries if e.loaded and not e.result.passed)))
    element.set("errors", str(sum(1 for e in entries if not e.loaded)))
    element.set("skipped", "0")
    element.set("time", _seconds(duration_ms))


def _testcase(entry: FileResult) -> ET.Element:
    result = entry.result
    case = ET.Element(
        "testcase",
        classname=_text(result.orchestration or entry.file.name),
        name=_text(result.name),
        file=_text(entry.file),
        time=_seconds(result.duration_ms),
    )
    if not result.passed:
        first = result.failures[0] if result.failures else None
        outcome = ET.SubElement(
            case,
            "failure" if entry.loaded else "error",
            message=_text(first.message if first else "failed"),
            type=_text(first.kind if first else "setup"),
        )
        outcome.text = _text(failure_report(entry.file, entry.scenario, result))
    return case


def write_junit(suite: SuiteResult, path: Path, *, per_file: bool = False) -> None:
    """Write the JUnit XML of ``suite`` to ``path`` (UTF-8, with an XML declaration)."""
    tree = to_junit(suite, per_file=per_file)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
