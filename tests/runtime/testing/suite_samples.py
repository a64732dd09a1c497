"""Scenario files for the suite, JUnit, plugin and command-line tests: one that passes, one
that fails at a known step, one that does not load."""

from __future__ import annotations

from pathlib import Path


def scenario(
    name: str = "Small deal is signed", *, orchestration: str = "contract_approval", visited: str = "[legal, finance, executive]"
) -> str:
    """A contract of 20k through legal, finance and the executive; the last step expects ``visited``.

    With the default ``visited`` it passes; otherwise step 6, on line 24, fails.
    """
    return f"""\
scenario: 1
name: {name}
orchestration: {orchestration}
personas:
  requester: {{user: sam}}
  legal: {{user: alice, groups: [legal]}}
  finance: {{user: fiona, groups: [finance]}}
  exec: {{user: erin, groups: [executives]}}
steps:
  - start:
      record: {{object: contract, owner: requester, fields: {{title: Acme MSA, customer: Acme, amount: 20000, status: submitted}}}}
  - expect: {{stage: legal, ball: [{{group: legal}}]}}
  - as: legal
    complete: legal_review
    outcome: approve
  - as: finance
    claim: true
    complete: finance_review
    outcome: approve
  - as: exec
    complete: sign
    outcome: sign
    values: {{signed_on: "2026-01-06"}}
  - expect:
      status: completed
      stages_visited: {visited}
"""


PASSING = scenario()
FAILING = scenario("Big detour expected", visited="[legal, vp, executive]")
FAILING_LINE = 24
#: Valid YAML, but its second step (line 6) has no action.
BROKEN = "scenario: 1\nname: Broken\norchestration: contract_approval\nsteps:\n  - start: {}\n  - frobnicate: 1\n"
BROKEN_LINE = 6


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` written to ``folder/name`` (folders made as needed)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
