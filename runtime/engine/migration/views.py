"""What a migration says: the dry run's report (counts, reasons grouped, per-run detail) and
a persisted migration's progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from runtime.engine.context import Host
from runtime.engine.migration.assess import Assessment
from runtime.engine.migration.plan import Plan
from runtime.engine.plain import iso, json_copy
from runtime.errors import NotFound
from runtime.model import Migration, MigrationResult
from runtime.spec import OrchestrationSpec

#: Per-run detail a report gives at most (the counts and groups always cover every run).
DETAIL_LIMIT = 500


def grouped_reasons(runs: Iterable[tuple[str, list[dict[str, Any]]]], *, examples: bool) -> list[dict[str, Any]]:
    """Reasons of (run id, reasons) pairs grouped by (code, node, message), the commonest first;
    with ``examples``, each group names its first five runs."""
    groups: Counter[tuple[str, str | None, str]] = Counter()
    seen: dict[tuple[str, str | None, str], list[str]] = {}
    for run_id, reasons in runs:
        for r in reasons:
            key = (r["code"], r.get("node"), r["message"])
            groups[key] += 1
            seen.setdefault(key, []).append(run_id)
    return [
        {"code": code, "node": node, "message": message, "count": count, **({"runs": seen[(code, node, message)][:5]} if examples else {})}
        for (code, node, message), count in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0][2]))
    ]


def report(
    plan: Plan, target: OrchestrationSpec, sources: dict[int, OrchestrationSpec], assessed: list[Assessment], skipped: int
) -> dict[str, Any]:
    movable = [a for a in assessed if a.movable]
    refused = [a for a in assessed if not a.movable]
    notes: Counter[str] = Counter(n for a in assessed for n in a.notes)
    grouped = grouped_reasons(((a.run_id, a.reasons) for a in refused), examples=True)
    ordered = refused + movable
    return {
        "orchestration": plan.orchestration,
        "target": target.version,
        "sources": sorted(sources),
        "plan": plan.to_json(),
        "total": len(assessed) + skipped,
        "movable": len(movable),
        "refused": len(refused),
        "skipped": skipped,
        "summary": summary(len(movable), len(refused), skipped, grouped),
        "groups": grouped,
        "notes": [{"message": m, "count": c} for m, c in sorted(notes.items(), key=lambda kv: (-kv[1], kv[0]))],
        "runs": [a.to_json() for a in ordered[:DETAIL_LIMIT]],
        "runs_truncated": len(ordered) > DETAIL_LIMIT,
    }


def summary(movable: int, refused: int, skipped: int, groups: list[dict[str, Any]]) -> str:
    """ "412 can move; 23 cannot: 20 sits on Budget check, removed…; 3 …" in one line."""
    text = f"{movable:,} can move"
    if refused:
        text += f"; {refused:,} cannot: " + "; ".join(f"{g['count']:,} {g['message']}" for g in groups)
    if skipped:
        text += f"; {skipped:,} already on the target"
    return text


def migration_view(row: Migration) -> dict[str, Any]:
    plan = row.plan
    handled = row.moved + row.refused + row.skipped + row.failed
    return {
        "id": row.id,
        "orchestration": row.orchestration,
        "target": plan.get("target"),
        "sources": plan.get("sources", []),
        "plan": json_copy(plan),
        "status": row.status,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "updated_at": iso(row.updated_at),
        "ended_at": iso(row.ended_at),
        "total": row.total,
        "handled": handled,
        "moved": row.moved,
        "refused": row.refused,
        "skipped": row.skipped,
        "failed": row.failed,
    }


def view(host: Host, migration_id: str) -> dict[str, Any]:
    """A migration's progress, and per run what it did (refused and failed ones with reasons)."""
    with host.store.transaction(write=False) as tx:
        row = tx.get(Migration, migration_id)
        if row is None:
            raise NotFound(f"migration {migration_id} does not exist")
        results = sorted(tx.find(MigrationResult, migration_id=migration_id), key=lambda r: (r.at, r.run_id))
    grouped = grouped_reasons(((r.run_id, r.reasons) for r in results), examples=False)
    shown = [r for r in results if r.outcome in ("refused", "failed")] + [r for r in results if r.outcome not in ("refused", "failed")]
    return {
        **migration_view(row),
        "summary": summary(row.moved, row.refused + row.failed, row.skipped, grouped),
        "groups": grouped,
        "runs": [
            {
                "run_id": r.run_id,
                "outcome": r.outcome,
                "from_version": r.from_version,
                "at": r.node,
                "reasons": json_copy(r.reasons),
                "notes": list(r.notes),
                "when": iso(r.at),
            }
            for r in shown[:DETAIL_LIMIT]
        ],
        "runs_truncated": len(shown) > DETAIL_LIMIT,
    }


def listing(host: Host, orchestration: str) -> list[dict[str, Any]]:
    with host.store.transaction(write=False) as tx:
        rows = sorted(tx.find(Migration, orchestration=orchestration), key=lambda m: (m.created_at, m.id), reverse=True)
    return [migration_view(r) for r in rows]
