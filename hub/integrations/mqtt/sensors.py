"""Bay sensors and other values read from MQTT: `binary_sensor` and `sensor` entities,
declared in YAML under `mqtt:` or announced by the devices themselves (discovery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import voluptuous as vol

from hub import validation as cv
from hub.core.const import MAX_STATE_LENGTH
from hub.core.json import JSONDecodeError, json_loads
from hub.core.limits import MAX_STATE_BODY, describe_depth, too_deep
from hub.entity import Entity

from .entity import (
    AVAILABILITY_SCHEMA,
    MqttAvailability,
    ValueRenderer,
    async_mark_adopted,
    qos,
    subscribe_topic,
)
from .models import ReceiveMessage

if TYPE_CHECKING:
    from .runtime import MqttRuntime

__all__ = ["BINARY_SENSOR_KEYS", "SENSOR_KEYS", "MqttBinarySensor", "MqttEntity", "MqttSensor"]

_COMMON_KEYS: dict[Any, Any] = {
    vol.Required("state_topic"): subscribe_topic,
    vol.Optional("value_template"): cv.template,
    vol.Optional("json_attributes_topic"): subscribe_topic,
    vol.Optional("device_class"): cv.string,
    vol.Optional("icon"): cv.string,
    vol.Optional("qos", default=0): qos,
    **AVAILABILITY_SCHEMA,
}
BINARY_SENSOR_KEYS: dict[Any, Any] = {
    **_COMMON_KEYS,
    vol.Optional("payload_on", default="ON"): cv.string,
    vol.Optional("payload_off", default="OFF"): cv.string,
}
SENSOR_KEYS: dict[Any, Any] = {
    **_COMMON_KEYS,
    vol.Optional("unit_of_measurement"): cv.string,
}


class MqttEntity(Entity):
    """Subscribes to a state topic (and optional availability and JSON attribute topics)."""

    def __init__(
        self,
        runtime: MqttRuntime,
        config: dict[str, Any],
        *,
        unique_id: str | None,
        name: str | None,
        entity_id: str | None = None,
    ) -> None:
        super().__init__()
        self._runtime = runtime
        self._config = config
        self._attr_unique_id = unique_id
        self._attr_name = name
        if entity_id:
            self.entity_id = entity_id
        self._attr_device_class = config.get("device_class")
        self._attr_icon = config.get("icon")
        self._availability = MqttAvailability(config, runtime.bad_input)
        self._attr_available = self._availability.initially_available
        self._renderer: ValueRenderer | None = None
        self._json_attributes: dict[str, Any] = {}

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return self._json_attributes

    async def async_added_to_hub(self) -> None:
        async_mark_adopted(self, self._runtime, self._config)
        self._renderer = ValueRenderer(
            self.hub, self._config.get("value_template"), self._runtime.bad_input
        )
        subscribe, qos_ = self._runtime.async_subscribe, self._config["qos"]
        self.async_on_remove(await subscribe(self._config["state_topic"], self._on_state, qos_))
        for avail_topic in self._availability.topics:
            self.async_on_remove(await subscribe(avail_topic, self._on_availability, qos_))
        if (topic := self._config.get("json_attributes_topic")) is not None:
            self.async_on_remove(await subscribe(topic, self._on_attributes, qos_))

    def _on_state(self, message: ReceiveMessage) -> None:
        assert self._renderer is not None
        value = self._renderer.render(message)
        if value is not None and self.accept(message, value):
            self.async_write_state()

    def accept(self, message: ReceiveMessage, value: str) -> bool:
        """Take a rendered value as the new state; False (after reporting why) to refuse."""
        raise NotImplementedError

    def _on_availability(self, message: ReceiveMessage) -> None:
        if self._availability.update(self, message):
            self.async_write_state()

    def _on_attributes(self, message: ReceiveMessage) -> None:
        if len(message.payload) > MAX_STATE_BODY:
            self._runtime.bad_input.report(
                message.topic, f"attributes are larger than {MAX_STATE_BODY} bytes"
            )
            return
        try:
            data = json_loads(message.payload)
        except JSONDecodeError:
            self._runtime.bad_input.report(message.topic, "attributes are not JSON")
            return
        if not isinstance(data, dict):
            self._runtime.bad_input.report(message.topic, "attributes are not a JSON object")
            return
        if (path := too_deep(data)) is not None:
            self._runtime.bad_input.report(message.topic, describe_depth("attributes", path))
            return
        self._json_attributes = data
        self.async_write_state()


class MqttBinarySensor(MqttEntity):
    """`payload_on` / `payload_off` become `on` / `off` (a bay sensor: occupied or free)."""

    domain: ClassVar[str] = "binary_sensor"

    def accept(self, message: ReceiveMessage, value: str) -> bool:
        if value == self._config["payload_on"]:
            self._attr_state = "on"
        elif value == self._config["payload_off"]:
            self._attr_state = "off"
        else:
            self._runtime.bad_input.report(
                message.topic,
                "unknown binary_sensor payload",
                f"{value[:40]!r} (expected {self._config['payload_on']!r} "
                f"or {self._config['payload_off']!r})",
            )
            return False
        return True


class MqttSensor(MqttEntity):
    domain: ClassVar[str] = "sensor"

    def __init__(self, runtime: MqttRuntime, config: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(runtime, config, **kwargs)
        self._attr_unit_of_measurement = config.get("unit_of_measurement")

    def accept(self, message: ReceiveMessage, value: str) -> bool:
        if len(value) > MAX_STATE_LENGTH:
            self._runtime.bad_input.report(
                message.topic, "sensor value too long", f"{len(value)} characters"
            )
            return False
        self._attr_state = value
        return True
