"""The ``data-testid``s the end-to-end plugin relies on are still in the front end
(overture_e2e/contract.py): a front-end change that drops or renames one fails here."""

from __future__ import annotations

import re
from pathlib import Path

from builder.seed import DEMO_PASSWORD
from overture_e2e import api
from overture_e2e.contract import REACT_FLOW_TEST_IDS, TEST_IDS

REPO = Path(__file__).resolve().parents[2]


def front_end_source() -> str:
    """The app's own source (tests and their helpers left out: they promise nothing)."""
    files = [p for p in (REPO / "frontend" / "src").rglob("*.ts*") if not re.search(r"\.test\.tsx?$", p.name) and "test" not in p.parts]
    assert files, "frontend/src has no source"
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def present(test_id: str, source: str) -> bool:
    """``data-testid="x"`` (or ``{'x'}``); an id ending in "-" as a prefix of a template: ``{`x-${...}`}``."""
    quoted = r"""data-testid=\{?["'`]"""
    if test_id.endswith("-"):
        return re.search(quoted + re.escape(test_id) + r"\$\{", source) is not None
    return re.search(quoted + re.escape(test_id) + r"""["'`]""", source) is not None


def test_every_promised_test_id_is_in_the_front_end():
    source = front_end_source()
    missing = [t for t in TEST_IDS if not present(t, source)]
    assert not missing, f"the front end no longer has these data-testids, promised in overture_e2e/contract.py: {missing}"
    assert len(set(TEST_IDS)) == len(TEST_IDS)


def test_the_check_finds_a_dropped_or_renamed_id():
    source = 'const a = <p data-testid="work-count">1</p>;\nconst b = <li data-testid={`run-${run.id}`} />;'
    assert present("work-count", source) and present("run-", source)
    assert not present("work-shown", source)
    assert not present("work-", source)  # "work-count" is not a template with that prefix
    assert not present("run", source)  # an exact id must match exactly


def test_the_page_objects_use_only_promised_test_ids():
    used: set[str] = set()
    for module in (REPO / "overture_e2e").glob("*.py"):
        for literal in re.findall(r"""get_by_test_id\(\s*(f?)"([^"]+)"\s*\)""", module.read_text(encoding="utf-8")):
            is_template, text = literal
            used.add(text.split("{", 1)[0] if is_template else text)
    assert used, "no page object uses a test id?"
    unpromised = sorted(u for u in used if u not in TEST_IDS and u not in REACT_FLOW_TEST_IDS)
    assert not unpromised, f"page objects use test ids not listed in overture_e2e/contract.py: {unpromised}"


def test_the_api_clients_demo_password_is_the_seeds():
    assert api.DEMO_PASSWORD == DEMO_PASSWORD
