"""MQTT entities from config: the YAML lists under `mqtt:` and discovery payloads share
these schemas and this factory. A `cover` becomes a `gate` entity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.entity import Entity, async_add_entities
from hub.integrations.gate.component import async_add_gates
from hub.integrations.gate.entity import GateEntity

from .gate import GATE_KEYS, MqttGate
from .sensors import BINARY_SENSOR_KEYS, SENSOR_KEYS, MqttBinarySensor, MqttSensor

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["DISCOVERY_SCHEMAS", "PLATFORMS", "YAML_SCHEMA", "async_add_mqtt_entities"]

PLATFORMS = ("binary_sensor", "sensor", "cover")
_DOMAINS = {"binary_sensor": "binary_sensor", "sensor": "sensor", "cover": "gate"}
_KEYS = {"binary_sensor": BINARY_SENSOR_KEYS, "sensor": SENSOR_KEYS, "cover": GATE_KEYS}
_ID_KEYS: dict[Any, Any] = {
    vol.Optional("name"): vol.Any(None, cv.string),
    # Keeps the entity id stable when the name changes (entity registry).
    vol.Optional("unique_id"): cv.string,
    # Fixes the entity id: `object_id: entry` on a cover is `gate.entry`.
    vol.Optional("object_id"): cv.slug,
}


def _named(config: dict[str, Any]) -> dict[str, Any]:
    if not config.get("name") and not config.get("object_id"):
        raise vol.Invalid("give a name or an object_id (the entity id comes from it)")
    return config


YAML_SCHEMA: dict[Any, Any] = {
    vol.Optional(platform, default=[]): vol.All(
        cv.ensure_list, [vol.All(vol.Schema({**_ID_KEYS, **keys}), _named)]
    )
    for platform, keys in _KEYS.items()
}
# Devices send many keys ParkHub has no use for (icons, entity categories...): dropped.
DISCOVERY_SCHEMAS = {
    platform: vol.Schema({**_ID_KEYS, **keys}, extra=vol.REMOVE_EXTRA)
    for platform, keys in _KEYS.items()
}


def build_entity(runtime: MqttRuntime, platform: str, config: dict[str, Any]) -> Entity:
    object_id = config.get("object_id")
    entity_id = f"{_DOMAINS[platform]}.{object_id}" if object_id else None
    kwargs: dict[str, Any] = {
        "entity_id": entity_id,
        "unique_id": None if entity_id else config.get("unique_id"),
        "name": config.get("name"),
    }
    if platform == "binary_sensor":
        return MqttBinarySensor(runtime, config, **kwargs)
    if platform == "sensor":
        return MqttSensor(runtime, config, **kwargs)
    return MqttGate(runtime, config, **kwargs)


async def async_add_mqtt_entities(hub: Hub, entities: Iterable[Entity]) -> None:
    gates: list[GateEntity] = []
    others: list[Entity] = []
    for entity in entities:
        if isinstance(entity, GateEntity):
            gates.append(entity)
        else:
            others.append(entity)
    if others:
        await async_add_entities(hub, "mqtt", others)
    if gates:
        await async_add_gates(hub, "mqtt", gates)
