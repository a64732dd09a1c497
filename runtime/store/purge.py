"""What one batch of a purge takes, decided the same way by every store.

A purge (``runtime/retention.py``) deletes old runs that have ended, a batch of runs at a
time, through :meth:`~runtime.store.base.Store.purge_runs`. Each store reads and deletes
its rows its own way; the choice of runs is made here, once:

- a run goes with its whole tree: a parent's sub-runs with it, never a sub-run alone (its
  parent's page links to it). The roots are runs without a parent, or whose parent is gone;
- a tree goes only when every run in it is ``completed`` or ``cancelled`` and ended before
  the cut-off (never a run in progress, suspended or in error: those can still move);
- and only when the insight projector has counted all its events (their ids are at most
  ``events_upto``), so the figures keep what the events added to them.

Trees that are not ready are passed over, and the next batch starts after them: one purge
looks at each old run once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from runtime.model import Job, MigrationResult, Notification, Run, RunEvent, StageVisit, StepRun, Subscription, Timer, WorkItem
from runtime.states import ENDED_RUN

#: The rows of a run besides the run itself, as :class:`RunRows` names them. Notifications
#: go too: they point at the run and its work items, which are gone, and their text
#: (subject, body) is the run's data that retention is meant to remove. What migrations did
#: with the run goes with it (the migration's own row keeps its counts).
OWNED: tuple[tuple[str, type], ...] = (
    ("stage_visits", StageVisit),
    ("step_runs", StepRun),
    ("work_items", WorkItem),
    ("timers", Timer),
    ("jobs", Job),
    ("subscriptions", Subscription),
    ("notifications", Notification),
    ("migration_results", MigrationResult),
)

#: Where a batch stopped: the (started_at, id) of the last root it looked at.
Mark = tuple[datetime, str]


@dataclass
class RunRows:
    """A run with every row that belongs to it and its event log: what the archive keeps."""

    run: Run
    stage_visits: list[StageVisit] = field(default_factory=list)
    step_runs: list[StepRun] = field(default_factory=list)
    work_items: list[WorkItem] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    migration_results: list[MigrationResult] = field(default_factory=list)
    events: list[RunEvent] = field(default_factory=list)

    def row_count(self) -> int:
        """Rows deleted with this run: the run, its owned rows and its events."""
        return 1 + sum(len(getattr(self, name)) for name, _cls in OWNED) + len(self.events)


@dataclass
class PurgeBatch:
    """What one :meth:`~runtime.store.base.Store.purge_runs` call did (or, dry, would do)."""

    #: The ids of the runs purged, parents before their sub-runs.
    runs: list[str]
    #: Rows deleted: the runs, the rows they own and their events.
    rows: int
    #: Trees passed over: a run still live or ended after the cut-off, or events not yet counted.
    skipped: int
    #: Where the next batch starts; None when no old run is left to look at.
    next: Mark | None


def choose(
    roots: list[Run],
    children: Callable[[list[str]], list[Run]],
    last_events: Callable[[list[str]], dict[str, int]],
    *,
    ended_before: datetime,
    events_upto: int,
    limit: int,
) -> tuple[list[Run], int, Mark | None]:
    """The runs of one batch: whole trees from ``roots`` (oldest first, as a store found
    them: up to ``limit`` of them, ended before the cut-off), about ``limit`` runs in all.

    ``children(ids)`` gives the runs whose parent is one of ``ids``; ``last_events(ids)``
    the highest event id of each run that has events. Returns the runs (parents first),
    how many trees were passed over, and where the next batch starts (None: no more roots).
    """
    trees: dict[str, list[Run]] = {root.id: [root] for root in roots}
    tree_of = {root.id: root.id for root in roots}
    level = [root.id for root in roots]
    while level:
        added = []
        for child in children(level):
            tree = tree_of.get(child.parent_run_id or "")
            if tree is None or child.id in tree_of:
                continue  # parents never form a cycle; this only keeps bad data from looping
            tree_of[child.id] = tree
            trees[tree].append(child)
            added.append(child.id)
        level = added
    last = last_events(list(tree_of))
    chosen: list[Run] = []
    skipped = 0
    mark: Mark | None = None
    for root in roots:
        members = trees[root.id]
        if chosen and len(chosen) + len(members) > limit:
            break  # the next batch starts with this tree
        mark = (root.started_at, root.id)
        ready = all(
            run.status in ENDED_RUN and run.ended_at is not None and run.ended_at < ended_before and last.get(run.id, 0) <= events_upto
            for run in members
        )
        if ready:
            chosen.extend(members)
        else:
            skipped += 1
    if mark is None or (len(roots) < limit and mark == (roots[-1].started_at, roots[-1].id)):
        return chosen, skipped, None  # every root the store had was looked at
    return chosen, skipped, mark
