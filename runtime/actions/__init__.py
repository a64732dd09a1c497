"""The registry of background actions: named, with declared inputs and outputs.

A background step names an action and maps its inputs with CEL expressions. The
engine runs the action outside the transaction that scheduled it, at least once,
with an idempotency key (run, step, visit, attempt). Third-party packages add
actions through the ``overture.actions`` entry-point group: the entry point is an
:class:`Action` or a callable that takes the registry and registers its actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

FIELD_TYPES = frozenset({"string", "number", "integer", "boolean", "list", "map", "any"})


@dataclass(frozen=True)
class ActionField:
    """An input or output an action declares."""

    name: str
    type: str = "any"
    required: bool = False
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required, "description": self.description}


class ActionFailed(Exception):
    """Raised by an action. ``retryable=False`` skips the remaining attempts."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Pending:
    """Returned by an action whose step completes later (a child run it waits for)."""

    def __init__(self, outputs: dict[str, Any] | None = None):
        self.outputs = outputs or {}


class ActionServices(Protocol):
    """What actions may ask of the engine; each call runs in its own transaction."""

    def update_record(self, object: str, record_id: str, fields: dict[str, Any], *, by: str | None) -> dict[str, Any]: ...

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None, idempotency_key: str) -> dict[str, Any]: ...

    def notify(self, *, to: dict[str, str], subject: str, body: str, run_id: str | None, idempotency_key: str) -> None: ...

    def start_child(self, key: str, inputs: dict[str, Any], *, parent: ActionContext, wait: bool) -> str: ...


class ActionContext:
    """What an action knows about the step that runs it.

    ``orchestration`` and ``record`` are read from the store the first time an
    action asks for them: most actions never do, and the read costs a query.
    """

    def __init__(
        self,
        *,
        run_id: str,
        step_id: str,
        visit: int,
        attempt: int,
        idempotency_key: str,
        now: datetime,
        services: ActionServices,
        settings: dict[str, Any] | None = None,
        load_run: Callable[[], tuple[str, dict[str, Any] | None]] | None = None,
    ):
        self.run_id = run_id
        self.step_id = step_id
        self.visit = visit
        self.attempt = attempt
        self.idempotency_key = idempotency_key
        self.now = now
        self.services = services
        self.settings = settings or {}
        #: Variables the action asks to set; applied with the step's completion.
        self.variables: dict[str, Any] = {}
        self._load_run = load_run
        self._loaded: tuple[str, dict[str, Any] | None] | None = None

    def _run(self) -> tuple[str, dict[str, Any] | None]:
        if self._loaded is None:
            self._loaded = self._load_run() if self._load_run else ("", None)
        return self._loaded

    @property
    def orchestration(self) -> str:
        """Key of the orchestration the run belongs to."""
        return self._run()[0]

    @property
    def record(self) -> dict[str, Any] | None:
        """The run's record (fields plus ``id``, ``object``, ``owner``), if it has one."""
        return self._run()[1]

    def set_variables(self, values: dict[str, Any]) -> None:
        self.variables.update(values)


Handler = Callable[[ActionContext, dict[str, Any]], "dict[str, Any] | Pending | None"]


@dataclass(frozen=True)
class Action:
    """A named background action."""

    name: str
    handler: Handler
    inputs: tuple[ActionField, ...] = ()
    outputs: tuple[ActionField, ...] = ()
    description: str = ""
    #: Inputs not declared are accepted (e.g. ``vars.set`` takes any variable name).
    open_inputs: bool = False
    #: Runs inside the transaction that starts the step, like a script task: for pure
    #: computations that touch nothing outside the run (no services, no I/O).
    local: bool = False
    #: May receive secrets (``secrets.<name>`` in its inputs): it sends them on to
    #: another system and never stores them where people read (runtime/secrets.py).
    secrets: bool = False

    def input(self, name: str) -> ActionField | None:
        return next((f for f in self.inputs if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "inputs": [f.to_dict() for f in self.inputs],
            "outputs": [f.to_dict() for f in self.outputs],
            "open_inputs": self.open_inputs,
            "local": self.local,
            "secrets": self.secrets,
        }


class ActionRegistry:
    """Actions by name. :func:`default_registry` has the built-ins and plug-ins."""

    def __init__(self, actions: Iterable[Action] = ()):
        self._actions: dict[str, Action] = {}
        for action in actions:
            self.register(action)

    def register(self, action: Action) -> Action:
        if action.name in self._actions:
            raise ValueError(f"action {action.name!r} is already registered")
        for f in (*action.inputs, *action.outputs):
            if f.type not in FIELD_TYPES:
                raise ValueError(f"action {action.name!r}: field {f.name!r} has unknown type {f.type!r}")
        self._actions[action.name] = action
        return action

    def action(
        self,
        name: str,
        *,
        inputs: Iterable[ActionField] = (),
        outputs: Iterable[ActionField] = (),
        description: str = "",
        open_inputs: bool = False,
        local: bool = False,
        secrets: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(
                Action(
                    name,
                    handler,
                    tuple(inputs),
                    tuple(outputs),
                    description or (handler.__doc__ or "").strip(),
                    open_inputs,
                    local,
                    secrets,
                )
            )
            return handler

        return decorate

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def names(self) -> list[str]:
        return sorted(self._actions)

    def describe(self) -> list[dict[str, Any]]:
        return [self._actions[n].to_dict() for n in self.names()]

    def load_entry_points(self, group: str = "overture.actions") -> None:
        for ep in entry_points(group=group):
            loaded = ep.load()
            if isinstance(loaded, Action):
                self.register(loaded)
            elif callable(loaded):
                loaded(self)
            else:
                raise TypeError(f"entry point {ep.name!r} in {group!r} is neither an Action nor a callable")


def default_registry(*, plugins: bool = True) -> ActionRegistry:
    """The built-in actions, plus those of installed plug-ins."""
    from runtime.actions.builtins import register_builtins

    registry = ActionRegistry()
    register_builtins(registry)
    if plugins:
        registry.load_entry_points()
    return registry
