"""Discovery in: devices that announce themselves the Home Assistant way become entities.

Listens on `<prefix>/<component>/[<node_id>/]<object_id>/config` for `binary_sensor`
(bay sensors), `sensor` and `cover` (barriers, which become `gate` entities). Payloads
use Home Assistant's abbreviated keys (`~`, `stat_t`, `cmd_t`, `avty_t`, `val_tpl`, ...);
a new payload for the same id replaces the entity, an empty one removes it. A broken
payload is reported as bad input (once per topic) and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub.core.bus import CALLBACK_TYPE
from hub.core.json import JSONDecodeError, json_loads
from hub.core.services import describe_invalid
from hub.entity import Entity

from .entity import ADOPTED
from .models import ReceiveMessage
from .platforms import DISCOVERY_SCHEMAS, async_add_mqtt_entities, build_entity

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["ABBREVIATIONS", "DiscoveryIn", "expand"]

_LOGGER = logging.getLogger(__name__)

# Home Assistant's abbreviations for the keys ParkHub reads (homeassistant/components/
# mqtt/abbreviations.py); unknown abbreviations pass through and are dropped later.
ABBREVIATIONS = {
    "avty": "availability",
    "avty_t": "availability_topic",
    "avty_mode": "availability_mode",
    "avty_tpl": "availability_template",
    "cmd_t": "command_topic",
    "dev": "device",
    "dev_cla": "device_class",
    "ic": "icon",
    "json_attr_t": "json_attributes_topic",
    "obj_id": "object_id",
    "opt": "optimistic",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "pl_on": "payload_on",
    "pl_off": "payload_off",
    "pl_open": "payload_open",
    "pl_cls": "payload_close",
    "pl_stop": "payload_stop",
    "ret": "retain",
    "stat_t": "state_topic",
    "stat_open": "state_open",
    "stat_opening": "state_opening",
    "stat_clsd": "state_closed",
    "stat_closing": "state_closing",
    "stat_stopped": "state_stopped",
    "t": "topic",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}
DEVICE_ABBREVIATIONS = {
    "ids": "identifiers",
    "mf": "manufacturer",
    "mdl": "model",
    "sw": "sw_version",
    "hw": "hw_version",
    "sa": "suggested_area",
    "cns": "connections",
}


def _base(value: Any, base: str | None) -> Any:
    if base is None or not isinstance(value, str):
        return value
    if value.startswith("~"):
        return base + value[1:]
    if value.endswith("~"):
        return value[:-1] + base
    return value


def expand(payload: dict[str, Any]) -> dict[str, Any]:
    """Abbreviated keys to full ones (in `availability` entries too), `~` into topics."""
    config = {ABBREVIATIONS.get(key, key): value for key, value in payload.items()}
    base = config.pop("~", None)
    base = base if isinstance(base, str) else None
    for key in list(config):
        if key.endswith("_topic"):
            config[key] = _base(config[key], base)
    availability = config.get("availability")
    if isinstance(availability, list):
        # Each entry keeps its own topic, payloads and template (Zigbee2MQTT sends two:
        # the bridge's and the device's, JSON with `{{ value_json.state }}`).
        config["availability"] = [
            {
                ABBREVIATIONS.get(k, k): (_base(v, base) if k in ("t", "topic") else v)
                for k, v in entry.items()
            }
            if isinstance(entry, dict)
            else entry
            for entry in availability
        ]
    device = config.get("device")
    if isinstance(device, dict):
        config["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in device.items()}
        if not config.get("name") and isinstance(config["device"].get("name"), str):
            config["name"] = config["device"]["name"]
    return config


class DiscoveryIn:
    def __init__(self, hub: Hub, runtime: MqttRuntime, prefix: str) -> None:
        self._hub = hub
        self._runtime = runtime
        self._prefix = prefix
        self._entities: dict[str, tuple[str, Entity]] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        # One config at a time: adding an entity waits for its subscriptions, and a second
        # payload for the same device must not race the first.
        self._lock = asyncio.Lock()

    async def async_start(self) -> None:
        for pattern in ("+/+/config", "+/+/+/config"):
            self._unsubs.append(
                await self._runtime.async_subscribe(f"{self._prefix}/{pattern}", self._on_config, 1)
            )

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    async def _on_config(self, message: ReceiveMessage) -> None:
        async with self._lock:
            await self._async_handle(message)

    async def _async_handle(self, message: ReceiveMessage) -> None:
        parts = message.topic.split("/")[len(self._prefix.split("/")) :]
        component, ids = parts[0], parts[1:-1]
        if ids[-1].startswith("parkhub_") or component not in DISCOVERY_SCHEMAS:
            return  # our own discovery out, or a kind of device a lot has no use for
        discovery_id = "/".join(parts[:-1])
        known = self._entities.get(discovery_id)
        if known is not None and known[0] == message.payload:
            return
        if not message.payload.strip():
            if known is not None:
                del self._entities[discovery_id]
                await known[1].async_remove()
                _LOGGER.info("MQTT device %s removed", discovery_id)
            return
        config = self._parse(message, component)
        if config is None:
            return
        config.setdefault("unique_id", "_".join(ids))
        config[ADOPTED] = True
        if known is not None:
            del self._entities[discovery_id]
            await known[1].async_remove()
        entity = build_entity(self._runtime, component, config)
        self._entities[discovery_id] = (message.payload, entity)
        await async_add_mqtt_entities(self._hub, [entity])
        _LOGGER.info("MQTT device %s discovered as %s", discovery_id, entity.entity_id)

    def _parse(self, message: ReceiveMessage, component: str) -> dict[str, Any] | None:
        bad = self._runtime.bad_input
        try:
            payload = json_loads(message.payload)
        except JSONDecodeError as err:
            bad.report(message.topic, "discovery config is not JSON", str(err))
            return None
        if not isinstance(payload, dict):
            bad.report(message.topic, "discovery config is not a JSON object")
            return None
        try:
            config: dict[str, Any] = DISCOVERY_SCHEMAS[component](expand(payload))
        except vol.Invalid as err:
            bad.report(message.topic, "broken discovery config", describe_invalid(err))
            return None
        return config
