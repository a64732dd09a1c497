"""Scenario tests for orchestrations: files, the runner, coverage (see ``SCENARIOS.md``).

A scenario proves one path through an orchestration: personas act, a virtual clock
moves, mocks answer background actions, and assertions check the run on the way.

The names below are imported on first use: the pytest plugin (``pytest_plugin``) is
loaded by every pytest run of a project that installs Overture, and must not pay for
the engine, CEL and SQLAlchemy unless a scenario file is collected.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Coverage": "runtime.testing.coverage",
    "DocumentNotFound": "runtime.testing.documents",
    "DocumentSource": "runtime.testing.documents",
    "ScenarioFormatError": "runtime.testing.format",
    "Failure": "runtime.testing.runner",
    "ScenarioResult": "runtime.testing.runner",
    "run_scenario": "runtime.testing.runner",
    "Scenario": "runtime.testing.scenario",
    "load_scenario": "runtime.testing.scenario",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from runtime.testing.coverage import Coverage
    from runtime.testing.documents import DocumentNotFound, DocumentSource
    from runtime.testing.format import ScenarioFormatError
    from runtime.testing.runner import Failure, ScenarioResult, run_scenario
    from runtime.testing.scenario import Scenario, load_scenario


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'runtime.testing' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
