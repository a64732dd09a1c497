"""Overture's runtime: the orchestration document, its compiled spec and the engine.

``__all__`` is the public API for embedders (runtime/README.md, "Using it from Python"):
the engine, its stores and worker, the injected clock and directory, the actions, the
errors, and the document's validation and compilation. ``tests/runtime/test_public_api.py``
pins it; the modules themselves stay importable as before.

The names are imported on first use, as in ``runtime.testing``: importing any module of the
package imports this one first, and ``import runtime.clock`` must not pay for SQLAlchemy
or CEL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.exports import lazy

_EXPORTS = {
    "Action": "runtime.actions",
    "ActionContext": "runtime.actions",
    "ActionFailed": "runtime.actions",
    "ActionField": "runtime.actions",
    "ActionRegistry": "runtime.actions",
    "default_registry": "runtime.actions",
    "Clock": "runtime.clock",
    "ManualClock": "runtime.clock",
    "SystemClock": "runtime.clock",
    "Directory": "runtime.directory",
    "InMemoryDirectory": "runtime.directory",
    "check": "runtime.document",
    "validate": "runtime.document",
    "Engine": "runtime.engine",
    "ConcurrentUpdate": "runtime.errors",
    "Conflict": "runtime.errors",
    "DocumentInvalid": "runtime.errors",
    "Forbidden": "runtime.errors",
    "InvalidInput": "runtime.errors",
    "NotFound": "runtime.errors",
    "OvertureError": "runtime.errors",
    "ValidationIssue": "runtime.errors",
    "MockSecrets": "runtime.secrets",
    "SecretStore": "runtime.secrets",
    "OrchestrationSpec": "runtime.spec",
    "compile_document": "runtime.spec",
    "Store": "runtime.store.base",
    "Transaction": "runtime.store.base",
    "SqlDirectory": "runtime.store.directory",
    "InMemoryStore": "runtime.store.memory",
    "SqlStore": "runtime.store.sql",
    "Worker": "runtime.worker",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # "X as X": re-exported for type checkers, which cannot read the computed __all__
    from runtime.actions import Action as Action
    from runtime.actions import ActionContext as ActionContext
    from runtime.actions import ActionFailed as ActionFailed
    from runtime.actions import ActionField as ActionField
    from runtime.actions import ActionRegistry as ActionRegistry
    from runtime.actions import default_registry as default_registry
    from runtime.clock import Clock as Clock
    from runtime.clock import ManualClock as ManualClock
    from runtime.clock import SystemClock as SystemClock
    from runtime.directory import Directory as Directory
    from runtime.directory import InMemoryDirectory as InMemoryDirectory
    from runtime.document import check as check
    from runtime.document import validate as validate
    from runtime.engine import Engine as Engine
    from runtime.errors import ConcurrentUpdate as ConcurrentUpdate
    from runtime.errors import Conflict as Conflict
    from runtime.errors import DocumentInvalid as DocumentInvalid
    from runtime.errors import Forbidden as Forbidden
    from runtime.errors import InvalidInput as InvalidInput
    from runtime.errors import NotFound as NotFound
    from runtime.errors import OvertureError as OvertureError
    from runtime.errors import ValidationIssue as ValidationIssue
    from runtime.secrets import MockSecrets as MockSecrets
    from runtime.secrets import SecretStore as SecretStore
    from runtime.spec import OrchestrationSpec as OrchestrationSpec
    from runtime.spec import compile_document as compile_document
    from runtime.store.base import Store as Store
    from runtime.store.base import Transaction as Transaction
    from runtime.store.directory import SqlDirectory as SqlDirectory
    from runtime.store.memory import InMemoryStore as InMemoryStore
    from runtime.store.sql import SqlStore as SqlStore
    from runtime.worker import Worker as Worker


__getattr__ = lazy(__name__, _EXPORTS, globals())
