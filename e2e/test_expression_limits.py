"""A costly expression in the builder (issue 12, ARCHITECTURE §2 "Expressions and limits"):
the issues panel names the decision, the field and the column of the comprehension, says
the budget, and choosing the issue selects the decision."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from e2e.fixtures.documents import unique_key
from e2e.fixtures.pages import BuilderPage

TEN = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
SEVEN_NESTED = "".join(f"{TEN}.all({v}, " for v in "abcdefg") + "true" + ")" * 7


def costly(key: str) -> dict:
    return {
        "format": 1,
        "key": key,
        "label": "Costly check",
        "nodes": [
            {"id": "start", "type": "start", "ui": {"x": 0, "y": 0}},
            {
                "id": "check",
                "type": "decision",
                "label": "Every combination?",
                "ui": {"x": 200, "y": 0},
                "outcomes": [{"id": "yes", "label": "Yes", "condition": SEVEN_NESTED}],
            },
            {"id": "done", "type": "end", "ui": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "check"},
            {"id": "e2", "source": "check", "target": "done", "outcome": "yes"},
            {"id": "e3", "source": "check", "target": "done", "outcome": "default"},
        ],
    }


def test_admin_sees_where_a_costly_expression_is_and_gets_to_it(login_as, api, tmp_path: Path):
    key = unique_key("costly")
    api("admin").create_orchestration(costly(key))
    page = login_as("admin").new_page()
    builder = BuilderPage(page).open(key)
    builder.check_for_issues()
    issue = builder.issue_at("check", "outcomes[0].condition")
    expect(issue).to_have_count(1)
    expect(issue).to_contain_text(f"column {len(TEN) + 1}")
    expect(issue).to_contain_text("over the budget of 3,000,000")
    expect(issue).to_contain_text("7 nested comprehensions")
    page.screenshot(path=str(tmp_path / "costly-expression.png"))
    builder.deselect_all()
    issue.click()
    builder.expect_selected("check")
    builder.activate()
    expect(builder.status).to_contain_text("1 error")
    assert api("admin").orchestration(key)["active_version"] is None


def test_admin_declares_how_long_a_list_input_is_and_the_check_fits_the_budget(login_as, api, tmp_path: Path):
    key = unique_key("distinct")
    document = costly(key)
    document["label"] = "Distinct items"
    document["inputs"] = [{"name": "items", "type": "list", "required": True}]
    document["nodes"][1]["outcomes"][0]["condition"] = "inputs.items.all(x, inputs.items.exists_one(y, y == x))"
    api("admin").create_orchestration(document)
    page = login_as("admin").new_page()
    builder = BuilderPage(page).open(key)
    builder.check_for_issues()
    issue = builder.issue_at("check", "outcomes[0].condition")
    expect(issue).to_contain_text("column 13")
    expect(issue).to_contain_text("2 nested comprehensions")

    # Nothing selected: the document settings, where the input is declared.
    builder.deselect_all()
    most = page.get_by_label("Input max items")
    most.fill("200")
    page.screenshot(path=str(tmp_path / "max-items.png"))
    builder.check_for_issues()
    expect(builder.errors()).to_have_count(0)
    builder.save()
    builder.activate()
    expect(builder.status).to_contain_text("Version 1 is active")
    admin = api("admin")
    assert admin.orchestration(key)["active_version"] == 1
    member = api("member")
    assert member.status_of("POST", "/api/runs", {"orchestration": key, "inputs": {"items": list(range(201))}}) == 422
