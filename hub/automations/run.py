"""One run of an automation's actions: what it carries, and the signals that end it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hub.core.context import Context
from hub.core.exceptions import HubError

from .trace import Trace

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["ConditionFailed", "Run", "ScriptError", "StepBody", "StopRun"]


class ScriptError(HubError):
    """A step failed (or `stop:` with `error: true`); the run ends as failed."""


class StopRun(Exception):
    """`stop:` without error: the run ends here, successfully."""


class ConditionFailed(Exception):
    """A `condition:` step was false: the run ends here."""


class Run:
    """What one run carries through its steps."""

    __slots__ = ("context", "hub", "name", "trace", "variables")

    def __init__(
        self,
        hub: Hub,
        name: str,
        context: Context,
        trace: Trace | None,
        variables: dict[str, Any],
    ) -> None:
        self.hub = hub
        self.name = name
        self.context = context
        self.trace = trace
        self.variables = variables

    def branch(self) -> Run:
        """A parallel branch: its own copy of the variables, the same context and trace."""
        return Run(self.hub, self.name, self.context, self.trace, dict(self.variables))


StepBody = Callable[[Run, str], Awaitable[Any]]
