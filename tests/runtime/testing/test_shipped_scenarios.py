"""Every scenario shipped with the templates passes (hand-written and generated ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.templates import TEMPLATES
from runtime.testing import DocumentSource, load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[3] / "runtime" / "templates" / "scenarios"
FILES = sorted(p for pattern in ("*.scenario.yaml", "*.scenario.yml") for p in ROOT.rglob(pattern))
SOURCE = DocumentSource()  # one for all: documents read once


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_shipped_scenario_passes(path: Path):
    scenario = load_scenario(path.read_text(), source=str(path))
    assert scenario.orchestration == path.relative_to(ROOT).parts[0]
    result = run_scenario(scenario, documents=SOURCE)
    assert result.passed, result.report()


@pytest.mark.parametrize("key", TEMPLATES)
def test_each_template_has_hand_written_scenarios(key: str):
    written = [p for p in (ROOT / key).glob("*.scenario.yaml")]
    assert len(written) >= 2, f"{key} needs at least two hand-written scenarios"
