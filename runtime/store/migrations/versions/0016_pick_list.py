"""The runs list's assignee pick list for a member at a million runs: ``open_holders``.

A member is offered whoever holds open work on the runs they may see. Read from the work
items, that is a join of the member's runs (all the runs their groups ever had an item
on: ~20,000 at a million runs) with the ~300,000 open items, or a proof per other holder
that none of its open items is on one of those runs - 100-500 ms either way. ``open_holders``
holds the answer per key instead: a row per (viewer, holder, run) of each live run with
open work, where ``holder`` is the assignee of an open item or ("user", who claimed it) and
``viewer`` a key by which a member reaches the run (builder/queries.py, visibility): ("user",
who started it), ("user", its record's owner), the assignee of any of its items, ("user",
who claimed or completed one). A member's holders are then the distinct holders under their
own keys, one index probe per holder; staff's (every holder) the same over
``ix_open_holders_holder``.

Kept by the database: triggers rebuild a run's rows (delete them, insert them again from
the run's items, the run and its record) when one of its work items is written (its status,
assignee, claimer or completer; inserted, deleted), when the run's status, starter or record
changes or the run is deleted, and when a record's owner changes or the record is deleted
(its runs). On PostgreSQL the triggers are deferred to the commit, when the transaction has
written all it writes (the run's revision included), and each rebuild first takes a
transaction lock on the run's id: two transactions that touch one run rebuild its rows one
after the other, the second from what the first committed. Backfilled here in one
statement. A later migration that rebuilds ``work_items``, ``runs`` or ``records`` on SQLite
must create the triggers again (``create_triggers``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# runtime.states.OPEN_ITEM and LIVE_RUN, as they are at 0015.
OPEN_ITEM_SQL = "('open', 'claimed')"
LIVE_RUN_SQL = "('in_progress', 'suspended', 'error')"

#: The work item columns whose change moves a holder or a viewer.
_ITEM_COLUMNS = ("status", "assignee_type", "assignee_value", "claimed_by", "completed_by")
#: The run columns whose change does (the status: live or not).
_RUN_COLUMNS = ("status", "started_by", "record_id")


def rows_of(runs: str | None) -> str:
    """A SELECT of the open_holders rows of the runs whose ids ``runs`` lists (an SQL
    expression after ``IN``), of every run when None, in the table's column order."""

    def among(column: str) -> str:
        return f" AND {column} IN {runs}" if runs is not None else ""

    holders = (
        "SELECT i.run_id, i.assignee_type AS kind, i.assignee_value AS who FROM work_items i JOIN runs r ON r.id = i.run_id "
        f"WHERE i.status IN {OPEN_ITEM_SQL} AND r.status IN {LIVE_RUN_SQL}{among('i.run_id')} "
        "UNION SELECT i.run_id, 'user', i.claimed_by FROM work_items i JOIN runs r ON r.id = i.run_id "
        f"WHERE i.status IN {OPEN_ITEM_SQL} AND r.status IN {LIVE_RUN_SQL} AND i.claimed_by IS NOT NULL{among('i.run_id')}"
    )
    viewers = (
        f"SELECT run_id, assignee_type AS kind, assignee_value AS who FROM work_items WHERE assignee_value IS NOT NULL{among('run_id')} "
        f"UNION SELECT run_id, 'user', claimed_by FROM work_items WHERE claimed_by IS NOT NULL{among('run_id')} "
        f"UNION SELECT run_id, 'user', completed_by FROM work_items WHERE completed_by IS NOT NULL{among('run_id')} "
        f"UNION SELECT id, 'user', started_by FROM runs WHERE started_by IS NOT NULL{among('id')} "
        "UNION SELECT runs.id, 'user', records.owner FROM runs JOIN records ON records.id = runs.record_id "
        f"WHERE records.owner IS NOT NULL{among('runs.id')}"
    )
    return f"SELECT DISTINCT v.who, v.kind, h.kind, h.who, h.run_id FROM ({holders}) h JOIN ({viewers}) v ON v.run_id = h.run_id"


def rebuilt(runs: str) -> str:
    """Statements that rebuild the open_holders rows of the runs ``runs`` lists."""
    return (
        f"DELETE FROM open_holders WHERE run_id IN {runs}; "
        f"INSERT INTO open_holders (viewer_value, viewer_type, holder_type, holder_value, run_id) {rows_of(runs)};"
    )


