"""`event`, `hub` and `plate` triggers: something fired on the bus.

`plate` is the lot's own: it listens to `plate_detected` (data: plate, confidence, camera,
direction, list, ...) and matches the camera, the list the plate is on, a plate pattern
(`KA01*`, case and spaces ignored), the direction and a minimum confidence.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STARTED, EVENT_HUB_STOP, EVENT_PLATE_DETECTED
from hub.core.hub import CoreState

from .base import TRIGGER_BASE, TriggerAction, TriggerInfo, TriggerType

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["EVENT_PLATE_DETECTED", "TRIGGERS", "normalize_plate"]

# -- event -----------------------------------------------------------------------------------


def _subset(wanted: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Every key of `wanted` is in `data` with an equal value (nested mappings likewise)."""
    for key, value in wanted.items():
        if key not in data:
            return False
        if isinstance(value, Mapping) and isinstance(data[key], Mapping):
            if not _subset(value, data[key]):
                return False
        elif data[key] != value and str(data[key]) != str(value):
            return False
    return True


EVENT_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Required("event_type"): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional("event_data"): dict,
        vol.Optional("context"): {vol.Optional("user_id"): vol.All(cv.ensure_list, [cv.string])},
    },
    extra=vol.PREVENT_EXTRA,
)


async def _attach_event(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    wanted: Mapping[str, Any] = config.get("event_data") or {}
    users: list[str] | None = (config.get("context") or {}).get("user_id")

    def on_event(event: Event) -> None:
        if wanted and not _subset(wanted, event.data):
            return
        if users is not None and event.context.user_id not in users:
            return
        action({"event": event, "description": f"event '{event.event_type}'"}, event.context)

    removes = [hub.bus.async_listen(kind, on_event) for kind in config["event_type"]]

    def remove() -> None:
        for undo in removes:
            undo()

    return remove


# -- hub -------------------------------------------------------------------------------------

HUB_SCHEMA = vol.Schema(
    {**TRIGGER_BASE, vol.Required("event"): vol.In(["start", "shutdown"])},
    extra=vol.PREVENT_EXTRA,
)


async def _attach_hub(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    kind: str = config["event"]
    if kind == "start" and hub.state not in (CoreState.not_running, CoreState.starting):
        return lambda: None  # attached by a reload: the start has passed
    event_type = EVENT_HUB_STARTED if kind == "start" else EVENT_HUB_STOP

    def on_event(event: Event) -> None:
        action({"event": kind, "description": f"hub {kind}"}, event.context)

    return hub.bus.async_listen_once(event_type, on_event)


# -- plate -----------------------------------------------------------------------------------


def normalize_plate(text: Any) -> str:
    """`ka-01 ab 1234` -> `KA01AB1234`: what a plate match compares."""
    return "".join(ch for ch in str(text).upper() if ch.isalnum() or ch in "*?")


def _camera_id(value: Any) -> str:
    text = str(value).strip().lower()
    return text if "." in text else f"camera.{text}"


def _confidence(value: Any) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise vol.Invalid(f"expected a confidence from 0 to 1, got {number}")
    return number


PLATE_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Optional("camera"): vol.All(cv.ensure_list, [vol.All(cv.string, _camera_id)]),
        vol.Optional("list"): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional("plate"): vol.All(cv.ensure_list, [vol.All(cv.string, normalize_plate)]),
        vol.Optional("direction"): vol.All(cv.ensure_list, [vol.In(["entry", "exit", "unknown"])]),
        vol.Optional("min_confidence"): _confidence,
    },
    extra=vol.PREVENT_EXTRA,
)


def _lists_of(event_list: Any) -> set[str]:
    if event_list is None:
        return set()
    if isinstance(event_list, list | tuple | set):
        return {str(item) for item in event_list}
    return {str(event_list)}


async def _attach_plate(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    cameras: list[str] | None = config.get("camera")
    lists: list[str] | None = config.get("list")
    patterns: list[str] | None = config.get("plate")
    directions: list[str] | None = config.get("direction")
    min_confidence: float | None = config.get("min_confidence")

    def on_event(event: Event) -> None:
        data = event.data
        plate = normalize_plate(data.get("plate", ""))
        if not plate:
            return
        if cameras is not None and _camera_id(data.get("camera", "")) not in cameras:
            return
        if lists is not None and not _lists_of(data.get("list")) & set(lists):
            return
        if patterns is not None and not any(fnmatch.fnmatchcase(plate, p) for p in patterns):
            return
        if directions is not None and data.get("direction") not in directions:
            return
        if min_confidence is not None:
            try:
                if float(data.get("confidence", 0)) < min_confidence:
                    return
            except (TypeError, ValueError):
                return
        trigger_data = {
            **{key: value for key, value in data.items() if isinstance(key, str)},
            "plate": plate,
            "event": event,
            "description": f"plate {plate}",
        }
        action(trigger_data, event.context)

    return hub.bus.async_listen(EVENT_PLATE_DETECTED, on_event)


TRIGGERS = {
    "event": TriggerType(EVENT_SCHEMA, _attach_event),
    "hub": TriggerType(HUB_SCHEMA, _attach_hub),
    "plate": TriggerType(PLATE_SCHEMA, _attach_plate),
}
