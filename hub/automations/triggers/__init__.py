"""Trigger types, keyed by the name an automation gives in `trigger:`.

Each type is a schema and an `attach(hub, config, action, info)` coroutine returning the
unsubscribe. `async_attach_triggers` attaches an automation's list and adds what every
trigger carries: its `id` (given or its position), its type, and its own `variables`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.template import TemplateError, render_complex

from . import event, mqtt, state, template, time
from .base import TriggerAction, TriggerInfo, TriggerType, truthy

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "TRIGGER_TYPES",
    "TriggerAction",
    "TriggerInfo",
    "TriggerType",
    "async_attach_triggers",
    "truthy",
]

_LOGGER = logging.getLogger(__name__)

TRIGGER_TYPES: dict[str, TriggerType] = {
    **state.TRIGGERS,
    **event.TRIGGERS,
    **template.TRIGGERS,
    **time.TRIGGERS,
    **mqtt.TRIGGERS,
}


async def async_attach_triggers(
    hub: Hub, configs: list[dict[str, Any]], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    """Attach every enabled trigger; returns one callable that detaches them all."""
    removes: list[CALLBACK_TYPE] = []
    for index, config in enumerate(configs):
        if not config.get("enabled", True):
            continue
        kind = config["trigger"]
        base = {
            "trigger": kind,
            "platform": kind,
            "id": config.get("id", str(index)),
            "idx": str(index),
            "alias": config.get("alias"),
        }
        wrapped = _wrap(hub, base, config.get("variables"), action, info)
        removes.append(await TRIGGER_TYPES[kind].attach(hub, config, wrapped, info))

    def remove_all() -> None:
        while removes:
            removes.pop()()

    return remove_all


def _wrap(
    hub: Hub,
    base: dict[str, Any],
    variables: Mapping[str, Any] | None,
    action: TriggerAction,
    info: TriggerInfo,
) -> TriggerAction:
    def fire(data: dict[str, Any], context: Context | None) -> None:
        trigger_data = {**base, **data}
        if variables:
            scope = {**info.variables, "trigger": trigger_data}
            try:
                trigger_data["variables"] = render_complex(variables, hub, scope)
            except TemplateError as err:
                _LOGGER.warning("%s: trigger %s variables: %s", info.name, base["id"], err)
                return
        action(trigger_data, context)

    return fire
