"""`timer`: a countdown automations start and wait for (a grace period before a fine).

States `idle`, `active`, `paused`; attributes `duration`, `remaining` and, while active,
`finishes_at`. Services: start (optionally with a duration), pause, cancel, finish,
change (add or remove time). Events `timer.started`, `timer.restarted`, `timer.paused`,
`timer.cancelled`, `timer.finished` carry the entity id, so an automation can trigger on
them. Runs on the hub's clock; an active timer comes back after a restart and finishes
at the same moment (at once, if that moment passed while the hub was down).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.core.states import State
from hub.entity_services import async_register_entity_service
from hub.helper_entity import (
    HelperEntity,
    async_setup_helpers,
    helper_fields,
    helpers_schema,
    restore_field,
)

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "Timer", "async_setup"]

DOMAIN: Final = "timer"
STATE_IDLE: Final = "idle"
STATE_ACTIVE: Final = "active"
STATE_PAUSED: Final = "paused"
EVENT_STARTED: Final = "timer.started"
EVENT_RESTARTED: Final = "timer.restarted"
EVENT_PAUSED: Final = "timer.paused"
EVENT_CANCELLED: Final = "timer.cancelled"
EVENT_FINISHED: Final = "timer.finished"

CONFIG_SCHEMA = helpers_schema(
    {
        **helper_fields(),
        vol.Optional("duration", default=timedelta(0)): cv.time_period,
        **restore_field("Resume after a restart"),
    }
)


def _clock_text(delta: timedelta) -> str:
    """`0:05:00`, the way Home Assistant shows durations."""
    seconds = max(0, round(delta.total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Timer(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.status = STATE_IDLE
        self.duration: timedelta = config["duration"]
        self.remaining: timedelta = self.duration
        self.finishes_at: datetime | None = None
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._cause: Context | None = None  # the service call behind the next event

    @property
    def state(self) -> str:
        return self.status

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attributes: dict[str, Any] = {
            "duration": _clock_text(self.duration),
            "remaining": _clock_text(self.remaining),
        }
        if self.finishes_at is not None:
            attributes["finishes_at"] = self.finishes_at.isoformat()
        return attributes

    async def async_restore(self, last: State) -> None:
        status = last.state
        if status not in (STATE_IDLE, STATE_ACTIVE, STATE_PAUSED):
            return
        remaining = _parse(last.attributes.get("remaining"))
        duration = _parse(last.attributes.get("duration"))
        if duration is not None:
            self.duration = duration
        if status == STATE_PAUSED and remaining is not None:
            self.status, self.remaining = STATE_PAUSED, remaining
        elif status == STATE_ACTIVE:
            finishes = last.attributes.get("finishes_at")
            try:
                self.finishes_at = datetime.fromisoformat(str(finishes))
            except ValueError:
                return
            self.status = STATE_ACTIVE

    async def async_added_to_hub(self) -> None:
        self.async_on_remove(self._cancel)
        if self.status == STATE_ACTIVE and self.finishes_at is not None:
            self._arm(self.finishes_at)

    def _now(self) -> datetime:
        return self.hub.scheduler.utcnow()

    def _cancel(self) -> None:
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    def _arm(self, at: datetime) -> None:
        self._cancel()
        self.finishes_at = at
        self.remaining = max(at - self._now(), timedelta(0))
        self._cancel_timer = self.hub.scheduler.async_call_at(at, lambda _now: self._done())

    def async_set_context(self, context: Context) -> None:
        super().async_set_context(context)
        self._cause = context

    def _fire(self, event_type: str) -> None:
        cause, self._cause = self._cause, None
        self.hub.bus.async_fire(event_type, {"entity_id": self.entity_id}, context=cause)

    def _done(self) -> None:
        self._cancel_timer = None
        self._become_idle(EVENT_FINISHED)

    def _become_idle(self, event_type: str) -> None:
        self._cancel()
        self.status = STATE_IDLE
        self.finishes_at = None
        self.remaining = self.duration
        self.async_write_state()
        self._fire(event_type)

    def async_start(self, call: ServiceCall) -> None:
        restarted = self.status == STATE_ACTIVE
        if (duration := call.data.get("duration")) is not None:
            self.duration = duration
            self.remaining = duration
        elif self.status != STATE_PAUSED:
            self.remaining = self.duration
        if self.remaining <= timedelta(0):
            raise ServiceValidationError(f"{self.entity_id}: start needs a duration above zero")
        self.status = STATE_ACTIVE
        self._arm(self._now() + self.remaining)
        self.async_write_state()
        self._fire(EVENT_RESTARTED if restarted else EVENT_STARTED)

    def async_pause(self, _call: ServiceCall) -> None:
        if self.status != STATE_ACTIVE or self.finishes_at is None:
            return
        self.remaining = max(self.finishes_at - self._now(), timedelta(0))
        self._cancel()
        self.finishes_at = None
        self.status = STATE_PAUSED
        self.async_write_state()
        self._fire(EVENT_PAUSED)

    def async_cancel(self, _call: ServiceCall) -> None:
        if self.status != STATE_IDLE:
            self._become_idle(EVENT_CANCELLED)

    def async_finish(self, _call: ServiceCall) -> None:
        if self.status != STATE_IDLE:
            self._become_idle(EVENT_FINISHED)

    def async_change(self, call: ServiceCall) -> None:
        if self.status != STATE_ACTIVE or self.finishes_at is None:
            raise ServiceValidationError(f"{self.entity_id}: change needs an active timer")
        at = self.finishes_at + call.data["duration"]
        if at <= self._now():
            raise ServiceValidationError(f"{self.entity_id}: that would end it in the past")
        self._arm(at)
        self.async_write_state()


def _parse(value: Any) -> timedelta | None:
    try:
        return cv.time_period(value) if value is not None else None
    except vol.Invalid:
        return None


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, Timer)
    register = async_register_entity_service
    register(
        hub,
        DOMAIN,
        "start",
        entities,
        Timer.async_start,
        {vol.Optional("duration"): cv.positive_time_period},
    )
    register(hub, DOMAIN, "pause", entities, Timer.async_pause)
    register(hub, DOMAIN, "cancel", entities, Timer.async_cancel)
    register(hub, DOMAIN, "finish", entities, Timer.async_finish)
    register(
        hub,
        DOMAIN,
        "change",
        entities,
        Timer.async_change,
        {vol.Required("duration"): cv.time_period},
    )
