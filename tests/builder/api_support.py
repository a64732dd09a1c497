"""Documents and steps the API tests share: small orchestrations, deployed through the API."""

from __future__ import annotations

import copy
from typing import Any

from runtime.templates import RECORD_TYPES, load

#: Finance approves an expense; legal then files it.
EXPENSE: dict[str, Any] = {
    "format": 1,
    "key": "expense",
    "label": "Expense approval",
    "inputs": [{"name": "amount", "type": "number", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "review", "type": "stage", "label": "Finance review"},
        {
            "id": "approve",
            "type": "interactive",
            "stage": "review",
            "label": "Approve the expense",
            "assignee": {"type": "group", "value": "finance"},
            "due": "P1D",
            "form": {
                "fields": [
                    {"name": "note", "type": "text", "label": "Note", "required": False},
                    {"name": "cost_centre", "type": "integer", "label": "Cost centre", "required": False},
                ],
                "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}],
            },
        },
        {"id": "filing", "type": "stage", "label": "Filing"},
        {
            "id": "file",
            "type": "interactive",
            "stage": "filing",
            "label": "File the expense",
            "assignee": {"type": "group", "value": "legal"},
            "form": {"fields": [], "outcomes": [{"value": "filed", "label": "Filed"}]},
        },
        {"id": "done", "type": "end"},
        # A rejected expense is not filed: the decision reads the outcome.
        {
            "id": "approved",
            "type": "decision",
            "label": "Approved?",
            "outcomes": [{"id": "rejected", "label": "Rejected", "condition": "steps.approve.outcome == 'reject'"}],
        },
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "review"},
        {"id": "e2", "source": "review", "target": "approved"},
        {"id": "e3", "source": "filing", "target": "done"},
        {"id": "e4", "source": "approved", "target": "filing", "outcome": "default"},
        {"id": "e5", "source": "approved", "target": "done", "outcome": "rejected"},
    ],
}

#: A background step that fails for good: record.update on a run without a record.
BROKEN: dict[str, Any] = {
    "format": 1,
    "key": "broken",
    "label": "Broken on purpose",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "work", "type": "stage", "label": "Work"},
        {
            "id": "update",
            "type": "background",
            "stage": "work",
            "label": "Update nothing",
            "action": "record.update",
            "inputs": {"fields": "{'status': 'x'}"},
            "retry": {"max_attempts": 1},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "work"}, {"id": "e2", "source": "work", "target": "done"}],
}

#: Waits for a payment event correlated on the order number.
PAYMENT: dict[str, Any] = {
    "format": 1,
    "key": "payment",
    "label": "Wait for payment",
    "inputs": [{"name": "order", "type": "string", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "pay", "type": "stage", "label": "Payment"},
        {
            "id": "paid",
            "type": "wait",
            "stage": "pay",
            "label": "Payment received",
            "event": {"name": "payment_received", "correlation": "inputs.order"},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "pay"}, {"id": "e2", "source": "pay", "target": "done"}],
}


def document(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(base), **changes}


def deploy(admin: Any, doc: dict[str, Any]) -> int:
    """Create (or save) the draft and activate it, through the API; returns the version."""
    created = admin.post("/api/orchestrations", json=doc)
    if created.status_code == 409:
        assert admin.put(f"/api/orchestrations/{doc['key']}/draft", json=doc).status_code == 200
    else:
        assert created.status_code == 201, created.get_json()
    activated = admin.post(f"/api/orchestrations/{doc['key']}/activate")
    assert activated.status_code == 200, activated.get_json()
    return int(activated.get_json()["version"])


def setup_contracts(admin: Any) -> None:
    """The contract record type and the shipped contract approval, active."""
    response = admin.post("/api/record-types", json={"name": "contract", "fields": RECORD_TYPES["contract"]})
    assert response.status_code == 201, response.get_json()
    deploy(admin, load("contract_approval"))


def start(client: Any, key: str = "expense", **inputs: Any) -> dict[str, Any]:
    if key == "expense" and not inputs:
        inputs = {"amount": 120}
    response = client.post("/api/runs", json={"orchestration": key, "inputs": inputs})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def my_items(client: Any, **params: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"mine": "1", **params}.items())
    response = client.get(f"/api/work-items?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def error_code(response: Any) -> str:
    return str(response.get_json()["error"]["code"])
