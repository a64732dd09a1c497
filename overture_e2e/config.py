"""What the plugin's hooks and fixtures share: its options' values, the artifacts kept, looking up a persona."""

from __future__ import annotations

import os

import pytest

from overture_e2e.personas import Persona

#: The Chromium driven unless ``--overture-chromium`` or ``$OVERTURE_CHROMIUM`` says otherwise.
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def option_or_env(config: pytest.Config, option: str, variable: str) -> str | None:
    value = config.getoption(option) or os.environ.get(variable) or None
    return str(value) if value is not None else None


#: pytest-playwright's artifacts that the plugin turns on unless the command line or ``addopts`` set them.
ARTIFACTS = {"--screenshot": ("screenshot", "only-on-failure"), "--tracing": ("tracing", "retain-on-failure")}


def keep_artifacts_of_failures(config: pytest.Config) -> None:
    """A failing test keeps a screenshot of each page and the Playwright trace (under
    ``--output``, ``test-results/`` by default), unless ``--screenshot``/``--tracing`` were given."""
    given = " ".join([*config.invocation_params.args, *config.getini("addopts"), os.environ.get("PYTEST_ADDOPTS", "")])
    for option, (name, value) in ARTIFACTS.items():
        if option not in given and config.getoption(option) == "off":
            setattr(config.option, name, value)


def persona_named(personas: dict[str, Persona], name: str) -> Persona:
    """The persona called ``name``, or a failure listing the known ones."""
    if name not in personas:
        known = ", ".join(sorted(personas)) or "none: pass --overture-personas FILE or set OVERTURE_PERSONAS"
        pytest.fail(f"no persona {name!r} (known: {known})", pytrace=False)
    return personas[name]
