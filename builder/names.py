"""Names, not ids (docs/ARCHITECTURE.md): what pages read instead of the ids that runs and
work items hold — display names of people, labels of groups, queues and orchestrations,
record names — one query per kind for a whole page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from builder.extensions import engine
from builder.mail import record_name
from builder.queries import reading
from runtime.errors import OvertureError
from runtime.store.tables import GroupRow, OrchestrationRow, RecordRow, RunRow, UserRow


def named_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs with what people read instead of ids (docs/ARCHITECTURE.md, "Names, not ids"):
    ``label`` (the orchestration's), ``current_node_label``, ``record_name``, ``started_by_name``
    and, on each ball entry, ``name`` (a person's, a group's or queue's, or for ``system`` the step's
    label) and ``claimed_by_name``. One query per kind for the page."""
    records = {(r["record"]["object"], r["record"]["id"]) for r in runs if r["record"]}
    labels = orchestration_labels({r["orchestration"] for r in runs})
    with reading() as s:
        fields_of = record_fields(s, records)
    balls = [b for r in runs for b in r.get("ball", [])]
    users = {n for r in runs for n in [r["started_by"]] if n} | {b["claimed_by"] for b in balls if b.get("claimed_by")}
    users |= {b["value"] for b in balls if b["type"] == "user"}
    people, teams = display_names(users, {b["value"] for b in balls if b["type"] in ("group", "queue")})
    node_labels: dict[tuple[str, int], dict[str, str]] = {}
    named = []
    for run in runs:
        spec_key = (run["orchestration"], run["version"])
        if spec_key not in node_labels:  # every node's label, the ends' too (a run that ended is at one)
            node_labels[spec_key] = {n["id"]: n.get("label") or n["id"] for n in engine().spec(*spec_key).document["nodes"]}
        record = run["record"]
        named.append(
            {
                **run,
                "label": labels.get(run["orchestration"], run["orchestration"]),
                "current_node_label": node_labels[spec_key].get(run["current_node"], run["current_node"]) if run["current_node"] else None,
                "record_name": record_name(record["object"], record["id"], fields_of.get((record["object"], record["id"])))
                if record
                else None,
                "started_by_name": people.get(run["started_by"], run["started_by"]) if run["started_by"] else None,
                "ball": [
                    {
                        **b,
                        # The system's share is named by its step ("Mark contract signed"), not its action.
                        "name": node_labels[spec_key].get(b["step"], b["value"])
                        if b["type"] == "system"
                        else (people if b["type"] == "user" else teams).get(b["value"], b["value"]),
                        "claimed_by_name": people.get(b["claimed_by"], b["claimed_by"]) if b.get("claimed_by") else None,
                    }
                    for b in run.get("ball", [])
                ],
            }
        )
    return named


def named_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with the display names of their assignee and of who claimed and completed them."""
    users = {n for i in items for n in (i["claimed_by"], i["completed_by"], i.get("on_behalf_of")) if n}
    users |= {i["assignee"]["value"] for i in items if i["assignee"]["type"] == "user"}
    groups = {i["assignee"]["value"] for i in items if i["assignee"]["type"] != "user"}
    people, teams = display_names(users, groups)
    labels = orchestration_labels({i["orchestration"] for i in items})
    return [
        {
            **i,
            "orchestration_label": labels.get(i["orchestration"], i["orchestration"]),
            "assignee_name": (people if i["assignee"]["type"] == "user" else teams).get(i["assignee"]["value"], i["assignee"]["value"]),
            "claimed_by_name": people.get(i["claimed_by"], i["claimed_by"]) if i["claimed_by"] else None,
            "completed_by_name": people.get(i["completed_by"], i["completed_by"]) if i["completed_by"] else None,
            "on_behalf_of_name": people.get(i["on_behalf_of"], i["on_behalf_of"]) if i.get("on_behalf_of") else None,
        }
        for i in items
    ]


def record_fields(s: Any, records: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(object, id) -> the record's fields, for the records named (one query; none when none)."""
    if not records:
        return {}
    statement = select(RecordRow.object, RecordRow.id, RecordRow.fields).where(RecordRow.id.in_({i for _o, i in records}))
    return {(o, i): f for o, i, f in s.execute(statement)}


