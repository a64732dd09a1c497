"""Schemathesis, an independent client, against ``GET /api/openapi.json`` (ARCHITECTURE §4).

It reads the document the app publishes, generates requests for every operation (valid
ones and ones that break the schema on purpose), sends them to the app in-process and
checks the answers: no server error, every status documented, every body as documented,
invalid input refused with a 4xx. Signed in once as an admin and once as a member, with
a fixed seed (``derandomize``) and a bounded number of examples per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.builder.api_support import EXPENSE, deploy, setup_contracts
from tests.builder.conftest import Client
from tests.builder.test_openapi import document

#: Examples per operation and generation mode (valid / invalid input).
EXAMPLES = 12
#: Checks left out: the spec cannot say everything the API validates (a document is checked
#: by the runtime, a cursor is opaque), so a schema-valid request may still be a 4xx.
LENIENT = [positive_data_acceptance]
#: Not sent: signing out would end the session the rest of the run uses.
SKIP = {("DELETE", "/api/session")}


def without_security(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with its operations' security left out: this run keeps one signed-in
    session (cookie and CSRF header on every request), so the generator must neither drop
    nor forge them. Who may call what is test_permissions.py's matrix."""
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    spec["components"].pop("securitySchemes", None)
    return spec


#: Path parameters that name things that exist (see ``seed``), so the valid requests reach
#: real resources and not only 404s; the other half of the examples draws them at random.
EXISTING = {"key": "expense", "object": "contract", "username": "sam", "group": "sales", "name": "expense"}


def known(path: str) -> dict[str, str]:
    return {name: value for name, value in EXISTING.items() if "{" + name + "}" in path}


def seed(app: Any) -> None:
    """An active orchestration, the contract record type with a record, a scenario."""
    ada = Client(app, "ada")
    deploy(ada, EXPENSE)
    setup_contracts(ada)
    assert (
        ada.post(
            "/api/records/contract", json={"fields": {"title": "Deal", "customer": "ACME", "amount": 1200, "status": "draft"}}
        ).status_code
        == 201
    )


def can_be_invalid(item: dict[str, Any], method: str) -> bool:
    """Whether a request to the operation can break its schema: it takes a body, a query
    argument or a path parameter that is not any text."""
    operation = item[method.lower()]
    parameters = item.get("parameters", []) + operation.get("parameters", [])
    return "requestBody" in operation or any(
        p["in"] == "query" or p.get("schema", {}).get("type", "string") != "string" for p in parameters
    )


def failures_for(app: Any, username: str, answered: dict[str, set[int]]) -> list[str]:
    seed(app)
    client = Client(app, username)
    cookie = client.http.get_cookie("session")
    assert cookie is not None
    # Werkzeug's client drops a Cookie header for its own cookie jar: give the cookie as a cookie.
    cookies, headers = {"session": cookie.value}, {"X-CSRF-Token": client.csrf}
    spec = without_security(document(app))
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    found: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        modes = [GenerationMode.POSITIVE]
        if can_be_invalid(spec["paths"][operation.path], operation.method):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
            @given(
                case=st.one_of(
                    operation.as_strategy(generation_mode=mode),
                    operation.as_strategy(generation_mode=mode, path_parameters=known(operation.path)),
                )
            )
            def check(case: Any) -> None:
                response = case.call_and_validate(headers=headers, cookies=cookies, excluded_checks=LENIENT)
                answered.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation, not only the first
                found.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    return found


@pytest.mark.parametrize("username", ["ada", "sam"])
def test_the_api_keeps_its_published_contract(app, username):
    answered: dict[str, set[int]] = {}
    found = failures_for(app, username, answered)
    assert not found, "\n\n".join(found)
    # The run reached the app signed in: lists answer, and the member meets the role rules.
    assert 200 in answered["GET /api/runs"] and 200 in answered["GET /api/work-items"]
    assert 403 in answered["GET /api/users"] if username == "sam" else 200 in answered["GET /api/users"]
    assert len(answered) >= 60
    # ... and things that exist: the seeded records, and (for the admin) the orchestration.
    assert 200 in answered["GET /api/records/{object}"]
    assert (403 if username == "sam" else 200) in answered["GET /api/orchestrations/{key}"]
