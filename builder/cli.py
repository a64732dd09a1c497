"""The ``overture`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from runtime.document import validate as validate_document


@click.group()
def main() -> None:
    """Overture: flow orchestration with stages, steps and decisions."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check orchestration documents; exit 1 if any has an error."""
    failed = False
    for path in files:
        try:
            document = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            click.echo(f"{path}: not JSON: {exc}")
            failed = True
            continue
        issues = validate_document(document)
        errors = [i for i in issues if i.severity == "error"]
        for issue in issues:
            where = issue.node or (f"edge {issue.edge}" if issue.edge else "document")
            column = f" (column {issue.column})" if issue.column else ""
            click.echo(f"{path}: {issue.severity}: {where}: {issue.field}: {issue.message}{column}")
        if errors:
            failed = True
        else:
            click.echo(f"{path}: ok")
    sys.exit(1 if failed else 0)


@main.command()
def demo() -> None:
    """Run the contract-approval template in memory, with simulated people."""
    from builder.demo import run_demo

    run_demo(click.echo)
