"""The ``data-testid``s the front end promises to keep, for tests outside the repository.

The page objects find things by role, label and name first; where a page shows a figure
or a state with no accessible name of its own, they use one of these test ids. A
front-end change that drops or renames one fails ``tests/test_e2e_contract.py`` — so
renaming one is a breaking change of the testers' API: keep the old id or say so in the
release notes. An id ending in ``-`` is a prefix: the rest is an id the page object is
given (a node's, a run's, a work item's, a scenario's name).
"""

from __future__ import annotations

#: Test ids of the app (frontend/src), by page.
TEST_IDS: tuple[str, ...] = (
    # The shell and My work (/work)
    "work-count",  # the open-item count on My work's link
    "work-shown",  # "50 of 60 shown"
    "work-item-",  # a row of My work, by the item's id
    # A work item's page (/work/<id>) and a record's page (/records/<object>/<id>): the Work Guide
    "work-guide-step",  # my step now: its form and outcome buttons
    "work-guide-assignment",  # who the step is for
    "work-guide-completed",  # who completed it and how
    "work-guide-nothing",  # nothing for me to do on this record
    "work-guide-waiting",  # a run of the record is waiting for someone else
    "work-guide-elsewhere",  # my step is on another run's page
    "item-orchestration",  # the orchestration and run an item belongs to
    "item-earlier-steps",  # what was done before on the run
    "item-not-found",
    "progress-current",  # the run's current stage
    "progress-next",  # the stages after it
    "progress-status",  # a finished run's status
    "started-runs",  # the runs a record's save started
    # A run's page (/runs/<id>)
    "run-status",
    "run-error",
    "failing-step",
    "current-stage",
    "open-items",
    "run-notice",  # what the last control or repair led to
    "path-",  # how the run went through a node, by the node's id
    "timeline-",  # the timeline's entries of a node, by its id
    # The monitor (/monitor/<key>)
    "live-state",
    "bottleneck",
    "figures-",  # a node's figures, by its id (data-figure="active" ...)
    "taken-",  # how often an edge was taken, by its id
    "run-",  # a run's row below the canvas, by the run's id
    # The builder's Tests panel and coverage
    "scenario-",  # a stored scenario, by its name (data-result)
    "coverage-node-",
    "coverage-edge-",
    # Administration
    "token-secret",  # a new API token's secret, shown once
)

#: React Flow's own test ids on the canvas (the builder, the monitor, a run's page): the
#: library's, pinned with it in package-lock.json, so not looked for in frontend/src.
REACT_FLOW_TEST_IDS: tuple[str, ...] = ("rf__node-", "rf__edge-")
