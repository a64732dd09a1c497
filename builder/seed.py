"""Starting data for a new installation (``overture seed``) and the demo (``--demo``).

``seed`` creates the groups and queues the shipped templates assign work to, their
record types, and activates the templates. ``--demo`` adds people with a printed
password, a small orchestration whose CRM call fails (its host is not allow-listed),
and records and runs spread over the last ten days — some done, some waiting at
different stages, one in error, one suspended, one cancelled — so the work lists and
the monitor are not empty.

``--demo`` also stores the shipped templates' scenario tests
(``runtime/templates/scenarios/<key>/``) for the builder's Tests panel.

Both are idempotent: what exists already is left as it is. Demo records carry an
idempotency key, and a scenario whose record exists is not played again; a stored
scenario test of the same name is not replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder import accounts, scenarios
from builder.tables import ScenarioRow
from runtime import templates
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.store.directory import SqlDirectory
from runtime.store.tables import GroupRow, OrchestrationRow, RecordRow, RunRow, UserRow
from runtime.templates import RECORD_TYPES, TEMPLATES, load

#: The shipped templates' scenario tests: ``<key>/**/*.scenario.yaml``.
TEMPLATE_SCENARIOS = Path(templates.__file__).resolve().parent / "scenarios"

#: Printed by ``seed --demo``; every demo person signs in with it.
DEMO_PASSWORD = "overture-demo"

#: name -> kind; the groups and queues the shipped templates assign work to.
GROUPS = {
    "admin": "group",
    "ops": "group",
    "sales": "group",
    "legal": "group",
    "finance": "group",
    "executives": "group",
    "support": "group",
    "warehouse": "queue",
    "project_managers": "group",
    "support_escalations": "queue",
}

#: user name -> (role, display name, groups)
PEOPLE = {
    "ada": ("admin", "Ada Admin", ["admin"]),
    "otto": ("ops", "Otto Ops", ["ops"]),
    "sam": ("member", "Sam Sales", ["sales"]),
    "alice": ("member", "Alice Legal", ["legal"]),
    "fiona": ("member", "Fiona Finance", ["finance"]),
    "frank": ("member", "Frank Finance", ["finance"]),
    "erin": ("member", "Erin Executive", ["executives"]),
    "sue": ("member", "Sue Support", ["support"]),
    "steve": ("member", "Steve Escalations", ["support", "support_escalations"]),
    "walt": ("member", "Walt Warehouse", ["warehouse"]),
    "pat": ("member", "Pat PM", ["project_managers"]),
    "dana": ("member", "Dana Developer", ["project_managers"]),
}

#: A demo process whose background step calls a host that is not on the allowlist.
CRM_SYNC: dict[str, Any] = {
    "format": 1,
    "key": "customer_onboarding",
    "label": "Customer onboarding",
    "description": "Sales checks a new customer, then the customer is pushed to the CRM. "
    "The CRM host is not allow-listed (OVERTURE_HTTP_ALLOWLIST), so the push fails.",
    "inputs": [{"name": "customer", "type": "string", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "check", "type": "stage", "label": "Check details"},
        {
            "id": "check_details",
            "type": "interactive",
            "stage": "check",
            "label": "Check customer details",
            "assignee": {"type": "group", "value": "sales"},
            "due": "P1D",
            "form": {
                "fields": [{"name": "notes", "type": "textarea", "label": "Notes", "required": False}],
                "outcomes": [{"value": "confirmed", "label": "Details confirmed"}],
            },
        },
        {"id": "crm", "type": "stage", "label": "CRM"},
        {
            "id": "push_to_crm",
            "type": "background",
            "stage": "crm",
            "label": "Create customer in CRM",
            "action": "http.request",
            "inputs": {"url": "'https://crm.example.invalid/api/customers'", "method": "'POST'", "body": "{'name': inputs.customer}"},
        },
        {"id": "done", "type": "end", "label": "Onboarded"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "check"},
        {"id": "e2", "source": "check", "target": "crm"},
        {"id": "e3", "source": "crm", "target": "done"},
    ],
}


@dataclass
class Move:
    """At ``hours`` after the demo's start, ``by`` does ``what``: an outcome of their open
    work item (with ``values``; ``"{date}"`` is the day of the move), or ``cancel`` /
    ``suspend`` the run."""

    hours: float
    by: str
    what: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scenario:
    """A record created (or, without ``object``, a run started) at ``hours``, then moves."""

    key: str
    hours: float
    owner: str
    object: str | None
    fields: dict[str, Any]
    moves: list[Move] = field(default_factory=list)
    orchestration: str | None = None


def _m(hours: float, by: str, what: str, **values: Any) -> Move:
    return Move(hours, by, what, values)


#: Hours are counted from ten days ago; the last move is before now.
SCENARIOS = [
    # Contract approval: signed, withdrawn, cancelled, and waiting at every stage.
    Scenario(
        "contract-acme",
        2,
        "sam",
        "contract",
        {"title": "Acme master services agreement", "customer": "Acme", "amount": 72000, "status": "submitted"},
        [
            _m(7, "alice", "approve", notes="standard terms"),
            _m(26, "fiona", "approve", margin=31),
            _m(30, "erin", "approve"),
            _m(33, "erin", "sign", signed_on="{date}"),
        ],
    ),
    Scenario(
        "contract-vandelay",
        20,
        "sam",
        "contract",
        {"title": "Vandelay import deal", "customer": "Vandelay Industries", "amount": 12000, "status": "submitted"},
        [_m(27, "alice", "reject", notes="no liability cap"), _m(50, "sam", "withdraw", amount=12000)],
    ),
    Scenario(
        "contract-soylent",
        50,
        "sam",
        "contract",
        {"title": "Soylent supply contract", "customer": "Soylent", "amount": 40000, "status": "submitted"},
        [_m(56, "otto", "cancel")],
    ),
    Scenario(
        "contract-umbrella",
        74,
        "sam",
        "contract",
        {"title": "Umbrella NDA", "customer": "Umbrella", "amount": 24000, "status": "submitted"},
        [_m(77, "alice", "approve"), _m(98, "frank", "reject", reason="discount too deep")],
    ),
    Scenario(
        "contract-hooli",
        120,
        "sam",
        "contract",
        {"title": "Hooli enterprise licence", "customer": "Hooli", "amount": 250000, "status": "submitted"},
        [_m(125, "alice", "approve"), _m(146, "fiona", "approve", margin=42)],
    ),
    Scenario(
        "contract-initech",
        146,
        "sam",
        "contract",
        {"title": "Initech pilot", "customer": "Initech", "amount": 34000, "status": "submitted"},
        [_m(150, "alice", "approve", notes="pilot terms")],
    ),
    Scenario(
        "contract-globex", 170, "sam", "contract", {"title": "Globex renewal", "customer": "Globex", "amount": 18000, "status": "submitted"}
    ),
    # Refunds: credited, rejected, waiting in the warehouse queue, escalated.
    Scenario(
        "refund-jane",
        24,
        "sue",
        "service_request",
        {"customer": "Jane Doe", "kind": "refund", "order_id": "A-1001", "amount": 120, "reason": "arrived broken"},
        [
            _m(26, "sue", "valid", finding="photo shows the damage"),
            _m(72, "walt", "received", condition="damaged"),
            _m(76, "fiona", "issued", amount=120),
        ],
    ),
    Scenario(
        "refund-tom",
        96,
        "sue",
        "service_request",
        {"customer": "Tom Lee", "kind": "refund", "order_id": "A-1044", "amount": 15, "reason": "changed my mind"},
        [_m(97, "sue", "invalid", finding="outside the 30-day window")],
    ),
    Scenario(
        "refund-ines",
        168,
        "sue",
        "service_request",
        {"customer": "Ines Garcia", "kind": "refund", "order_id": "A-1102", "amount": 340, "reason": "wrong size"},
        [_m(171, "sue", "valid", finding="size swap agreed")],
    ),
    Scenario(
        "refund-kim",
        192,
        "sue",
        "service_request",
        {"customer": "Kim Park", "kind": "refund", "order_id": "A-1131", "amount": 89, "reason": "never arrived"},
    ),
    Scenario("question-lee", 200, "sue", "service_request", {"customer": "Lee Chen", "kind": "question", "reason": "where is my invoice?"}),
    # Projects: requirements, suspended in development, waiting out the stabilisation.
    Scenario(
        "project-mobile",
        24,
        "dana",
        "project",
        {"name": "Mobile app", "status": "planned"},
        [
            _m(48, "dana", "done", document_url="https://wiki.example.com/mobile"),
            _m(52, "pat", "complete"),
            _m(120, "dana", "done"),
            _m(204, "pat", "accepted"),
        ],
    ),
    Scenario(
        "project-warehouse",
        48,
        "dana",
        "project",
        {"name": "Data warehouse", "status": "planned"},
        [_m(60, "dana", "done", document_url="https://wiki.example.com/dwh"), _m(70, "pat", "complete"), _m(144, "otto", "suspend")],
    ),
    Scenario("project-website", 192, "pat", "project", {"name": "Website relaunch", "status": "planned"}),
    # Onboarding: one in error (CRM host not allowed), one waiting for sales.
    Scenario(
        "onboarding-acme",
        216,
        "sam",
        None,
        {"customer": "Acme"},
        [_m(218, "sam", "confirmed", notes="VAT number checked")],
        orchestration="customer_onboarding",
    ),
    Scenario("onboarding-globex", 226, "sam", None, {"customer": "Globex"}, orchestration="customer_onboarding"),
]


def seed(app: Flask, *, demo: bool = False) -> dict[str, Any]:
    """Seed the app's database; returns what it holds afterwards (see :func:`summary`)."""
    state = app.extensions["overture"]
    engine = state.engine
    with state.sessions.begin() as s:
        for name, kind in GROUPS.items():
            if s.get(GroupRow, name) is None:
                accounts.create_group(s, name, kind=kind)
        s.flush()
        if demo:
            for username, (role, display_name, groups) in PEOPLE.items():
                user = s.get(UserRow, username)
                if user is None:
                    # The demo's password is published (README, `seed --demo` prints it), so the
                    # password rules, which would refuse it as too short, are waived for it alone.
                    user = accounts.create_user(
                        s, username, role=role, password=DEMO_PASSWORD, groups=groups, display_name=display_name, check_strength=False
                    )
                if user.email is None:  # example.com is reserved: demo mail never reaches anyone
                    user.email = f"{username}@example.com"
    if demo:
        # The demo has an engine of its own on a manual clock that runs from ten days ago
        # to now: timestamps look lived-in, due dates and escalations fall where they would.
        now = datetime.now(UTC)
        clock = ManualClock(now.replace(minute=0, second=0, microsecond=0) - timedelta(days=10))
        engine = Engine(
            state.store, clock, SqlDirectory(state.store), actions=engine.actions, settings=engine.settings, secrets=engine.secrets
        )
    for name, fields in RECORD_TYPES.items():
        engine.define_record_type(name, fields, label=name.replace("_", " ").capitalize())
    for name in TEMPLATES:
        engine.deploy(load(name), by="seed")
    if demo:
        engine.deploy(CRM_SYNC, by="seed")
        _play(engine, clock)
        clock.set(max(clock.now(), now))
        with state.sessions.begin() as s:
            store_template_scenarios(s)
    return summary(app)


