"""What the plugin's fixtures share: its options' values and looking up a persona."""

from __future__ import annotations

import os

import pytest

from overture_e2e.personas import Persona

#: The Chromium driven unless ``--overture-chromium`` or ``$OVERTURE_CHROMIUM`` says otherwise.
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def option_or_env(config: pytest.Config, option: str, variable: str) -> str | None:
    value = config.getoption(option) or os.environ.get(variable) or None
    return str(value) if value is not None else None


def persona_named(personas: dict[str, Persona], name: str) -> Persona:
    """The persona called ``name``, or a failure listing the known ones."""
    if name not in personas:
        known = ", ".join(sorted(personas)) or "none: pass --overture-personas FILE or set OVERTURE_PERSONAS"
        pytest.fail(f"no persona {name!r} (known: {known})", pytrace=False)
    return personas[name]
