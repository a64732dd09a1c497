"""The definition cache: the issues of an orchestration document, remembered for the last
few documents (per process).

Opening a draft validates what its save just validated, and a 500-node document takes
the server ~100 ms of CPU to check. The key is the canonical JSON, the registry with its
action names (an action can be registered, never replaced), the secrets' names
(``secrets.<name>`` naming none is a warning) and the record types with their fields (a
trigger comparing a field to a value outside its options is a warning), so a change to
any validates again.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select

from builder.extensions import engine, state
from builder.queries import reading
from runtime.actions import ActionRegistry
from runtime.document import validate
from runtime.store.tables import RecordTypeRow

#: How many documents' issues :func:`issues_of` remembers (per process).
ISSUES_CACHE_SIZE = 16
_issues_cache: OrderedDict[tuple[str, ActionRegistry, tuple[str, ...], frozenset[str], str], list[dict[str, Any]]] = OrderedDict()
_issues_lock = threading.Lock()


def issues_of(document: Any) -> list[dict[str, Any]]:
    """The document's issues with the engine's actions (a copy the caller may change)."""
    actions = engine().actions
    secrets = state().secrets.names()
    with reading() as s:
        record_types = {row.id: row.fields for row in s.scalars(select(RecordTypeRow))}
    key = (canonical(document), actions, tuple(actions.names()), secrets, canonical(record_types))
    with _issues_lock:
        issues = _issues_cache.get(key)
        if issues is not None:
            _issues_cache.move_to_end(key)
    if issues is None:
        issues = [
            issue.to_dict()
            for issue in validate(document, actions=actions, now=engine().clock.now(), secrets=secrets, record_types=record_types)
        ]
        with _issues_lock:
            _issues_cache[key] = issues
            while len(_issues_cache) > ISSUES_CACHE_SIZE:
                _issues_cache.popitem(last=False)
    return [dict(issue) for issue in issues]


def canonical(document: Any) -> str:
    """The document as one text, equal for equal documents (keys sorted, no spaces)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
