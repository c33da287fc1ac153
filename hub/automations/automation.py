"""One automation: an `automation.<id>` entity that attaches its triggers and runs its actions.

A trigger builds the run's variables (`trigger`, the automation's and the trigger's own
`variables`), checks the conditions, and starts the actions at once, inline, up to their
first wait: a state change reaches the service call without a task in between. The mode
decides what happens when a run is already going: `single` drops the new one, `restart`
stops the old one, `queued` lines it up, `parallel` runs both; `max` bounds the last two.
A dropped run is logged once per busy spell (not once per trigger) and kept in the traces.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE
from hub.core.const import STATE_OFF, STATE_ON
from hub.core.context import Context
from hub.core.states import State
from hub.entity import Entity
from hub.template import TemplateError, compile_complex, render_complex
from hub.validation import slugify

from .actions import ConditionFailed, Run, Script, ScriptError, StopRun
from .conditions import Condition, build_conditions
from .const import (
    CONF_ALIAS,
    CONF_ID,
    DOMAIN,
    EVENT_AUTOMATION_TRIGGERED,
    MODE_PARALLEL,
    MODE_QUEUED,
    MODE_RESTART,
    MODE_SINGLE,
)
from .trace import Trace, TraceStore
from .triggers import TriggerInfo, async_attach_triggers

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["AutomationEntity"]

_LOGGER = logging.getLogger(__name__)


class _ActiveRun:
    __slots__ = ("task", "trace")

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.task: asyncio.Task[Any] | None = None


class AutomationEntity(Entity):
    """An automation from config; its state says whether its triggers are attached."""

    domain = DOMAIN

    def __init__(self, hub: Hub, config: dict[str, Any], index: int, traces: TraceStore) -> None:
        super().__init__()
        self.hub = hub
        self.config = config
        self.automation_id: str = config.get(CONF_ID) or slugify(
            config.get(CONF_ALIAS) or f"automation_{index}"
        )
        self._attr_unique_id = self.automation_id
        self._attr_name = config.get(CONF_ALIAS) or self.automation_id
        self._attr_should_restore = True
        self.mode: str = config["mode"]
        self.max_runs: int = config["max"]
        self._traces = traces
        self._variables = compile_complex(config.get("variables") or {}, hub)
        self._condition: Condition | None = (
            build_conditions(hub, config["conditions"], self.display_name)
            if config.get("conditions")
            else None
        )
        self._script = Script(hub, config["actions"], self.display_name)
        self._detach: CALLBACK_TYPE | None = None
        self._runs: list[_ActiveRun] = []
        self._queue: deque[tuple[Trace, dict[str, Any]]] = deque()
        self._dropping = False
        self._last_triggered: str | None = None
        self.enabled = bool(config.get("initial_state", True))
        self.keep_enabled: bool | None = None  # set by a reload: the state before it

    @property
    def display_name(self) -> str:
        return f"Automation {self._attr_name}"

    # -- entity ---------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return STATE_ON if self.enabled else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "id": self.automation_id,
            "last_triggered": self._last_triggered,
            "mode": self.mode,
            "current": len(self._runs),
        }

    async def async_restore(self, last: State) -> None:
        """Come back on or off as before a restart, unless the config sets `initial_state`."""
        if "initial_state" not in self.config:
            self.enabled = last.state == STATE_ON
        last_triggered = last.attributes.get("last_triggered")
        self._last_triggered = last_triggered if isinstance(last_triggered, str) else None

    async def async_added_to_hub(self) -> None:
        if self.keep_enabled is not None and "initial_state" not in self.config:
            self.enabled = self.keep_enabled
        if self.enabled:
            await self._async_attach()

    async def _async_attach(self) -> None:
        info = TriggerInfo(self.display_name, {})
        self._detach = await async_attach_triggers(
            self.hub, self.config["triggers"], self._on_trigger, info
        )

    async def async_turn_on(self) -> None:
        if self.enabled:
            return
        self.enabled = True
        await self._async_attach()
        self.async_write_state()

    async def async_turn_off(self, stop_actions: bool = True) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None
        if stop_actions:
            self.async_stop_runs()
        if self.enabled:
            self.enabled = False
            self.async_write_state()

    async def async_remove(self) -> None:
        await self.async_turn_off(stop_actions=True)
        await super().async_remove()

    def async_stop_runs(self) -> list[asyncio.Task[Any]]:
        """Cancel the running and queued runs; returns the tasks being cancelled."""
        while self._queue:
            trace, _scope = self._queue.popleft()
            self._end(trace, "cancelled")
        cancelled = []
        for run in list(self._runs):
            if run.task is not None and not run.task.done():
                run.task.cancel()
                cancelled.append(run.task)
        return cancelled

    # -- running --------------------------------------------------------------------------

    def _on_trigger(self, trigger: dict[str, Any], context: Context | None) -> None:
        self.async_trigger(trigger, context)

    def async_trigger(
        self,
        trigger: dict[str, Any] | None,
        trigger_context: Context | None,
        *,
        skip_condition: bool = False,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Start a run for `trigger` (None when started by hand), as the mode allows."""
        context = Context(
            parent_id=trigger_context.id if trigger_context is not None else None,
            user_id=trigger_context.user_id if trigger_context is not None else None,
        )
        trace = Trace(
            self.automation_id,
            self.entity_id,
            context,
            trigger,
            trigger_context,
            self.hub.scheduler.timestamp,
        )
        self._traces.add(trace)
        scope: dict[str, Any] = {"trigger": trigger or {"platform": None, "id": None}}
        if variables:
            scope.update(variables)
        try:
            if self._variables:
                scope.update(render_complex(self._variables, self.hub, scope))
        except TemplateError as err:
            self._fail(trace, f"variables: {err}")
            return
        if trigger is not None and "variables" in trigger:
            scope.update(trigger["variables"])
        if (
            not skip_condition
            and self._condition is not None
            and not self._condition.check(scope, trace, "condition")
        ):
            self._end(trace, "condition_failed")
            return
        busy = len(self._runs)
        if busy and self.mode == MODE_SINGLE:
            self._drop(trace, "already running")
            return
        if self.mode == MODE_PARALLEL and busy >= self.max_runs:
            self._drop(trace, f"{busy} runs already going (max {self.max_runs})")
            return
        if self.mode == MODE_QUEUED and busy:
            if busy + len(self._queue) >= self.max_runs:
                self._drop(trace, f"queue full (max {self.max_runs})")
                return
            trace.execution = "queued"
            self._queue.append((trace, scope))
            return
        if self.mode == MODE_RESTART and busy:
            self.async_stop_runs()
        self._start(trace, scope)

    def _start(self, trace: Trace, scope: dict[str, Any]) -> None:
        trace.execution = "running"
        hub = self.hub
        hub.bus.async_fire(
            EVENT_AUTOMATION_TRIGGERED,
            {
                "name": self._attr_name,
                "entity_id": self.entity_id,
                "source": (scope["trigger"] or {}).get("description"),
            },
            context=trace.context,
        )
        active = _ActiveRun(trace)
        self._runs.append(active)
        run = Run(hub, self.display_name, trace.context, trace, scope)
        active.task = hub.async_run_coroutine(self._run(run, active), self.display_name)
        self._last_triggered = hub.scheduler.utcnow().isoformat()
        if self.entity_id:
            self.async_write_state()

    async def _run(self, run: Run, active: _ActiveRun) -> None:
        trace = active.trace
        try:
            await self._script.async_run(run)
        except StopRun as stop:
            trace.stopped = str(stop)
            trace.end("finished")
        except ConditionFailed:
            trace.end("condition_failed")
        except ScriptError as err:
            _LOGGER.error("%s failed: %s", self.display_name, err)
            trace.end("failed", str(err))
        except asyncio.CancelledError:
            trace.end("cancelled")
            raise
        except Exception as err:
            _LOGGER.exception("%s: unexpected error", self.display_name)
            trace.end("error", f"{type(err).__name__}: {err}")
        else:
            trace.end("finished")
        finally:
            self._run_done(active)

    def _run_done(self, active: _ActiveRun) -> None:
        if active in self._runs:
            self._runs.remove(active)
        if active.trace.finish is None:
            active.trace.end("cancelled")
        self._traces.finished()
        if self._queue and self.mode == MODE_QUEUED and not self._runs:
            trace, scope = self._queue.popleft()
            self._start(trace, scope)
            return
        if not self._runs:
            self._dropping = False
        if self.entity_id and self.hub.states.get(self.entity_id) is not None:
            self.async_write_state()

    def _drop(self, trace: Trace, why: str) -> None:
        if not self._dropping:
            self._dropping = True
            _LOGGER.warning(
                "%s (mode %s): %s; dropping this run and any more until it finishes",
                self.display_name,
                self.mode,
                why,
            )
        self._end(trace, "dropped", why)

    def _fail(self, trace: Trace, message: str) -> None:
        _LOGGER.error("%s failed: %s", self.display_name, message)
        self._end(trace, "failed", message)

    def _end(self, trace: Trace, execution: str, error: str | None = None) -> None:
        trace.end(execution, error)
        self._traces.finished()