def store_template_scenarios(session: Session, root: Path | None = None) -> list[tuple[str, str]]:
    """Store the templates' scenario files under ``root/<key>/`` (default:
    :data:`TEMPLATE_SCENARIOS`) that are not stored yet (a file
    ``generated/x.scenario.yaml`` is named ``generated-x``); returns the (key, name) of
    those stored now."""
    root = root or TEMPLATE_SCENARIOS
    stored = []
    for key in sorted(load(name)["key"] for name in TEMPLATES):
        folder = root / key
        if not folder.is_dir():
            continue
        for path in scenarios.scenario_files(folder):
            name = scenarios.name_of_file(path, folder)
            if session.get(ScenarioRow, (key, name)) is None:
                scenarios.save_scenario(session, key, name, path.read_text(encoding="utf-8"), by="seed")
                stored.append((key, name))
    return stored


def _play(engine: Engine, clock: ManualClock) -> None:
    """Play the scenarios not played yet, moving the clock from move to move."""
    start = clock.now()
    started = {s.orchestration for s in SCENARIOS if s.object is None and engine.runs(orchestration=s.orchestration)}
    timeline: list[tuple[float, int, Scenario, Move | None]] = []
    for order, scenario in enumerate(SCENARIOS):
        if scenario.object is None and scenario.orchestration in started:
            continue
        timeline.append((scenario.hours, order, scenario, None))
        timeline.extend((move.hours, order, scenario, move) for move in scenario.moves)
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    runs: dict[str, str | None] = {}
    for hours, _order, scenario, move in timeline:
        clock.set(max(clock.now(), start + timedelta(hours=hours)))
        if move is None:
            runs[scenario.key] = _begin(engine, scenario)
        elif (run_id := runs[scenario.key]) is not None:
            _do(engine, run_id, move, clock.now())


