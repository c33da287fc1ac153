"""Discovery out: every entity of the hub announced to Home Assistant over MQTT.

A retained `<discovery prefix>/<component>/parkhub_<object_id>/config` per entity: slots
(and other binary sensors) as `binary_sensor`, counters and everything else as `sensor`,
gates as `cover` with device class `gate` whose commands come back on
`<prefix>/gate/<id>/set`. Entities are grouped into devices per lot and per camera.
Published after every connect, for each new entity, and again whenever Home Assistant
says `online` on `<discovery prefix>/status`; an entity that goes away gets an empty
retained config, which makes Home Assistant delete it.

What Home Assistant sees, and why:
- Names follow its `has_entity_name` convention: a name is relative to its device
  ("Free spaces" on the device "Demo lot"), never repeating it; a camera is its device's
  main entity (name `null`), so HA shows "Entry camera", not "Entry camera entry".
- A state HA's platform cannot take (`unknown` before a slot's first look, a gate's
  `unavailable`) reaches it as "no value" through a `value_template`, not as a payload it
  logs as unmatched; `unavailable` also turns the entity's availability off.
- Cameras are HA MQTT `camera` entities whose picture is a JPEG the hub publishes
  (retained) on `<prefix>/camera/<id>/image` every `camera_interval` (`camera_images.py`).
- Entities made from devices' own discovery configs (a Zigbee2MQTT bay sensor, an
  ESPHome barrier) are never announced back: HA adopts those devices itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.json import json_bytes
from hub.core.states import State

from .models import ReceiveMessage

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["DiscoveryOut", "discovery_config"]

_LOT_SUFFIXES = re.compile(
    r"^(?P<lot>.+?)_(?:slot_.+|free_spaces|active_sessions|occupied|reservations|revenue_today)$"
)
_CAMERA_SUFFIXES = re.compile(r"^(?P<camera>.+?)_(?:last_plate|motion)$")
# Domains that map one to one onto a component keep `parkhub_<object_id>` as node id;
# the others (camera.x as a sensor) add their domain so they cannot collide.
_NATIVE = frozenset({"binary_sensor", "sensor", "gate"})
_UNAVAILABLE_TEMPLATE = "{{ 'offline' if value == 'unavailable' else 'online' }}"
# State templates: what HA's platform takes, and "None" (its "no value") for the rest.
_BINARY_TEMPLATE = "{{ value if value in ('on', 'off') else 'None' }}"
_COVER_TEMPLATE = "{{ value if value in ('open', 'closed', 'opening', 'closing') else '' }}"
_SENSOR_TEMPLATE = "{{ 'None' if value in ('unknown', 'unavailable') else value }}"
# HA expects a number from a sensor with a unit or a numeric device class, and there takes
# "None" as no value; a text sensor would show "None" itself, while "unknown" reads as
# HA's own unknown, so text sensors get the value as it is.
_TEXT_DEVICE_CLASSES = frozenset({"enum", "timestamp", "date"})


def _component(state: State) -> str | None:
    domain = state.domain
    if domain == "binary_sensor":
        return "binary_sensor"
    if domain == "gate":
        return "cover"
    if domain == "automation":
        return None  # Home Assistant has its own; an MQTT one would only confuse
    if domain == "camera":
        return "camera"
    return "sensor"


def _device(state: State, hub_name: str) -> tuple[dict[str, Any], str]:
    """The device an entity belongs to (its lot, its camera, or the hub itself), and the
    word an entity name starts with when it repeats the device's (`demo` for lot demo)."""
    attrs = state.attributes
    object_id = state.object_id
    lot = attrs.get("lot")
    camera = attrs.get("camera")
    if lot is None and camera is None:
        if state.domain == "camera":
            camera = state.entity_id
        elif (match := _LOT_SUFFIXES.match(object_id)) is not None:
            lot = match["lot"]
        elif (match := _CAMERA_SUFFIXES.match(object_id)) is not None:
            camera = f"camera.{match['camera']}"
    if isinstance(lot, str):
        return {
            "identifiers": [f"parkhub_lot_{lot}"],
            "name": f"{lot.replace('_', ' ').title()} lot",
            "manufacturer": "ParkHub",
            "model": "Parking lot",
        }, lot.replace("_", " ")
    if isinstance(camera, str):
        name = camera.partition(".")[2] or camera
        return {
            "identifiers": [f"parkhub_camera_{name}"],
            "name": f"{name.replace('_', ' ').title()} camera",
            "manufacturer": "ParkHub",
            "model": "Camera",
        }, name.replace("_", " ")
    return {"identifiers": ["parkhub"], "name": hub_name, "manufacturer": "ParkHub"}, hub_name


