"""Scenario tests for orchestrations: files, the runner, coverage (see ``SCENARIOS.md``).

A scenario proves one path through an orchestration: personas act, a virtual clock
moves, mocks answer background actions, and assertions check the run on the way.

The modules form one-way layers, each importing only the ones before it (checked by
``tests/runtime/test_testing_layers.py``):

    scenario_format -> scenario, results -> documents -> runner -> suite -> ui -> junit, pytest_plugin

with ``coverage`` and ``solver/`` (CEL condition solving) below them, and ``paths/``
(generated path tests), ``replay`` (a run as a scenario) and ``trial`` (the builder's
Test run) beside the runner. This package is the facade on top: no module of it imports
``runtime.testing`` itself.

The names below are imported on first use, for import speed only (every import goes
down the layers, so there is no cycle to hide): the pytest plugin (``pytest_plugin``) is
loaded by every pytest run of a project that installs Overture, and importing it imports
this package first; it must not pay for the engine, CEL and SQLAlchemy unless a scenario
file is collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.exports import lazy

_EXPORTS = {
    "Coverage": "runtime.testing.coverage",
    "DocumentNotFound": "runtime.testing.documents",
    "DocumentSource": "runtime.testing.documents",
    "ScenarioFormatError": "runtime.testing.scenario_format",
    "Failure": "runtime.testing.results",
    "ScenarioResult": "runtime.testing.results",
    "run_scenario": "runtime.testing.runner",
    "Scenario": "runtime.testing.scenario",
    "load_scenario": "runtime.testing.scenario",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # "X as X": re-exported for type checkers, which cannot read the computed __all__
    from runtime.testing.coverage import Coverage as Coverage
    from runtime.testing.documents import DocumentNotFound as DocumentNotFound
    from runtime.testing.documents import DocumentSource as DocumentSource
    from runtime.testing.results import Failure as Failure
    from runtime.testing.results import ScenarioResult as ScenarioResult
    from runtime.testing.runner import run_scenario as run_scenario
    from runtime.testing.scenario import Scenario as Scenario
    from runtime.testing.scenario import load_scenario as load_scenario
    from runtime.testing.scenario_format import ScenarioFormatError as ScenarioFormatError


__getattr__ = lazy(__name__, _EXPORTS, globals())