def _begin(engine: Engine, scenario: Scenario) -> str | None:
    """Create the scenario's record (or start its run); None when it was played before."""
    if scenario.object is None:
        assert scenario.orchestration
        return str(engine.start(scenario.orchestration, scenario.fields, started_by=scenario.owner))
    record = engine.create_record(
        scenario.object, scenario.fields, owner=scenario.owner, by=scenario.owner, idempotency_key=f"demo:{scenario.key}"
    )
    return str(record["started_runs"][0]) if record["started_runs"] else None


def _do(engine: Engine, run_id: str, move: Move, now: datetime) -> None:
    if move.what == "cancel":
        engine.cancel(run_id, by=move.by, reason="customer went with another supplier")
    elif move.what == "suspend":
        engine.suspend(run_id, by=move.by)
    else:
        item = engine.work_items(assignee=move.by, run=run_id)[0]
        values = {k: (now.date().isoformat() if v == "{date}" else v) for k, v in move.values.items()}
        engine.complete(item["id"], by=move.by, outcome=move.what, values=values)


def summary(app: Flask) -> dict[str, Any]:
    """What the database holds: counts of groups, people, records, orchestrations, runs by status."""
    with app.extensions["overture"].sessions() as s:

        def count(column: Any) -> int:
            return int(s.scalar(select(func.count(column))) or 0)

        statuses = dict(s.execute(select(RunRow.status, func.count(RunRow.id)).group_by(RunRow.status)).all())
        return {
            "groups": count(GroupRow.id),
            "people": count(UserRow.id),
            "records": count(RecordRow.id),
            "orchestrations": int(
                s.scalar(select(func.count(OrchestrationRow.id)).where(OrchestrationRow.active_version.is_not(None))) or 0
            ),
            "runs": {status: int(n) for status, n in sorted(statuses.items())},
        }
