"""Moving running instances to another version of their orchestration (ARCHITECTURE §3,
"Migrating runs").

A :class:`~runtime.engine.migration.plan.Plan` names the target version, the versions
runs move from, which runs, and a node mapping (by default a node maps to the node of
the target with the same id and kind; the plan maps renamed or replaced nodes).

* ``plan``: the plan, and the node mapping it implies;
* ``assess``: for one run, every reason it cannot move (nothing is written);
* ``move``: moving one run inside the caller's transaction: its stage visits, step runs,
  open work items, timers and subscriptions follow the mapping, its variables and inputs
  take the target's declarations, a ``run.migrated`` event is logged, and every condition
  is evaluated once more (steps only the target has, whose start holds, start now);
* ``batches``: dry runs, and persisted migrations that workers apply in batches, one run
  per transaction, resumable.
"""
