"""Where the orchestration document a scenario tests comes from.

In order: the scenario's ``document`` path (relative to its file); ``<key>.json`` in
the scenario file's directory or any parent; a shipped template with that key; a
database (any callable that returns a version's document).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime import templates
from runtime.testing.scenario import Scenario

#: ``(key, version or None) -> document or None``: the active (or that) version from a database.
DatabaseLookup = Callable[[str, "int | None"], "dict[str, Any] | None"]


class DocumentNotFound(LookupError):
    """No source has the document; the message says where it was looked for."""


class DocumentSource:
    """Finds the document of a scenario's orchestration.

    Args:
        database: looks a document up by key and version (e.g. in the builder's database).
        templates: whether the shipped templates are a source (default true).
    """

    def __init__(self, *, database: DatabaseLookup | None = None, templates: bool = True):
        self.database = database
        self.use_templates = templates
        self._files: dict[Path, tuple[float, dict[str, Any]]] = {}

    def resolve(self, scenario: Scenario) -> dict[str, Any]:
        """The document for ``scenario`` (a fresh copy).

        Raises:
            DocumentNotFound: no source has it; the message lists the places tried.
            ValueError: a file that was found is not a JSON object.
        """
        base = Path(scenario.source).resolve().parent if scenario.source else None
        if scenario.document:
            path = Path(scenario.document)
            if not path.is_absolute():
                if base is None:
                    raise DocumentNotFound(
                        f"`document: {scenario.document}` is relative to the scenario file, but this scenario has no file"
                    )
                path = base / path
            if not path.is_file():
                raise DocumentNotFound(f"`document: {scenario.document}` does not exist ({path})")
            return self._read(path)
        return self._lookup(scenario.orchestration, base, scenario.version)

    def version(self, scenario: Scenario, number: int) -> dict[str, Any]:
        """Another version of the scenario's orchestration (a ``migrate`` step's target): its entry
        in ``versions`` (a path relative to the scenario file, or the document itself), else that
        version in the database.

        Raises:
            DocumentNotFound: neither has it; the message says where it was looked for.
            ValueError: a file that was found is not a JSON object.
        """
        given = scenario.versions.get(number)
        which = repr(scenario.orchestration)
        if isinstance(given, dict):
            copied: dict[str, Any] = json.loads(json.dumps(given))
            return copied
        if isinstance(given, str):
            path = Path(given)
            if not path.is_absolute():
                if not scenario.source:
                    if self.database is not None and (found := self.database(scenario.orchestration, number)) is not None:
                        return dict(json.loads(json.dumps(found)))
                    raise DocumentNotFound(f"`versions: {number}: {given}` is relative to the scenario file, but this scenario has no file")
                path = Path(scenario.source).resolve().parent / path
            if not path.is_file():
                raise DocumentNotFound(f"`versions: {number}: {given}` does not exist ({path})")
            return self._read(path)
        if self.database is not None:
            found = self.database(scenario.orchestration, number)
            if found is not None:
                return dict(json.loads(json.dumps(found)))
            raise DocumentNotFound(f"version {number} of {which} is neither in the scenario's `versions` nor in the database")
        raise DocumentNotFound(f"version {number} of {which} is not in the scenario's `versions` (add `versions: {{{number}: <file>}}`)")

    def find(self, key: str, near: Scenario | None = None) -> dict[str, Any] | None:
        """Another orchestration's document (a child run's): next to ``near``'s file, a template, the database."""
        base = Path(near.source).resolve().parent if near is not None and near.source else None
        try:
            return self._lookup(key, base, None)
        except DocumentNotFound:
            return None

    def _lookup(self, key: str, base: Path | None, version: int | None) -> dict[str, Any]:
        tried: list[str] = []
        if base is not None:
            for folder in (base, *base.parents):
                candidate = folder / f"{key}.json"
                if candidate.is_file():
                    return self._read(candidate)
            tried.append(f"{key}.json in {base} and its parents")
        if self.use_templates:
            if key in templates.TEMPLATES:
                return templates.load(key)
            tried.append("the shipped templates")
        if self.database is not None:
            found = self.database(key, version)
            if found is not None:
                copied: dict[str, Any] = json.loads(json.dumps(found))
                return copied
            tried.append("the database" + (f" (version {version})" if version else " (active version)"))
        raise DocumentNotFound(f"no document for orchestration {key!r}; looked in: {'; '.join(tried) or 'nowhere'}")

    def _read(self, path: Path) -> dict[str, Any]:
        mtime = path.stat().st_mtime
        cached = self._files.get(path)
        if cached is None or cached[0] != mtime:
            try:
                data = json.loads(path.read_text())
            except ValueError as exc:
                raise ValueError(f"{path}: not valid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ValueError(f"{path}: an orchestration document is a JSON object")
            cached = self._files[path] = (mtime, data)
        copied: dict[str, Any] = json.loads(json.dumps(cached[1]))
        return copied
