"""Indexes for every list query: runs by orchestration/status/stage, work items by
assignee/status, due timers, ready jobs, events by run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_buffered_events_name", "buffered_events", ["name", "received_at"], unique=False)
    op.create_index("ix_jobs_ready", "jobs", ["status", "run_after"], unique=False)
    op.create_index("ix_jobs_run", "jobs", ["run_id", "step_id", "status"], unique=False)
    op.create_index("ix_notifications_key", "notifications", ["idempotency_key"], unique=False)
    op.create_index("ix_notifications_to", "notifications", ["to_value", "created_at"], unique=False)
    op.create_index("ix_records_key", "records", ["idempotency_key"], unique=True)
    op.create_index("ix_records_object", "records", ["object", "created_at"], unique=False)
    op.create_index("ix_records_owner", "records", ["owner"], unique=False)
    op.create_index("ix_run_events_run", "run_events", ["run_id", "id"], unique=False)
    op.create_index("ix_runs_current_node", "runs", ["orchestration", "current_node"], unique=False)
    op.create_index("ix_runs_orchestration_status", "runs", ["orchestration", "status", "started_at"], unique=False)
    op.create_index("ix_runs_parent", "runs", ["parent_run_id"], unique=False)
    op.create_index("ix_runs_record", "runs", ["record_id", "status"], unique=False)
    op.create_index("ix_runs_started_by", "runs", ["started_by"], unique=False)
    op.create_index("ix_runs_status_started", "runs", ["status", "started_at"], unique=False)
    op.create_index("ix_stage_visits_run", "stage_visits", ["run_id", "current"], unique=False)
    op.create_index("ix_step_runs_run", "step_runs", ["run_id", "current"], unique=False)
    op.create_index("ix_subscriptions_name", "subscriptions", ["name"], unique=False)
    op.create_index("ix_subscriptions_run", "subscriptions", ["run_id", "step_id"], unique=False)
    op.create_index("ix_timers_due", "timers", ["due_at"], unique=False)
    op.create_index("ix_timers_run", "timers", ["run_id", "step_id"], unique=False)
    op.create_index("ix_versions_orchestration", "versions", ["orchestration", "number"], unique=True)
    op.create_index("ix_versions_trigger_object", "versions", ["trigger_object"], unique=False)
    op.create_index("ix_work_items_assignee", "work_items", ["assignee_value", "status", "due_at"], unique=False)
    op.create_index("ix_work_items_claimed_by", "work_items", ["claimed_by", "status"], unique=False)
    op.create_index("ix_work_items_run", "work_items", ["run_id", "step_id", "visit"], unique=False)
    op.create_index("ix_work_items_status_due", "work_items", ["status", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_items_status_due", table_name="work_items")
    op.drop_index("ix_work_items_run", table_name="work_items")
    op.drop_index("ix_work_items_claimed_by", table_name="work_items")
    op.drop_index("ix_work_items_assignee", table_name="work_items")
    op.drop_index("ix_versions_trigger_object", table_name="versions")
    op.drop_index("ix_versions_orchestration", table_name="versions")
    op.drop_index("ix_timers_run", table_name="timers")
    op.drop_index("ix_timers_due", table_name="timers")
    op.drop_index("ix_subscriptions_run", table_name="subscriptions")
    op.drop_index("ix_subscriptions_name", table_name="subscriptions")
    op.drop_index("ix_step_runs_run", table_name="step_runs")
    op.drop_index("ix_stage_visits_run", table_name="stage_visits")
    op.drop_index("ix_runs_status_started", table_name="runs")
    op.drop_index("ix_runs_started_by", table_name="runs")
    op.drop_index("ix_runs_record", table_name="runs")
    op.drop_index("ix_runs_parent", table_name="runs")
    op.drop_index("ix_runs_orchestration_status", table_name="runs")
    op.drop_index("ix_runs_current_node", table_name="runs")
    op.drop_index("ix_run_events_run", table_name="run_events")
    op.drop_index("ix_records_owner", table_name="records")
    op.drop_index("ix_records_object", table_name="records")
    op.drop_index("ix_records_key", table_name="records")
    op.drop_index("ix_notifications_to", table_name="notifications")
    op.drop_index("ix_notifications_key", table_name="notifications")
    op.drop_index("ix_jobs_run", table_name="jobs")
    op.drop_index("ix_jobs_ready", table_name="jobs")
    op.drop_index("ix_buffered_events_name", table_name="buffered_events")
