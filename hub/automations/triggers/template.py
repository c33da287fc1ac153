"""`template` trigger: fires when its template turns true (not while it stays true).

The template is re-rendered only when an entity it read changes (`async_track_template`),
and every minute if it reads the clock. With `for:` it must stay true that long.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.template import Template, TemplateError, async_track_template

from ..schema_helpers import time_period_or_template
from .base import TRIGGER_BASE, TriggerAction, TriggerInfo, TriggerType, truthy
from .state import fire_now_or_after

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["TRIGGERS"]

TEMPLATE_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Required("value_template"): cv.template,
        vol.Optional("for"): time_period_or_template,
    },
    extra=vol.PREVENT_EXTRA,
)


async def _attach_template(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    template = Template(config["value_template"], hub)
    period = config.get("for")
    was_true: bool | None = None  # unknown until the first render: true then does not fire
    cancel_for: list[CALLBACK_TYPE] = []

    def stop_waiting() -> None:
        while cancel_for:
            cancel_for.pop()()

    def on_result(result: Any, event: Event | None) -> None:
        nonlocal was_true
        if isinstance(result, TemplateError):
            info.log_error("value_template", f"template trigger: {result}")
            return
        info.recovered("value_template")
        now_true = truthy(result)
        fire = now_true and was_true is False
        was_true = now_true
        if not now_true:
            stop_waiting()
        if not fire:
            return
        data: dict[str, Any] = {
            "entity_id": event.data["entity_id"] if event else None,
            "from_state": event.data["old_state"] if event else None,
            "to_state": event.data["new_state"] if event else None,
            "value": result,
            "description": "template",
        }
        context = event.context if event else None
        fire_now_or_after(hub, info, "template", period, data, context, action, wait_then)

    def wait_then(wait: timedelta, fire: Callable[[], None]) -> None:
        stop_waiting()

        def done(_now: Any) -> None:
            cancel_for.clear()
            fire()

        cancel_for.append(hub.scheduler.async_call_later(wait, done))

    untrack = async_track_template(hub, template, info.variables, on_result)
    if was_true is None:
        was_true = False  # the first render failed: the first true result fires

    def remove() -> None:
        untrack()
        stop_waiting()

    return remove


TRIGGERS = {"template": TriggerType(TEMPLATE_SCHEMA, _attach_template)}
