"""Names a package re-exports from its modules, imported on first use (PEP 562).

``runtime`` and ``runtime.testing`` list what they export in ``_EXPORTS`` (name -> module)
and set ``__getattr__ = lazy(__name__, _EXPORTS, globals())``: importing the package then
costs nothing until one of the names is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy(package: str, exports: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: the export, imported, then kept in ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name]), name)
        namespace[name] = value  # the next look-up is a plain attribute
        return value

    return __getattr__
