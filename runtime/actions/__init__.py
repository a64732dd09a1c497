"""The registry of background actions: named, with declared inputs and outputs.

A background step names an action and maps its inputs with CEL expressions. The
engine runs the action outside the transaction that scheduled it, at least once,
with an idempotency key (run, step, visit, attempt). Third-party packages add
actions through the ``overture.actions`` entry-point group: the entry point is an
:class:`Action` or a callable that takes the registry and registers its actions.
"""

from __future__ import annotations

from runtime.actions.builtins import register_builtins
from runtime.actions.registry import (
    FIELD_TYPES,
    Action,
    ActionContext,
    ActionFailed,
    ActionField,
    ActionRegistry,
    ActionServices,
    Pending,
)

__all__ = [
    "FIELD_TYPES",
    "Action",
    "ActionContext",
    "ActionFailed",
    "ActionField",
    "ActionRegistry",
    "ActionServices",
    "Pending",
    "default_registry",
]


def default_registry(*, plugins: bool = True) -> ActionRegistry:
    """The built-in actions, plus those of installed plug-ins."""
    registry = ActionRegistry()
    register_builtins(registry)
    if plugins:
        registry.load_entry_points()
    return registry