def create_triggers(dialect: str) -> None:
    """The triggers that keep ``open_holders``."""
    item_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _ITEM_COLUMNS)
    run_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _RUN_COLUMNS)
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION overture_rebuild_open_holders(the_run varchar) RETURNS void LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  PERFORM pg_advisory_xact_lock(hashtextextended('open_holders:' || the_run, 0));\n"
            f"  {rebuilt('(the_run)')}\n"
            "END $$"
        )
        op.execute(
            "CREATE FUNCTION overture_open_holders_item() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP = 'DELETE' THEN PERFORM overture_rebuild_open_holders(OLD.run_id);\n"
            "  ELSE PERFORM overture_rebuild_open_holders(NEW.run_id); END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            "CREATE FUNCTION overture_open_holders_run() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP = 'DELETE' THEN PERFORM overture_rebuild_open_holders(OLD.id);\n"
            "  ELSE PERFORM overture_rebuild_open_holders(NEW.id); END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            "CREATE FUNCTION overture_open_holders_record() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "DECLARE bound varchar;\n"
            "BEGIN\n"
            "  FOR bound IN SELECT id FROM runs WHERE record_id = OLD.id ORDER BY id LOOP\n"
            "    PERFORM overture_rebuild_open_holders(bound);\n"
            "  END LOOP;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        deferred = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        for name, event, table, when, function in (
            ("work_items_held", "INSERT OR DELETE", "work_items", "", "item"),
            ("work_items_held_changed", f"UPDATE OF {', '.join(_ITEM_COLUMNS)}", "work_items", item_changed, "item"),
            ("runs_held", "DELETE", "runs", "", "run"),
            ("runs_held_changed", f"UPDATE OF {', '.join(_RUN_COLUMNS)}", "runs", run_changed, "run"),
            ("records_held", "DELETE", "records", "", "record"),
            ("records_held_changed", "UPDATE OF owner", "records", "OLD.owner IS DISTINCT FROM NEW.owner", "record"),
        ):
            condition = f" WHEN ({when})" if when else ""
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} {deferred}{condition} "
                f"EXECUTE FUNCTION overture_open_holders_{function}()"
            )
    else:
        item_changed = item_changed.replace("IS DISTINCT FROM", "IS NOT")
        run_changed = run_changed.replace("IS DISTINCT FROM", "IS NOT")
        for statement in (
            f"CREATE TRIGGER work_items_held AFTER INSERT ON work_items BEGIN {rebuilt('(NEW.run_id)')} END",
            f"CREATE TRIGGER work_items_held_gone AFTER DELETE ON work_items BEGIN {rebuilt('(OLD.run_id)')} END",
            f"CREATE TRIGGER work_items_held_changed AFTER UPDATE OF {', '.join(_ITEM_COLUMNS)} ON work_items "
            f"WHEN {item_changed} BEGIN {rebuilt('(NEW.run_id)')} END",
            "CREATE TRIGGER runs_held AFTER DELETE ON runs BEGIN DELETE FROM open_holders WHERE run_id = OLD.id; END",
            f"CREATE TRIGGER runs_held_changed AFTER UPDATE OF {', '.join(_RUN_COLUMNS)} ON runs "
            f"WHEN {run_changed} BEGIN {rebuilt('(NEW.id)')} END",
            f"CREATE TRIGGER records_held AFTER DELETE ON records BEGIN {rebuilt('(SELECT id FROM runs WHERE record_id = OLD.id)')} END",
            "CREATE TRIGGER records_held_changed AFTER UPDATE OF owner ON records WHEN OLD.owner IS NOT NEW.owner "
            f"BEGIN {rebuilt('(SELECT id FROM runs WHERE record_id = NEW.id)')} END",
        ):
            op.execute(statement)


TRIGGERS = {
    "postgresql": (
        ("work_items_held", "work_items"),
        ("work_items_held_changed", "work_items"),
        ("runs_held", "runs"),
        ("runs_held_changed", "runs"),
        ("records_held", "records"),
        ("records_held_changed", "records"),
    ),
    "sqlite": (
        ("work_items_held", "work_items"),
        ("work_items_held_gone", "work_items"),
        ("work_items_held_changed", "work_items"),
        ("runs_held", "runs"),
        ("runs_held_changed", "runs"),
        ("records_held", "records"),
        ("records_held_changed", "records"),
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "open_holders",
        sa.Column("viewer_value", sa.String(), nullable=False),
        sa.Column("viewer_type", sa.String(), nullable=False),
        sa.Column("holder_type", sa.String(), nullable=False),
        sa.Column("holder_value", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("viewer_value", "viewer_type", "holder_type", "holder_value", "run_id"),
    )
    op.create_index("ix_open_holders_run", "open_holders", ["run_id"], unique=False)
    op.create_index("ix_open_holders_holder", "open_holders", ["holder_type", "holder_value"], unique=False)
    # The triggers and the backfill in one transaction (migrations run in one): no work item
    # is written between them.
    create_triggers(dialect)
    op.execute(f"INSERT INTO open_holders (viewer_value, viewer_type, holder_type, holder_value, run_id) {rows_of(None)}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in TRIGGERS["postgresql" if dialect == "postgresql" else "sqlite"]:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        for function in ("item", "run", "record"):
            op.execute(f"DROP FUNCTION IF EXISTS overture_open_holders_{function}()")
        op.execute("DROP FUNCTION IF EXISTS overture_rebuild_open_holders(varchar)")
    op.drop_index("ix_open_holders_holder", table_name="open_holders")
    op.drop_index("ix_open_holders_run", table_name="open_holders")
    op.drop_table("open_holders")
