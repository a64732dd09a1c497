"""Tests of scenario testing (``runtime.testing``), and the documents they share."""

from __future__ import annotations

import copy
import textwrap
from typing import Any

from runtime.testing import ScenarioResult, load_scenario, run_scenario

_ORDER_FLOW: dict[str, Any] = {
    "format": 1,
    "key": "order_flow",
    "label": "Order flow",
    "trigger": {"type": "manual"},
    "inputs": [{"name": "amount", "type": "number", "required": True}, {"name": "order_id", "type": "string", "required": True}],
    "variables": [{"name": "paid", "type": "boolean", "default": False}, {"name": "receipt", "type": "string", "default": None}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "review", "type": "stage", "label": "Review"},
        {
            "id": "approve",
            "type": "interactive",
            "stage": "review",
            "label": "Approve the order",
            "assignee": {"type": "group", "value": "reviewers"},
            "due": "P1D",
            "escalation": {"action": "notify", "to": {"type": "group", "value": "managers"}},
            "form": {
                "fields": [{"name": "note", "type": "text", "label": "Note"}],
                "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}],
            },
        },
        {
            "id": "ok",
            "type": "decision",
            "label": "Approved?",
            "outcomes": [{"id": "rejected", "label": "Rejected", "condition": "steps.approve.outcome == 'reject'"}],
        },
        {"id": "payment", "type": "stage", "label": "Payment"},
        {
            "id": "charge",
            "type": "background",
            "stage": "payment",
            "label": "Charge the card",
            "action": "http.request",
            "inputs": {"url": "'https://pay.example.com/charge/' + inputs.order_id", "method": "'POST'"},
            "retry": {"max_attempts": 3, "backoff": "PT10S", "multiplier": 2},
        },
        {
            "id": "confirm",
            "type": "wait",
            "stage": "payment",
            "label": "Payment confirmed",
            "start": {"when": "after", "steps": ["charge"]},
            "event": {"name": "payment_confirmed", "correlation": "inputs.order_id"},
            "set": {"paid": "true", "receipt": "event.payload.receipt"},
        },
        {"id": "cooling", "type": "stage", "label": "Cooling off"},
        {"id": "cool", "type": "wait", "stage": "cooling", "label": "Two days", "timer": {"duration": "P2D"}},
        {"id": "done", "type": "end", "label": "Done"},
        {"id": "rejected", "type": "end", "label": "Rejected"},
        {"id": "failed", "type": "end", "label": "Payment failed"},
    ],
    "edges": [
        {"id": "e_start", "source": "start", "target": "review"},
        {"id": "e_review", "source": "review", "target": "ok"},
        {"id": "e_rejected", "source": "ok", "target": "rejected", "outcome": "rejected"},
        {"id": "e_approved", "source": "ok", "target": "payment", "outcome": "default"},
        {"id": "e_paid", "source": "payment", "target": "cooling"},
        {"id": "e_failed", "source": "payment", "target": "failed", "kind": "error"},
        {"id": "e_cooled", "source": "cooling", "target": "done"},
    ],
}

#: Personas of the order flow, as YAML to put in a scenario.
ORDER_PERSONAS = """\
personas:
  clerk: {user: carl, groups: [clerks]}
  reviewer: {user: rita, groups: [reviewers]}
  manager: {user: mona, groups: [managers]}
"""


def order_flow() -> dict[str, Any]:
    """A manual orchestration with an interactive step, an HTTP call with retries, an
    event wait, a fault path and a timer: small enough to reason about in each test."""
    return copy.deepcopy(_ORDER_FLOW)


def run_text(text: str, *, document: dict[str, Any] | None = None, **options: Any) -> ScenarioResult:
    """Load a scenario from (dedented) YAML text and run it."""
    scenario = load_scenario(textwrap.dedent(text), source="test.scenario.yaml")
    return run_scenario(scenario, document=document, **options)
