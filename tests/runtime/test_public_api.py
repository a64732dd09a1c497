"""The public Python API and the command line, pinned.

Embedders import the names in ``runtime.__all__``; scripts call ``overture`` with these
commands and options. A change to either must be deliberate: when one of these tests fails,
update the pin below in the same change (and say so in its notes), after checking that
nobody outside depends on what went away.
"""

import subprocess
import sys

import click
import pytest

import runtime
from builder.cli import main

RUNTIME_ALL = [
    "Action",
    "ActionContext",
    "ActionFailed",
    "ActionField",
    "ActionRegistry",
    "Clock",
    "ConcurrentUpdate",
    "Conflict",
    "Directory",
    "DocumentInvalid",
    "Engine",
    "Forbidden",
    "InMemoryDirectory",
    "InMemoryStore",
    "InvalidInput",
    "ManualClock",
    "MockSecrets",
    "NotFound",
    "OrchestrationSpec",
    "OvertureError",
    "SecretStore",
    "SqlDirectory",
    "SqlStore",
    "Store",
    "SystemClock",
    "Transaction",
    "ValidationIssue",
    "Worker",
    "check",
    "compile_document",
    "default_registry",
    "validate",
]

# Each command's arguments (in order) and option flags (sorted, "--no-x" included).
COMMANDS = {
    "create-token": {"arguments": ["name"], "options": ["--database-url"]},
    "create-user": {"arguments": ["username"], "options": ["--database-url", "--display-name", "--group", "--password-stdin", "--role"]},
    "demo": {"arguments": [], "options": []},
    "doctor": {"arguments": [], "options": ["--database-url", "--json", "--strict"]},
    "export": {"arguments": ["key"], "options": ["--database-url", "--scenarios", "--version"]},
    "import": {"arguments": ["file"], "options": ["--activate", "--database-url", "--scenarios"]},
    "migrate": {
        "arguments": ["key"],
        "options": sorted(
            ["--batch", "--by", "--database-url", "--dry-run", "--from", "--json", "--map", "--recompute", "--resume"]
            + ["--run", "--stage", "--status", "--timers", "--to"]
        ),
    },
    "bpmn": {"arguments": [], "options": []},
    "bpmn export": {"arguments": ["key_or_file"], "options": ["--database-url", "--out", "--version"]},
    "bpmn import": {"arguments": ["file"], "options": ["--out", "--report"]},
    "purge": {"arguments": [], "options": ["--archive", "--batch", "--database-url", "--dry-run", "--older-than"]},
    "purge-audit": {"arguments": [], "options": ["--database-url", "--older-than"]},
    "seed": {"arguments": [], "options": ["--database-url", "--demo"]},
    "serve": {"arguments": [], "options": ["--database-url", "--host", "--no-worker", "--port", "--worker", "--workers"]},
    "set-password": {"arguments": ["username"], "options": ["--database-url", "--password-stdin"]},
    "test": {
        "arguments": ["paths"],
        "options": [
            "--coverage",
            "--coverage-json",
            "--database",
            "--database-url",
            "--env",
            "--generate",
            "--junit",
            "--max-visits",
            "--out",
            "--personas",
            "--quiet",
            "--report",
            "--ui",
            "--ui-serial",
            "-k",
            "-q",
        ],
    },
    "validate": {"arguments": ["files"], "options": []},
    "worker": {
        "arguments": [],
        "options": [
            "--batch",
            "--database-url",
            "--directory",
            "--heartbeat",
            "--plugin",
            "--poll",
            "--stale-after",
            "--until-idle",
            "--worker-id",
        ],
    },
}

UPDATE = "the public API changed: if that is deliberate, update the pin in tests/runtime/test_public_api.py"


def test_runtime_all_is_pinned():
    assert sorted(runtime.__all__) == RUNTIME_ALL, UPDATE


def test_every_public_name_imports():
    for name in RUNTIME_ALL:
        assert getattr(runtime, name) is not None, name
    from runtime import Engine, InMemoryStore  # the form embedders write
    from runtime.engine import Engine as FromModule

    assert Engine is FromModule and InMemoryStore.__name__ == "InMemoryStore"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Nope"):
        _ = runtime.Nope


def test_importing_the_package_stays_light():
    """``import runtime`` (which every ``runtime.x`` import does first) loads neither SQLAlchemy nor CEL."""
    code = "import sys, runtime.clock; print(sorted(m for m in ('sqlalchemy', 'celpy', 'cel') if m in sys.modules))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"


def test_cli_commands_and_options_are_pinned():
    found = {}
    commands = dict(main.commands)
    for group_name, group in main.commands.items():  # `overture bpmn import`: a group's commands by their full name
        if isinstance(group, click.Group):
            commands.update({f"{group_name} {name}": command for name, command in group.commands.items()})
    for name, command in sorted(commands.items()):
        found[name] = {
            "arguments": [p.name for p in command.params if isinstance(p, click.Argument)],
            "options": sorted(o for p in command.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)),
        }
    assert found == COMMANDS, UPDATE
