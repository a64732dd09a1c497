"""Aggregates for the monitor at a million runs: runs counted per day and status, and
overdue items counted without a join.

- ``run_counts``: runs per (orchestration, version, UTC start day, status), with the
  completed ones' run time summed, kept by triggers on ``runs`` in the transaction that
  writes the run (an insert counts it; a change of status, start or end moves it from
  one row to another; a delete — a purge — leaves its count, so the metrics keep the
  runs retention removed). Backfilled here from the runs, in one grouped statement.
- ``work_items.version``: the run's version on each work item (the engine sets it;
  backfilled here from the runs), and ``ix_work_items_overdue``, a partial index of the
  open items by orchestration and due time that holds all the overdue count needs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN_ITEM_SQL = "status IN ('open', 'claimed')"  # runtime.states.OPEN_ITEM, as it was at 0013


def _sqlite_counted(row: str, sign: str) -> str:
    """A run (``NEW`` or ``OLD``) added to (``sign`` "") or taken from ("-") its row."""
    timed = f"{row}.status = 'completed' AND {row}.ended_at IS NOT NULL"

    # UTCDateTime keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) on SQLite: whole microseconds.
    def micro(column: str) -> str:
        return f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"

    return (
        "INSERT INTO run_counts (orchestration, version, day, status, n, timed, microseconds) VALUES ("
        f"{row}.orchestration, {row}.version, substr({row}.started_at, 1, 10), {row}.status, {sign}1, "
        f"CASE WHEN {timed} THEN {sign}1 ELSE 0 END, "
        f"CASE WHEN {timed} THEN {sign}({micro(f'{row}.ended_at')} - {micro(f'{row}.started_at')}) ELSE 0 END) "
        "ON CONFLICT (orchestration, version, day, status) DO UPDATE SET "
        "n = n + excluded.n, timed = timed + excluded.timed, microseconds = microseconds + excluded.microseconds;"
    )


def _postgres_counted(row: str, sign: str) -> str:
    timed = f"{row}.status = 'completed' AND {row}.ended_at IS NOT NULL"
    return (
        "INSERT INTO run_counts AS c (orchestration, version, day, status, n, timed, microseconds) VALUES ("
        f"{row}.orchestration, {row}.version, to_char({row}.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), {row}.status, {sign}1, "
        f"CASE WHEN {timed} THEN {sign}1 ELSE 0 END, "
        f"CASE WHEN {timed} THEN {sign}CAST(extract(epoch FROM {row}.ended_at - {row}.started_at) * 1000000 AS BIGINT) ELSE 0 END) "
        "ON CONFLICT (orchestration, version, day, status) DO UPDATE SET "
        "n = c.n + excluded.n, timed = c.timed + excluded.timed, microseconds = c.microseconds + excluded.microseconds;"
    )


#: The columns whose change moves a run to another run_counts row.
_MOVES = ("orchestration", "version", "status", "started_at", "ended_at")


def create_triggers(dialect: str) -> None:
    """The triggers that keep ``run_counts`` (a later migration that rebuilds ``runs``
    on SQLite must create them again)."""
    if dialect == "postgresql":
        # The two rows a change moves a run between are locked in one order (by key), so
        # transactions that each move a run cannot deadlock on them.
        key = "({0}.orchestration, {0}.version, to_char({0}.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), {0}.status)"
        taken, added = _postgres_counted("OLD", "-"), _postgres_counted("NEW", "")
        op.execute(
            "CREATE FUNCTION overture_count_run() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP = 'INSERT' THEN\n"
            f"    {added}\n"
            f"  ELSIF {key.format('OLD')} < {key.format('NEW')} THEN\n"
            f"    {taken}\n    {added}\n"
            "  ELSE\n"
            f"    {added}\n    {taken}\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute("CREATE TRIGGER runs_counted AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION overture_count_run()")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _MOVES)
        op.execute(
            f"CREATE TRIGGER runs_recounted AFTER UPDATE ON runs FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION overture_count_run()"
        )
    else:
        op.execute(f"CREATE TRIGGER runs_counted AFTER INSERT ON runs BEGIN {_sqlite_counted('NEW', '')} END")
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _MOVES)
        op.execute(
            f"CREATE TRIGGER runs_recounted AFTER UPDATE OF {', '.join(_MOVES)} ON runs WHEN {changed} "
            f"BEGIN {_sqlite_counted('OLD', '-')} {_sqlite_counted('NEW', '')} END"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "run_counts",
        sa.Column("orchestration", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("timed", sa.BigInteger(), nullable=False),
        sa.Column("microseconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("orchestration", "version", "day", "status"),
    )
    if dialect == "postgresql":
        # Every run written updates a row here: room on each page keeps those updates HOT,
        # so the old versions are pruned in place between vacuums.
        op.execute("ALTER TABLE run_counts SET (fillfactor = 50)")
    # The backfill and the triggers in one transaction (migrations run in one): no run is
    # written between them.
    if dialect == "postgresql":
        day = "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        spent = "CAST(extract(epoch FROM ended_at - started_at) * 1000000 AS BIGINT)"
    else:
        day = "substr(started_at, 1, 10)"

        def micro(column: str) -> str:
            return f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"

        spent = f"({micro('ended_at')} - {micro('started_at')})"
    timed = "status = 'completed' AND ended_at IS NOT NULL"
    op.execute(
        "INSERT INTO run_counts (orchestration, version, day, status, n, timed, microseconds) "
        f"SELECT orchestration, version, {day}, status, count(*), "
        f"sum(CASE WHEN {timed} THEN 1 ELSE 0 END), sum(CASE WHEN {timed} THEN {spent} ELSE 0 END) "
        f"FROM runs GROUP BY orchestration, version, {day}, status"
    )
    create_triggers(dialect)

    op.add_column("work_items", sa.Column("version", sa.Integer(), nullable=True))
    if dialect == "postgresql":  # a hash join, not a lookup per item
        op.execute("UPDATE work_items SET version = runs.version FROM runs WHERE runs.id = work_items.run_id")
    else:
        op.execute("UPDATE work_items SET version = (SELECT runs.version FROM runs WHERE runs.id = work_items.run_id)")
    op.create_index(
        "ix_work_items_overdue",
        "work_items",
        ["orchestration", "due_at", "version", "step_id", "stage_id", "status"],
        unique=False,
        postgresql_where=sa.text(OPEN_ITEM_SQL),
        sqlite_where=sa.text(OPEN_ITEM_SQL),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_work_items_overdue", table_name="work_items")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("version")
    op.execute("DROP TRIGGER IF EXISTS runs_recounted" + (" ON runs" if dialect == "postgresql" else ""))
    op.execute("DROP TRIGGER IF EXISTS runs_counted" + (" ON runs" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS overture_count_run()")
    op.drop_table("run_counts")
