"""How generated paths and the values they choose read: names, slugs, labels, samples."""

from __future__ import annotations

import re
from typing import Any

from runtime.spec import OrchestrationSpec

_START_DATE = "2026-01-05"
_START_DATETIME = "2026-01-05T09:00:00Z"


def sample(name: str, kind: str) -> Any:
    """A plausible value of a type when nothing constrains it."""
    words = name.replace("_", " ")
    return {
        "number": 1000,
        "integer": 1,
        "boolean": True,
        "date": _START_DATE,
        "datetime": _START_DATETIME,
        "list": [],
        "map": {},
        "email": f"{identifier(name)}@example.com",
    }.get(kind, f"Sample {words}")


def path_labels(spec: OrchestrationSpec, decisions: list[tuple[str, str]]) -> list[str]:
    """``(decision, outcome)`` pairs by their labels: "Legal approved? → Sent back", "Deal size → otherwise",
    and a stage's fault path: "Work → fault path" (docs/ARCHITECTURE.md, "Names, not ids")."""
    described = []
    for node, outcome in decisions:
        decision = spec.decisions.get(node)
        if decision is None:
            described.append(f"{spec.node_label(node)} → {'fault path' if outcome == 'fault' else outcome}")
        elif outcome == decision.default.id:
            described.append(f"{decision.label} → otherwise")
        else:
            described.append(f"{decision.label} → {next((o.label for o in decision.outcomes if o.id == outcome), outcome)}")
    return described


def segment(label: str, outcome_label: str) -> str:
    """How a path names a decision's non-default outcome: "deal size: $50k or more", "legal approved? sent back"."""
    subject = lower(label.strip())
    return f"{subject} {lower(outcome_label)}" if subject.endswith("?") else f"{subject}: {lower(outcome_label)}"


def lower(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym ("VP approved" stays)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def path_name(segments: list[str], end: str) -> str:
    """ "legal approved? sent back, resubmitted? withdrawn → withdrawn"; "default path → signed"."""
    head = ", ".join(segments) or "default path"
    return f"{head} → {end}" if end else head


def clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(", ") + "…"


def file_slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "path"


def identifier(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
    return ident if re.match(r"^[A-Za-z_]", ident) else f"p_{ident}"