def _entity_name(state: State, device_word: str) -> str | None:
    """The name relative to its device (HA's has_entity_name): "demo free spaces" on the
    device "Demo lot" is "Free spaces"; a name that is only the device's word is None."""
    name = state.name
    word = device_word.strip().lower()
    lowered = name.lower()
    if word and lowered == word:
        return None
    if word and lowered.startswith(word + " "):
        rest = name[len(word) + 1 :].strip()
        return rest[:1].upper() + rest[1:]
    return name


def discovery_config(state: State, prefix: str, hub_name: str) -> tuple[str, dict[str, Any]]:
    """The component and discovery payload for one entity."""
    component = _component(state)
    assert component is not None
    base = f"{prefix}/{state.domain}/{state.object_id}"
    device, device_word = _device(state, hub_name)
    config: dict[str, Any] = {
        "name": None if component == "camera" else _entity_name(state, device_word),
        "object_id": state.object_id,
        "unique_id": f"parkhub_{state.domain}_{state.object_id}",
        "json_attributes_topic": f"{base}/attributes",
        "availability": [
            {"topic": f"{prefix}/status"},
            {"topic": f"{base}/state", "value_template": _UNAVAILABLE_TEMPLATE},
        ],
        "availability_mode": "all",
        "device": device,
    }
    if component == "camera":
        config["topic"] = f"{base}/image"
    else:
        config["state_topic"] = f"{base}/state"
    attrs: Mapping[str, Any] = state.attributes
    device_class = attrs.get("device_class")
    if component == "binary_sensor":
        config["payload_on"] = "on"
        config["payload_off"] = "off"
        config["value_template"] = _BINARY_TEMPLATE
        if device_class is None and "_slot_" in state.object_id:
            device_class = "occupancy"
    elif component == "cover":
        device_class = "gate"
        config["command_topic"] = f"{prefix}/gate/{state.object_id}/set"
        config["payload_stop"] = None
        config["value_template"] = _COVER_TEMPLATE
    elif component == "sensor":
        if attrs.get("unit_of_measurement"):
            config["unit_of_measurement"] = attrs["unit_of_measurement"]
        if config.get("unit_of_measurement") or (
            device_class and device_class not in _TEXT_DEVICE_CLASSES
        ):
            config["value_template"] = _SENSOR_TEMPLATE
    if device_class:
        config["device_class"] = device_class
    if attrs.get("icon"):
        config["icon"] = attrs["icon"]
    return component, config


class DiscoveryOut:
    def __init__(self, hub: Hub, runtime: MqttRuntime, discovery_prefix: str, wanted: Any) -> None:
        self._hub = hub
        self._runtime = runtime
        self._discovery_prefix = discovery_prefix
        self._wanted = wanted
        self._published: dict[str, str] = {}  # entity id -> its config topic
        self._cleared: set[str] = set()  # adopted entities whose config topic was emptied
        self._unsubs: list[CALLBACK_TYPE] = []

    async def async_start(self) -> None:
        runtime = self._runtime
        self._unsubs.append(self._hub.bus.async_listen(EVENT_STATE_CHANGED, self._on_change))
        self._unsubs.append(runtime.async_on_connect(self.async_publish_all))
        self._unsubs.append(
            await runtime.async_subscribe(f"{self._discovery_prefix}/status", self._on_ha_status, 1)
        )
        if runtime.is_connected():
            self.async_publish_all()

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    def async_publish_all(self) -> None:
        for state in self._hub.states.async_all():
            self._publish(state)

    def _on_ha_status(self, message: ReceiveMessage) -> None:
        if message.payload.strip() == "online":
            self.async_publish_all()

    def _on_change(self, event: Event) -> None:
        new: State | None = event.data["new_state"]
        entity_id: str = event.data["entity_id"]
        if new is None:
            topic = self._published.pop(entity_id, None)
            if topic is not None:
                self._runtime.async_publish(topic, b"", 1, True)
        elif event.data["old_state"] is None:
            self._publish(new)

    def _publish(self, state: State) -> None:
        if not self._wanted(state.entity_id) or (component := _component(state)) is None:
            return
        node = state.object_id if state.domain in _NATIVE else f"{state.domain}_{state.object_id}"
        topic = f"{self._discovery_prefix}/{component}/parkhub_{node}/config"
        if state.entity_id in self._runtime.adopted:
            # Clear what an older ParkHub announced for it (HA showed such devices twice).
            if state.entity_id not in self._cleared:
                self._cleared.add(state.entity_id)
                self._runtime.async_publish(topic, b"", 1, True, queue=False)
            return
        prefix = self._runtime.config.prefix
        component, config = discovery_config(state, prefix, self._hub.config.name)
        self._published[state.entity_id] = topic
        # Not queued while disconnected: every config is published again on connect.
        self._runtime.async_publish(topic, json_bytes(config), 1, True, queue=False)
