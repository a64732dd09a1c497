"""Fixtures for engine tests: a manual clock, a directory of people, an engine per store."""

from __future__ import annotations

import pytest

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.memory import InMemoryStore
from runtime.templates import RECORD_TYPES, TEMPLATES, load

PEOPLE = {
    "alice": ["legal"],
    "bob": ["legal"],
    "fiona": ["finance"],
    "frank": ["finance"],
    "erin": ["executives"],
    "ed": ["executives"],
    "eve": ["executives"],
    "sam": ["sales"],
    "sue": ["support"],
    "steve": ["support"],
    "walt": ["warehouse"],
    "pat": ["project_managers"],
    "dave": ["developers"],
    "mallory": [],
}
QUEUES = {"warehouse": ["walt"], "support_escalations": ["steve"]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def directory() -> InMemoryDirectory:
    return InMemoryDirectory(PEOPLE, queues=QUEUES)


@pytest.fixture(params=["memory"])
def store(request):
    return InMemoryStore()


@pytest.fixture
def engine(store, clock, directory) -> Engine:
    return Engine(store, clock, directory)


@pytest.fixture
def templated(engine: Engine) -> Engine:
    """An engine with the record types and the three shipped templates deployed."""
    for name, fields in RECORD_TYPES.items():
        engine.define_record_type(name, fields)
    for name in TEMPLATES:
        engine.deploy(load(name))
    return engine
