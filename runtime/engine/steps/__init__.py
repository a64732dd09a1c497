"""What each node type does, one module each, with the same hooks for steps:

* ``start(ctx, step, step_run)``: the step starts; returns a :class:`~runtime.engine.context.Completion`
  or :class:`~runtime.engine.context.Failure` when it ended at once, else None (it waits).
* ``close(ctx, step, visit)``: the step is discontinued or its run ends; undo what it waits on.

``interactive`` (work items), ``background`` (actions, local or as jobs), ``wait``
(timers and events); ``decision`` picks an outcome of a decision node. The rules
(runtime/engine/rules.py) call these; the hooks never call the rules back.
"""
