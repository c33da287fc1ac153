"""Traces: what each automation run did, kept for the panel and across restarts.

A trace holds what triggered the run, each condition's result, each step with its start,
duration, result or error, and the context chain (the run's context and the one that
caused it). The last `STORED_TRACES` per automation are kept in memory and written to
`<data dir>/automation_traces.json` (atomically, a second after a run ends, and at stop),
so they survive a restart. Served at `GET /api/automations/{id}/traces`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.core.files import read_json_object, write_atomically
from hub.core.json import json_bytes, json_loads

from .const import STORED_TRACES, TRACES_FILE, TRACES_SAVE_DELAY

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["Trace", "TraceStore"]

_LOGGER = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    """States, events, datetimes... as plain JSON values, so a stored trace is just data."""
    return json_loads(json_bytes(value))


class Trace:
    """One run of one automation."""

    def __init__(
        self,
        automation_id: str,
        entity_id: str,
        context: Context,
        trigger: dict[str, Any] | None,
        trigger_context: Context | None,
        clock: Callable[[], float],
    ) -> None:
        self._clock = clock
        self.automation_id = automation_id
        self.entity_id = entity_id
        self.run_id = context.id
        self.context = context
        self.trigger_context = trigger_context
        self.trigger = trigger
        self.start = clock()
        self.finish: float | None = None
        self.execution = "running"
        self.error: str | None = None
        self.stopped: str | None = None  # the reason a `stop:` (or a timed-out wait) gave
        self.conditions: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self._cached: dict[str, Any] | None = None

    def condition(self, path: str, result: bool, error: str | None = None) -> None:
        entry: dict[str, Any] = {"path": path, "result": result}
        if error is not None:
            entry["error"] = error
        self.conditions.append(entry)

    def step_start(self, path: str, kind: str, alias: str | None) -> dict[str, Any]:
        step: dict[str, Any] = {"path": path, "action": kind, "start": self._clock()}
        if alias:
            step["alias"] = alias
        self.steps.append(step)
        return step

    def step_end(self, step: dict[str, Any], result: Any = None, error: str | None = None) -> None:
        step["duration"] = round(self._clock() - step["start"], 6)
        if result is not None:
            step["result"] = result
        if error is not None:
            step["error"] = error

    def end(self, execution: str, error: str | None = None) -> None:
        self.finish = self._clock()
        self.execution = execution
        self.error = error

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape; a finished trace is converted once, then reused."""
        if self._cached is not None:
            return self._cached
        data = {
            "run_id": self.run_id,
            "automation_id": self.automation_id,
            "entity_id": self.entity_id,
            "start": self.start,
            "finish": self.finish,
            "execution": self.execution,
            "error": self.error,
            "stopped": self.stopped,
            "trigger": self.trigger,
            "context": self.context.as_dict(),
            "trigger_context": self.trigger_context.as_dict() if self.trigger_context else None,
            "conditions": self.conditions,
            "steps": self.steps,
        }
        result: dict[str, Any] = _jsonable(data)
        if self.finish is not None:
            self._cached = result
        return result


class TraceStore:
    """The last runs of every automation, by automation id; saved in the data directory."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._path = hub.data_dir / TRACES_FILE
        self._traces: dict[str, deque[Trace | dict[str, Any]]] = {}
        self._cancel_save: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Read the traces saved by the last run; a damaged file is logged and ignored."""
        try:
            data = await self._hub.async_add_executor_job(read_json_object, self._path)
        except (OSError, ValueError) as err:
            _LOGGER.warning("Ignoring unreadable %s: %s", self._path, err)
            data = {}
        for automation_id, traces in data.get("traces", {}).items():
            if isinstance(traces, list):
                self._queue(automation_id).extend(t for t in traces if isinstance(t, dict))
        self._hub.async_on_close(self.async_save)

    def _queue(self, automation_id: str) -> deque[Trace | dict[str, Any]]:
        queue = self._traces.get(automation_id)
        if queue is None:
            queue = self._traces[automation_id] = deque(maxlen=STORED_TRACES)
        return queue

    def add(self, trace: Trace) -> None:
        self._queue(trace.automation_id).append(trace)

    def finished(self) -> None:
        """A run ended: save soon (one write for a burst of runs)."""
        if self._cancel_save is None:
            self._cancel_save = self._hub.scheduler.async_call_later(
                TRACES_SAVE_DELAY, lambda _now: self.async_save()
            )

    def get(self, automation_id: str) -> list[dict[str, Any]]:
        """The stored runs, newest first."""
        queue = self._traces.get(automation_id, ())
        return [item.as_dict() if isinstance(item, Trace) else item for item in reversed(queue)]

    def __contains__(self, automation_id: object) -> bool:
        return automation_id in self._traces

    async def async_save(self) -> None:
        if self._cancel_save is not None:
            self._cancel_save()
            self._cancel_save = None
        data = {
            "version": 1,
            "traces": {
                automation_id: [
                    item.as_dict() if isinstance(item, Trace) else item for item in queue
                ]
                for automation_id, queue in self._traces.items()
            },
        }
        await self._hub.async_add_executor_job(write_atomically, self._path, json_bytes(data))