def orchestration_labels(keys: set[str]) -> dict[str, str]:
    """Orchestration key -> label (one query; unknown keys are left out)."""
    if not keys:
        return {}
    with reading() as s:
        return dict(s.execute(select(OrchestrationRow.id, OrchestrationRow.label).where(OrchestrationRow.id.in_(keys))).all())


def display_names(users: set[str], groups: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(user name -> display name, group or queue name -> label); unknown names are left out."""
    with reading() as s:
        people = dict(s.execute(select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(users))).all()) if users else {}
        teams = dict(s.execute(select(GroupRow.id, GroupRow.label).where(GroupRow.id.in_(groups))).all()) if groups else {}
    # A user without a display name is shown by their user name.
    return {k: v or k for k, v in people.items()}, {k: v or k for k, v in teams.items()}


def named_migration(report: dict[str, Any]) -> dict[str, Any]:
    """A migration's dry-run report or progress view with what people read instead of ids
    (docs/ARCHITECTURE.md, "Names, not ids"): ``label`` (the orchestration's),
    ``created_by_name``; on each ``runs`` entry ``name`` (the run as the runs list shows
    it: its record's name, else its short id), ``record_name`` and ``at_label`` (the node it
    sits on, in the version it moved from); on each group ``at_label`` and ``names`` (the
    names of its example ``runs``, in order). One query per kind for the whole report."""
    key = report["orchestration"]
    entries = report.get("runs", [])
    groups = report.get("groups", [])
    run_ids = {e["run_id"] for e in entries} | {r for g in groups for r in g.get("runs", [])}
    with reading() as s:
        rows = (
            s.execute(select(RunRow.id, RunRow.version, RunRow.record_object, RunRow.record_id).where(RunRow.id.in_(run_ids))).all()
            if run_ids
            else []
        )
        records = {(o, i) for _id, _v, o, i in rows if o and i}
        fields_of = record_fields(s, records)
    record_names = {run_id: record_name(o, i, fields_of.get((o, i))) for run_id, _v, o, i in rows if o and i}
    versions = (
        {v for _id, v, _o, _i in rows} | {e.get("from_version") or e.get("version") for e in entries} | set(report.get("sources", []))
    )
    labels: dict[str, str] = {}
    for version in sorted((v for v in versions if v), reverse=True):  # a node's label in the newest version that has it
        try:
            spec = engine().spec(key, version)
        except OvertureError:
            continue
        for node_id in [*spec.stages, *spec.steps, *spec.decisions]:
            labels.setdefault(node_id, spec.node_label(node_id))

    def name(run_id: str) -> str:
        return record_names.get(run_id) or run_id[:8]

    def label_in(version: int | None, node: str | None) -> str | None:
        if node is None:
            return None
        if version:
            try:
                return engine().spec(key, version).node_label(node)
            except OvertureError:
                pass
        return labels.get(node, node)

    people, _teams = display_names({report["created_by"]} if report.get("created_by") else set(), set())
    return {
        **report,
        "label": orchestration_labels({key}).get(key, key),
        **(
            {"created_by_name": people.get(report["created_by"], report["created_by"]) if report["created_by"] else None}
            if "created_by" in report
            else {}
        ),
        "groups": [
            {**g, "at_label": labels.get(g["node"], g["node"]) if g["node"] else None, "names": [name(r) for r in g.get("runs", [])]}
            for g in groups
        ],
        "runs": [
            {
                **e,
                "name": name(e["run_id"]),
                "record_name": record_names.get(e["run_id"]),
                "at_label": e.get("at_label") or label_in(e.get("from_version") or e.get("version"), e.get("at")),
            }
            for e in entries
        ],
    }
