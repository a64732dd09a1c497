"""Decision nodes: the first outcome whose condition holds, else the default."""

from __future__ import annotations

from runtime.engine.context import RunContext, event, holds
from runtime.spec import DecisionOutcome


def take(ctx: RunContext, node: str) -> DecisionOutcome:
    """Choose the decision's outcome (logged); the rules then follow its edge."""
    decision = ctx.spec.decisions[node]
    chosen = decision.default
    for outcome in decision.outcomes:
        assert outcome.condition is not None
        if holds(ctx, outcome.condition, node, f"outcome {outcome.id}"):
            chosen = outcome
            break
    event(ctx, "decision.taken", node=node, data={"outcome": chosen.id, "edge": chosen.edge, "target": chosen.target})
    return chosen
