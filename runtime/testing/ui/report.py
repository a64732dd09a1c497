"""What a UI run leaves a tester: a text summary, JUnit XML, and an HTML report with a
screenshot per step, who did what on which page, and the trace of a failure."""

from __future__ import annotations

import html
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from runtime.testing.ui.runner import UiResult

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def line(result: UiResult) -> str:
    """One line per scenario, then its failure or why it was skipped."""
    head = f"{MARKS[result.status]} {result.result.name} [{result.result.orchestration}] {result.result.duration_ms / 1000:.1f} s"
    if result.memory_ms is not None:
        head += f" (in memory: {result.memory_ms:.0f} ms)"
    lines = [head]
    where = result.result.source or "<scenario>"
    for failure in result.result.failures:
        at = f"{where}:{failure.line}" if failure.line else where
        lines.append(f"  {at}: {failure.kind}: {failure.message}")
        lines.extend(f"      {text}" for text in failure.diff().splitlines())
    if result.status == "failed":
        shot = next((s.screenshot for s in result.steps if s.status == "failed" and s.screenshot), None)
        if shot:
            lines.append(f"  screenshot: {shot}")
        if result.trace:
            lines.append(f"  trace: {result.trace} (npx playwright show-trace {result.trace})")
    if result.skipped:
        lines.append(f"  skipped: {result.skipped}")
    lines.extend(f"  side by side: steps {_numbers(group)}" for group in side_by_side(result))
    skipped_steps = [s for s in result.steps if s.status == "skipped"]
    lines.extend(
        f"  step {s.index + 1} skipped: {s.message}" for s in skipped_steps if not result.skipped or s.message not in result.skipped
    )
    return "\n".join(lines)


def side_by_side(result: UiResult) -> list[list[int]]:
    """The groups of steps (indexes) that played side by side, in order."""
    groups = {tuple(sorted([s.index, *s.alongside])) for s in result.steps if s.alongside}
    return [list(group) for group in sorted(groups)]


def _numbers(indexes: Iterable[int]) -> str:
    numbers = [str(i + 1) for i in indexes]
    return ", ".join(numbers[:-1]) + f" and {numbers[-1]}" if len(numbers) > 1 else "".join(numbers)


def summary(results: list[UiResult]) -> str:
    counts = {status: sum(1 for r in results if r.status == status) for status in MARKS}
    seconds = sum(r.result.duration_ms for r in results) / 1000
    return f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped through the UI in {seconds:.1f} s"


def write_junit(results: Iterable[UiResult], path: Path, *, name: str = "overture scenarios (UI)") -> None:
    """JUnit XML: a testcase per scenario; a failure carries the step, persona, page and screenshot."""
    results = list(results)
    suite = ET.Element("testsuite", name=name, tests=str(len(results)))
    suite.set("failures", str(sum(r.status == "failed" for r in results)))
    suite.set("skipped", str(sum(r.status == "skipped" for r in results)))
    suite.set("errors", "0")
    suite.set("time", f"{sum(r.result.duration_ms for r in results) / 1000:.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=result.result.orchestration or "scenario", name=result.result.name)
        case.set("time", f"{result.result.duration_ms / 1000:.3f}")
        if result.result.source:
            case.set("file", result.result.source)
        if result.status == "failed":
            first = result.result.failures[0]
            failure = ET.SubElement(case, "failure", message=first.message.splitlines()[0][:500], type=first.kind)
            failure.text = line(result)
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", message=result.skipped or "")
        attachments = [s.screenshot for s in result.steps if s.screenshot] + ([result.trace] if result.trace else [])
        if attachments:  # the [[ATTACHMENT|path]] convention CI servers read
            ET.SubElement(case, "system-out").text = "\n".join(f"[[ATTACHMENT|{a}]]" for a in attachments)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_html(results: list[UiResult], path: Path, *, server: str) -> None:
    """One page: per scenario, its personas and steps (who, what, page, screenshot), failures first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    base = path.parent

    def rel(file: str | None) -> str:
        return html.escape(os.path.relpath(file, base)) if file else ""

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Overture scenarios through the UI</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1b1f24}table{border-collapse:collapse;width:100%}"
        "td,th{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}"
        ".failed{color:#a40e26}.passed{color:#116329}.skipped{color:#6e5600}img{max-width:360px;border:1px solid #d0d7de}"
        "pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem}</style></head><body>",
        f"<h1>Scenarios through the UI</h1><p>Server: {html.escape(server)} — {html.escape(summary(results))}</p>",
    ]
    order = sorted(results, key=lambda r: ("failed", "skipped", "passed").index(r.status))
    for result in order:
        parts.append(
            f"<section><h2 class='{result.status}'>{MARKS[result.status]} {html.escape(result.result.name)}</h2>"
            f"<p>{html.escape(result.result.source or '')} · {html.escape(result.result.orchestration)} · "
            f"{result.result.duration_ms / 1000:.1f} s</p>"
        )
        if result.skipped:
            parts.append(f"<p class='skipped'>Skipped: {html.escape(result.skipped)}</p>")
        for failure in result.result.failures:
            parts.append(f"<pre class='failed'>{html.escape(failure.message)}\n{html.escape(failure.diff())}</pre>")
        if result.trace:
            parts.append(f"<p>Trace of the failure: <a href='{rel(result.trace)}'>{rel(result.trace)}</a> (npx playwright show-trace)</p>")
        if result.personas:
            who = ", ".join(f"{html.escape(p)} → {html.escape(u)} ({html.escape(why)})" for p, (u, why) in sorted(result.personas.items()))
            parts.append(f"<p>Personas: {who}</p>")
        parts.append("<table><tr><th>#</th><th>step</th><th>who</th><th>page</th><th>result</th><th>screenshot</th></tr>")
        for step in result.steps:
            who = f"{step.persona} ({step.user})" if step.user else (step.persona or "")
            beside = f" · side by side with step{'s' * (len(step.alongside) > 1)} {_numbers(step.alongside)}" if step.alongside else ""
            shot = f"<a href='{rel(step.screenshot)}'><img loading='lazy' src='{rel(step.screenshot)}' alt='step {step.index + 1}'></a>"
            parts.append(
                f"<tr><td>{step.index + 1}</td><td>{html.escape(step.did)}</td><td>{html.escape(who)}</td>"
                f"<td>{html.escape(step.page or '')}</td><td class='{step.status}'>{step.status} · {step.seconds:.1f} s{beside}"
                f"{'<br>' + html.escape(step.message) if step.message else ''}</td><td>{shot if step.screenshot else ''}</td></tr>"
            )
        parts.append("</table></section>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
