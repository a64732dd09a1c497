"""Generated path tests: every path through an orchestration, as a scenario.

:func:`generate` walks the graph of an orchestration from start to its ends — every
decision outcome (``default`` included), loops bounded by ``max_visits`` visits of any
stage, the fault path of a stage whose background step fails for good, and a run
error for a background step that calls the outside world where no fault path exists.

Along each path it executes the orchestration *symbolically*: the values a scenario
chooses (inputs, the record's fields, form values and outcomes of each visit of an
interactive step, event payloads, mocked action outputs) are symbols, what steps
compute from them (``set``, ``record.update``) is tracked as expressions over them,
and each decision adds the condition of the chosen outcome and the negation of the
earlier ones. :mod:`runtime.testing.solver` then chooses values for the symbols, and
the path becomes a scenario: personas from the assignees, the record or inputs, the
completions, events, record updates, clock moves and mocks that drive the run down
the path, and the assertions of the stages visited and the end reached.

:func:`write_scenarios` writes them as ``<key>--<n>-<slug>.scenario.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runtime.actions import default_registry
from runtime.spec import compile_document
from runtime.testing.paths.generated import GeneratedPath, GeneratedPaths
from runtime.testing.paths.walk import Walker


def generate(
    document: Mapping[str, Any],
    *,
    max_visits: int = 2,
    record_types: Mapping[str, list[dict[str, Any]]] | None = None,
    max_paths: int = 200,
) -> GeneratedPaths:
    """Enumerate the paths of an orchestration and build a scenario for each.

    Args:
        document: The orchestration document (it is validated first).
        max_visits: How many times a path may enter the same stage (loops).
        record_types: Record types by name (default: the shipped templates' types);
            given ones are written into the scenarios.
        max_paths: Stop after this many feasible paths (``truncated`` is then set).

    Returns:
        The feasible paths in the order found (happy paths first: ``default`` is tried
        before the declared outcomes), followed by the infeasible ones.

    Raises:
        DocumentInvalid: when the document is not valid.
        ValueError: for ``max_visits`` or ``max_paths`` below 1.
    """
    if max_visits < 1:
        raise ValueError(f"max_visits must be at least 1, got {max_visits}")
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, got {max_paths}")
    spec = compile_document(dict(document), actions=default_registry())
    walker = Walker(spec, dict(document), max_visits, record_types, max_paths)
    return walker.run()


def numbered(paths: Sequence[GeneratedPath]) -> list[tuple[str, GeneratedPath]]:
    """The feasible paths with their numbers, zero-padded to sort in order (``"03"``): the
    files of :func:`write_scenarios` and the builder's stored names are numbered alike."""
    feasible = [p for p in paths if p.feasible and p.data is not None]
    width = len(str(len(feasible)))
    return [(f"{n:0{width}d}", path) for n, path in enumerate(feasible, start=1)]


def write_scenarios(paths: Sequence[GeneratedPath], out_dir: str | Path, key: str) -> list[Path]:
    """Write each feasible path as ``<out_dir>/<key>--<n>-<slug>.scenario.yaml``.

    Args:
        paths: What :func:`generate` returned.
        out_dir: The directory (created if needed).
        key: The orchestration key, first in the file names.

    Returns:
        The files written, in order.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, path in numbered(paths):
        target = directory / f"{key}--{number}-{path.slug}.scenario.yaml"
        target.write_text(path.to_yaml(), encoding="utf-8")
        written.append(target)
    return written


__all__ = ["GeneratedPath", "GeneratedPaths", "generate", "numbered", "write_scenarios"]
