"""Text no part of Overture can hold: half of a UTF-16 pair (a "lone surrogate").

JSON and YAML can both escape one (``"\\ud800"``) and Python reads it into a ``str``, but
the databases, YAML output, e-mail and UTF-8 itself refuse it later, far from where it
came in. Entry points (the API's bodies, scenario files) refuse it as they read.
"""

from __future__ import annotations

from typing import Any


def encodes(text: str) -> bool:
    """Whether ``text`` is valid Unicode (encodes as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def lone_surrogate(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """The path (keys and list indexes) of the first text in ``value`` that is not valid
    Unicode, else None. A key that is not valid Unicode ends the path as its ``repr``
    (printable, and so safe to show)."""
    if isinstance(value, str):
        return None if encodes(value) else path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        if isinstance(key, str) and not encodes(key):
            return (*path, repr(key))
        found = lone_surrogate(child, (*path, key))
        if found is not None:
            return found
    return None
