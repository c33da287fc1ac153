"""What every MQTT-backed entity shares: availability, value templates, bad-input reports."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.json import JSONDecodeError, json_loads
from hub.template import Template, TemplateError

from .bad_input import BadInput
from .config import publish_topic
from .models import ReceiveMessage
from .subscriptions import valid_filter

if TYPE_CHECKING:
    from hub.core.hub import Hub
    from hub.entity import Entity

__all__ = [
    "AVAILABILITY_SCHEMA",
    "MqttAvailability",
    "ValueRenderer",
    "publish_topic",
    "qos",
    "subscribe_topic",
]

CONF_AVAILABILITY_TOPIC = "availability_topic"
CONF_PAYLOAD_AVAILABLE = "payload_available"
CONF_PAYLOAD_NOT_AVAILABLE = "payload_not_available"
CONF_VALUE_TEMPLATE = "value_template"


def subscribe_topic(value: Any) -> str:
    """A topic filter to subscribe to: + and # only as whole levels."""
    text = cv.string(value)
    if not valid_filter(text):
        raise vol.Invalid(f"invalid topic filter {text!r} (+ and # stand alone, # last)")
    return text


def qos(value: Any) -> int:
    if value in (0, 1, 2, "0", "1", "2"):
        return int(value)
    raise vol.Invalid(f"expected QoS 0, 1 or 2, got {cv.describe_value(value)}")


AVAILABILITY_SCHEMA: dict[Any, Any] = {
    vol.Optional(CONF_AVAILABILITY_TOPIC): subscribe_topic,
    vol.Optional(CONF_PAYLOAD_AVAILABLE, default="online"): cv.string,
    vol.Optional(CONF_PAYLOAD_NOT_AVAILABLE, default="offline"): cv.string,
}


class ValueRenderer:
    """Turns a payload into a value: as is, or through `value_template` with `value` and
    `value_json` (Home Assistant's variables). Failures become bad-input reports."""

    def __init__(self, hub: Hub, template: str | None, bad_input: BadInput) -> None:
        self._template = Template(template, hub) if template else None
        # Jinja looks a variable up by its name, so a template that never names value_json
        # cannot use it: those messages skip the JSON parse.
        self._wants_json = template is not None and "value_json" in template
        self._bad_input = bad_input

    def render(self, message: ReceiveMessage) -> str | None:
        if self._template is None:
            return message.payload
        variables: dict[str, Any] = {"value": message.payload}
        if self._wants_json:
            with contextlib.suppress(JSONDecodeError):
                variables["value_json"] = json_loads(message.payload)
        try:
            return str(self._template.async_render(variables, parse_result=False)).strip()
        except TemplateError as err:
            self._bad_input.report(message.topic, "value_template failed", str(err))
            return None


class MqttAvailability:
    """Follows an availability topic: `online` makes the entity available, `offline` not."""

    def __init__(self, config: Mapping[str, Any], bad_input: BadInput) -> None:
        self.topic: str | None = config.get(CONF_AVAILABILITY_TOPIC)
        self._online = config.get(CONF_PAYLOAD_AVAILABLE, "online")
        self._offline = config.get(CONF_PAYLOAD_NOT_AVAILABLE, "offline")
        self._bad_input = bad_input

    @property
    def initially_available(self) -> bool:
        """With an availability topic, unavailable until the device says it is online."""
        return self.topic is None

    def update(self, entity: Entity, message: ReceiveMessage) -> bool:
        """Apply the message to `entity._attr_available`; True when it changed."""
        payload = message.payload.strip()
        if payload == self._online:
            available = True
        elif payload == self._offline:
            available = False
        else:
            self._bad_input.report(
                message.topic,
                "unknown availability payload",
                f"{payload[:40]!r} (expected {self._online!r} or {self._offline!r})",
            )
            return False
        changed = entity._attr_available != available
        entity._attr_available = available
        return changed
