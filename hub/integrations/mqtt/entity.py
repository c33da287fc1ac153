"""What every MQTT-backed entity shares: availability, value templates, bad-input reports."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
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

    from .runtime import MqttRuntime

__all__ = [
    "ADOPTED",
    "AVAILABILITY_SCHEMA",
    "MqttAvailability",
    "ValueRenderer",
    "async_mark_adopted",
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


# Set on a config by discovery in: the entity stands for a device that announced itself.
ADOPTED = "_adopted"
CONF_AVAILABILITY = "availability"
CONF_AVAILABILITY_MODE = "availability_mode"
CONF_AVAILABILITY_TEMPLATE = "availability_template"
CONF_TOPIC = "topic"
MODE_ALL, MODE_ANY, MODE_LATEST = "all", "any", "latest"

_AVAILABILITY_ENTRY = vol.Schema(
    {
        vol.Required(CONF_TOPIC): subscribe_topic,
        vol.Optional(CONF_PAYLOAD_AVAILABLE, default="online"): cv.string,
        vol.Optional(CONF_PAYLOAD_NOT_AVAILABLE, default="offline"): cv.string,
        # Zigbee2MQTT 2.x: `{"state": "online"}` with `{{ value_json.state }}`.
        vol.Optional(CONF_VALUE_TEMPLATE): cv.string,
    },
    extra=vol.REMOVE_EXTRA,
)

AVAILABILITY_SCHEMA: dict[Any, Any] = {
    # One topic (Home Assistant's short form)...
    vol.Optional(CONF_AVAILABILITY_TOPIC): subscribe_topic,
    vol.Optional(CONF_PAYLOAD_AVAILABLE, default="online"): cv.string,
    vol.Optional(CONF_PAYLOAD_NOT_AVAILABLE, default="offline"): cv.string,
    vol.Optional(CONF_AVAILABILITY_TEMPLATE): cv.string,
    # ...or several, each with its own payloads and template, combined by the mode:
    # `all` online, `any` online, or whichever spoke `latest` (Home Assistant's default).
    vol.Optional(CONF_AVAILABILITY): vol.All(cv.ensure_list, [_AVAILABILITY_ENTRY]),
    vol.Optional(CONF_AVAILABILITY_MODE, default=MODE_LATEST): vol.In(
        [MODE_ALL, MODE_ANY, MODE_LATEST]
    ),
}


def async_mark_adopted(entity: Entity, runtime: MqttRuntime, config: Mapping[str, Any]) -> None:
    """Record an entity made from a device's discovery config, for as long as it exists."""
    if not config.get(ADOPTED):
        return
    entity_id = entity.entity_id
    runtime.adopted.add(entity_id)
    entity.async_on_remove(lambda: runtime.adopted.discard(entity_id))


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


@dataclass(slots=True)
class _Source:
    """One availability topic: what it says when online and offline, how to read it."""

    topic: str
    online: str
    offline: str
    template: str | None
    renderer: ValueRenderer | None = None
    online_now: bool = False  # as Home Assistant: not online until it says so


class MqttAvailability:
    """Follows a device's availability topics, as Home Assistant's MQTT entities do.

    Each topic has its own payloads and an optional template (`value`, `value_json`);
    the entity is available when `all` topics, `any` topic, or the `latest` one to speak
    says online. With no topic the entity is always available.
    """

    def __init__(self, config: Mapping[str, Any], bad_input: BadInput) -> None:
        self._sources: dict[str, _Source] = {}
        for entry in config.get(CONF_AVAILABILITY) or []:
            self._sources[entry[CONF_TOPIC]] = _Source(
                entry[CONF_TOPIC],
                entry.get(CONF_PAYLOAD_AVAILABLE, "online"),
                entry.get(CONF_PAYLOAD_NOT_AVAILABLE, "offline"),
                entry.get(CONF_VALUE_TEMPLATE),
            )
        if (topic := config.get(CONF_AVAILABILITY_TOPIC)) is not None:
            self._sources.setdefault(
                topic,
                _Source(
                    topic,
                    config.get(CONF_PAYLOAD_AVAILABLE, "online"),
                    config.get(CONF_PAYLOAD_NOT_AVAILABLE, "offline"),
                    config.get(CONF_AVAILABILITY_TEMPLATE),
                ),
            )
        self._mode: str = config.get(CONF_AVAILABILITY_MODE, MODE_LATEST)
        self._latest = False
        self._bad_input = bad_input

    @property
    def topics(self) -> list[str]:
        return list(self._sources)

    @property
    def topic(self) -> str | None:
        """The first availability topic (None: always available)."""
        return next(iter(self._sources), None)

    @property
    def initially_available(self) -> bool:
        """With an availability topic, unavailable until the device says it is online."""
        return not self._sources

    def update(self, entity: Entity, message: ReceiveMessage) -> bool:
        """Apply the message to `entity._attr_available`; True when it changed."""
        source = self._sources.get(message.subscribed_topic) or self._sources.get(message.topic)
        if source is None:
            return False
        if source.template is not None and source.renderer is None:
            source.renderer = ValueRenderer(entity.hub, source.template, self._bad_input)
        payload = source.renderer.render(message) if source.renderer else message.payload
        if payload is None:
            return False  # the template failed; reported as bad input
        payload = payload.strip()
        if payload == source.online:
            source.online_now = True
        elif payload == source.offline:
            source.online_now = False
        else:
            self._bad_input.report(
                message.topic,
                "unknown availability payload",
                f"{payload[:40]!r} (expected {source.online!r} or {source.offline!r})",
            )
            return False
        self._latest = source.online_now
        if self._mode == MODE_ALL:
            available = all(s.online_now for s in self._sources.values())
        elif self._mode == MODE_ANY:
            available = any(s.online_now for s in self._sources.values())
        else:
            available = self._latest
        changed = entity._attr_available != available
        entity._attr_available = available
        return changed
