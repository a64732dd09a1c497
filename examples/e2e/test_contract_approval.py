"""A plain Playwright test with the overture_e2e plugin, against a running Overture.

    pip install 'overture[e2e]'
    export REQUESTER_PASSWORD=... LEGAL_PASSWORD=... OPS_PASSWORD=...
    pytest examples/e2e --overture-url https://overture.example.com --overture-personas examples/e2e/personas.yaml

The requester (sales) creates a contract through the API (its save starts contract
approval); legal approves it in the Work Guide on the contract's page, in a browser
signed in as legal; the run moves on to finance. The run is cancelled after the test
(ops may). The persona names are the contract approval scenarios' (personas.yaml).
"""

from __future__ import annotations

from overture_e2e.work_pages import RecordPage


def test_legal_approves_a_contract_in_the_work_guide(persona, overture_api, unique_name):
    title = unique_name("Contract")
    record = overture_api("requester").create_record(
        "contract", {"title": title, "customer": "Initrode", "amount": 12000, "status": "submitted"}
    )
    (run_id,) = record["started_runs"]
    overture_api("legal").wait_for_item(run=run_id, step="legal_review")

    guide = RecordPage(persona("legal")).open("contract", record["id"])
    guide.expect_step("Review contract terms")
    guide.fill("Notes", "Standard terms.")
    guide.choose("Approve")
    guide.expect_stage("Finance review")

    assert overture_api("ops").wait_for_stage(run_id, "finance")["status"] == "in_progress"
