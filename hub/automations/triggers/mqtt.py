"""`mqtt` trigger: a message on a topic (wildcards allowed), optionally a given payload.

It subscribes through the MQTT integration's `async_subscribe(hub, topic, callback, qos)`
(imported when a trigger attaches, so automations without one never load MQTT), so it is
active only when `mqtt:` is configured; without it the automation still loads and says
once, in the log, that this trigger is idle. With `value_template` the payload
is rendered first (`value`, and `value_json` when it is JSON) and compared to `payload`.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.template import Template, TemplateError

from .base import TRIGGER_BASE, TriggerAction, TriggerInfo, TriggerType

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["TRIGGERS", "valid_subscribe_topic"]

_LOGGER = logging.getLogger(__name__)

MQTT_DOMAIN: Final = "mqtt"


def valid_subscribe_topic(value: Any) -> str:
    """A topic filter: `+` and `#` only as whole levels, `#` only last."""
    topic = cv.string(value)
    if not topic or len(topic.encode()) > 65535 or "\0" in topic:
        raise vol.Invalid(f"invalid MQTT topic {topic!r}")
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise vol.Invalid(f"invalid MQTT topic {topic!r}: '#' must be a whole, last level")
        if "+" in level and level != "+":
            raise vol.Invalid(f"invalid MQTT topic {topic!r}: '+' must be a whole level")
    return topic


MQTT_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Required("topic"): valid_subscribe_topic,
        vol.Optional("payload"): cv.string,
        vol.Optional("value_template"): cv.template,
        vol.Optional("qos", default=0): vol.All(vol.Coerce(int), vol.In([0, 1, 2])),
    },
    extra=vol.PREVENT_EXTRA,
)


async def _attach_mqtt(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    topic: str = config["topic"]
    if MQTT_DOMAIN not in hub.data:
        _LOGGER.warning("%s: mqtt trigger on %s is idle: MQTT is not configured", info.name, topic)
        return lambda: None
    from hub.integrations.mqtt import ReceiveMessage, async_subscribe

    wanted: str | None = config.get("payload")
    template = Template(config["value_template"], hub) if "value_template" in config else None

    def parse(payload: str) -> Any:
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def on_message(message: ReceiveMessage) -> None:
        payload = message.payload
        if template is None and wanted is not None and payload != wanted:
            return  # the common filter: no JSON parse for messages nobody wants
        payload_json = parse(payload)
        value: Any = payload
        if template is not None:
            variables = {**info.variables, "value": payload, "value_json": payload_json}
            try:
                value = template.async_render(variables, parse_result=False)
            except TemplateError as err:
                info.log_error("value_template", f"mqtt trigger value_template: {err}")
                return
            info.recovered("value_template")
        if wanted is not None and str(value) != wanted:
            return
        data = {
            "topic": message.topic,
            "payload": payload,
            "payload_json": payload_json,
            "qos": message.qos,
            "retain": message.retain,
            "description": f"mqtt topic {message.topic}",
        }
        action(data, None)

    return await async_subscribe(hub, topic, on_message, config["qos"])


TRIGGERS = {"mqtt": TriggerType(MQTT_SCHEMA, _attach_mqtt)}
