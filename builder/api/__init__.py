"""The REST API of ARCHITECTURE §4: one blueprint per resource."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: Modules under builder.api, each with a blueprint ``bp``.
RESOURCES = (
    "users",
    "profile",
    "orchestrations",
    "bpmn",
    "runs",
    "migrations",
    "work_items",
    "records",
    "events",
    "notifications",
    "insights",
    "metrics",
    "scenarios",
    "secrets",
    "audit",
    "openapi",
)


def init_app(app: Flask) -> None:
    for name in RESOURCES:
        app.register_blueprint(import_module(f"builder.api.{name}").bp)
