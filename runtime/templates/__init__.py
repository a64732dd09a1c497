"""The shipped orchestration templates: contract approval, refund fulfilment, project milestones."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

TEMPLATES = ("contract_approval", "service_request", "project_milestones")

#: Record types the templates run on: type name -> typed fields.
RECORD_TYPES: dict[str, list[dict[str, Any]]] = {
    "contract": [
        {"name": "title", "type": "string", "required": True},
        {"name": "customer", "type": "string", "required": True},
        {"name": "amount", "type": "number", "required": True},
        {"name": "status", "type": "string", "required": True},
        {"name": "signed_on", "type": "date"},
    ],
    "service_request": [
        {"name": "customer", "type": "string", "required": True},
        {"name": "kind", "type": "string", "required": True},
        {"name": "order_id", "type": "string"},
        {"name": "amount", "type": "number"},
        {"name": "reason", "type": "string"},
        {"name": "status", "type": "string"},
        {"name": "return_condition", "type": "string"},
        {"name": "credit", "type": "number"},
    ],
    "project": [
        {"name": "name", "type": "string", "required": True},
        {"name": "status", "type": "string"},
        {"name": "live_on", "type": "date"},
    ],
}


def load(name: str) -> dict[str, Any]:
    """A fresh copy of a shipped template's document."""
    if name not in TEMPLATES:
        raise KeyError(f"no template {name!r}; there are: {', '.join(TEMPLATES)}")
    document: dict[str, Any] = json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text())
    return document
