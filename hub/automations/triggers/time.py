"""`time` and `time_pattern` triggers, on the hub's one clock (so tests can move it).

Times are local to the hub's time zone. `at:` takes `HH:MM[:SS]` or an entity whose state
is such a time (daily) or an ISO date and time (once); the trigger follows the entity when
it changes. `time_pattern` matches hours/minutes/seconds given as a number, `*` or `/N`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event

from ..const import WEEKDAYS
from . import time_match
from .base import TRIGGER_BASE, TriggerAction, TriggerInfo, TriggerType

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["TRIGGERS", "next_daily", "next_pattern"]


def next_daily(now: datetime, at: time) -> datetime:
    """The next moment after `now` (aware, local) whose wall clock reads `at`.

    Home Assistant's rules across DST (`time_match`): a time the clocks skip does not
    fire that day; a time in the repeated hour fires twice.
    """
    return time_match.after(now, [at.second], [at.minute], [at.hour])


# -- time ------------------------------------------------------------------------------------


def _at(value: Any) -> time | str:
    if isinstance(value, str) and "." in value and ":" not in value:
        return cv.entity_id(value)
    return cv.time_of_day(value)


def _weekdays(value: Any) -> list[int]:
    days = [cv.string(day).lower() for day in cv.ensure_list(value)]
    for day in days:
        if day not in WEEKDAYS:
            raise vol.Invalid(f"unknown weekday {day!r} (expected {', '.join(WEEKDAYS)})")
    return [WEEKDAYS.index(day) for day in days]


TIME_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Required("at"): vol.All(cv.ensure_list, [_at]),
        vol.Optional("weekday"): _weekdays,
    },
    extra=vol.PREVENT_EXTRA,
)


def _entity_moment(hub: Hub, value: str) -> time | datetime | None:
    """What an `at:` entity's state says: a daily time, one moment, or nothing usable."""
    text = value.strip()
    try:
        return cv.time_of_day(text)
    except vol.Invalid:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=hub.time_zone)


async def _attach_time(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    weekdays: list[int] | None = config.get("weekday")
    cancels: dict[int, CALLBACK_TYPE] = {}
    removes: list[CALLBACK_TYPE] = []

    def local_now() -> datetime:
        return hub.scheduler.utcnow().astimezone(hub.time_zone)

    def arm(index: int, at: time | datetime | None, entity_id: str | None) -> None:
        if (cancel := cancels.pop(index, None)) is not None:
            cancel()
        if at is None:
            return
        now = local_now()
        if isinstance(at, datetime):
            if at <= now:
                return
            due, daily = at, None
        else:
            due, daily = next_daily(now, at), at

        def fire(_now: datetime) -> None:
            cancels.pop(index, None)
            if daily is not None:
                arm(index, daily, entity_id)
            moment = due.astimezone(hub.time_zone)
            if weekdays is not None and moment.weekday() not in weekdays:
                return
            data = {"now": moment, "entity_id": entity_id, "description": f"time {moment:%H:%M:%S}"}
            action(data, None)

        cancels[index] = hub.scheduler.async_call_at(due, fire)

    for index, at in enumerate(config["at"]):
        if isinstance(at, time):
            arm(index, at, None)
            continue
        entity_id = at

        def follow(event: Event, index: int = index, entity_id: str = entity_id) -> None:
            new = event.data["new_state"]
            arm(index, _entity_moment(hub, new.state) if new else None, entity_id)

        current = hub.states.get(entity_id)
        arm(index, _entity_moment(hub, current.state) if current else None, entity_id)
        removes.append(hub.states.async_track(entity_id, follow))

    def remove() -> None:
        for undo in removes:
            undo()
        for cancel in cancels.values():
            cancel()
        cancels.clear()

    return remove


# -- time_pattern ----------------------------------------------------------------------------

_PATTERN_RE = re.compile(r"^(\*|/\d+|\d+)$")


def _pattern(limit: int) -> Callable[[Any], str]:
    def validate(value: Any) -> str:
        text = cv.string(value).strip()
        if not _PATTERN_RE.match(text):
            raise vol.Invalid(f"expected a number, '*' or '/N', got {text!r}")
        if text.startswith("/"):
            if not 0 < int(text[1:]) <= limit:
                raise vol.Invalid(f"'/N' needs N from 1 to {limit}, got {text!r}")
        elif text != "*" and not 0 <= int(text) < limit:
            raise vol.Invalid(f"expected 0 to {limit - 1}, got {text}")
        return text

    return validate


def _pattern_defaults(value: dict[str, Any]) -> dict[str, Any]:
    """Like HA: naming hours means minute 0, naming minutes means second 0."""
    if not {"hours", "minutes", "seconds"} & set(value):
        raise vol.Invalid("needs hours:, minutes: or seconds:")
    result = dict(value)
    if "minutes" not in result and "hours" in result:
        result["minutes"] = "0"
    if "seconds" not in result and "minutes" in result:
        result["seconds"] = "0"
    for key in ("hours", "minutes", "seconds"):
        result.setdefault(key, "*")
    return result


TIME_PATTERN_SCHEMA = vol.All(
    vol.Schema(
        {
            **TRIGGER_BASE,
            vol.Optional("hours"): _pattern(24),
            vol.Optional("minutes"): _pattern(60),
            vol.Optional("seconds"): _pattern(60),
        },
        extra=vol.PREVENT_EXTRA,
    ),
    _pattern_defaults,
)


def next_pattern(now: datetime, hours: str, minutes: str, seconds: str) -> datetime:
    """The first whole second after `now` matching the pattern (HA's DST rules)."""
    return time_match.after(
        now,
        time_match.pattern_values(seconds, 60),
        time_match.pattern_values(minutes, 60),
        time_match.pattern_values(hours, 24),
    )


async def _attach_time_pattern(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    hours, minutes, seconds = config["hours"], config["minutes"], config["seconds"]
    cancel: CALLBACK_TYPE | None = None

    def arm() -> None:
        nonlocal cancel
        now = hub.scheduler.utcnow().astimezone(hub.time_zone)
        due = next_pattern(now, hours, minutes, seconds)

        def fire(_now: datetime) -> None:
            arm()
            action({"now": due, "description": "time pattern"}, None)

        cancel = hub.scheduler.async_call_at(due, fire)

    arm()

    def remove() -> None:
        if cancel is not None:
            cancel()

    return remove


TRIGGERS = {
    "time": TriggerType(TIME_SCHEMA, _attach_time),
    "time_pattern": TriggerType(TIME_PATTERN_SCHEMA, _attach_time_pattern),
}
