"""Gates: barrier entities (`gate.<id>`) and the `gate.open` / `gate.close` / `gate.toggle`
services, with three backends: `demo` (moves by itself), `http` (a relay URL) and `mqtt`
(a Home Assistant-style MQTT cover). Every command fires `gate_command` carrying the
context that caused it (a user, an automation run, a plate read).

Lifecycle only; the pieces: `entity.py` (GateEntity), `component.py` (services and the
gate table), `demo.py`, `http.py`, and the MQTT backend in `hub/integrations/mqtt/gate.py`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import voluptuous as vol

from hub import validation as cv
from hub.core.bus import Event
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError
from hub.integrations.mqtt.gate import GATE_KEYS, MqttGate

from .component import async_add_gates, async_get_component
from .const import (
    BACKEND_DEMO,
    BACKEND_HTTP,
    BACKEND_MQTT,
    CONF_AUTO_CLOSE,
    CONF_BACKEND,
    CONF_ID,
    CONF_NAME,
    CONF_TRAVEL_TIME,
    DEFAULT_TRAVEL_TIME,
    DOMAIN,
    EVENT_GATE_COMMAND,
)
from .demo import DemoGate
from .entity import GateEntity
from .http import HTTP_KEYS, HttpGate
from .log import async_register_log

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "CONFIG_SCHEMA",
    "DOMAIN",
    "EVENT_GATE_COMMAND",
    "GateEntity",
    "async_add_gates",
    "async_setup",
]

_LOGGER = logging.getLogger(__name__)

_BASE_KEYS: dict[Any, Any] = {
    # The object id: `id: entry` is `gate.entry`.
    vol.Required(CONF_ID): cv.slug,
    vol.Optional(CONF_NAME): cv.string,
    vol.Required(CONF_BACKEND): vol.In([BACKEND_DEMO, BACKEND_HTTP, BACKEND_MQTT]),
}
_DEMO_KEYS: dict[Any, Any] = {
    # How long the demo barrier takes to open or close.
    vol.Optional(CONF_TRAVEL_TIME, default=timedelta(seconds=DEFAULT_TRAVEL_TIME)): (
        cv.time_period
    ),
    # Close by itself this long after it is open (default: stay open until told).
    vol.Optional(CONF_AUTO_CLOSE): cv.positive_time_period,
}
_BACKEND_KEYS = {BACKEND_DEMO: _DEMO_KEYS, BACKEND_HTTP: HTTP_KEYS, BACKEND_MQTT: GATE_KEYS}


def _gate(value: Any) -> dict[str, Any]:
    """One gate: the common keys, then those of its backend (others are refused)."""
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a gate (a mapping with id and backend), got {value!r}")
    vol.Schema(_BASE_KEYS, extra=vol.ALLOW_EXTRA)(value)
    keys = _BACKEND_KEYS[value[CONF_BACKEND]]
    result: dict[str, Any] = vol.Schema({**_BASE_KEYS, **keys})(value)
    return result


CONFIG_SCHEMA = vol.All(cv.ensure_list, [_gate], cv.unique(CONF_ID, "gate id"))


async def async_setup(hub: Hub, config: list[dict[str, Any]]) -> None:
    async_get_component(hub)
    async_register_log(hub)
    gates: list[GateEntity] = []
    session: aiohttp.ClientSession | None = None
    for conf in config:
        object_id, name, backend = conf[CONF_ID], conf.get(CONF_NAME), conf[CONF_BACKEND]
        if backend == BACKEND_DEMO:
            seconds = conf[CONF_TRAVEL_TIME].total_seconds()
            auto_close = conf.get(CONF_AUTO_CLOSE)
            hold = auto_close.total_seconds() if auto_close is not None else None
            gates.append(DemoGate(object_id, name, seconds, hold))
        elif backend == BACKEND_HTTP:
            if session is None:
                session = aiohttp.ClientSession()
            gates.append(HttpGate(object_id, name, conf, session))
        else:
            runtime = hub.data.get("mqtt")
            if runtime is None:
                raise HubError(
                    f"gate {object_id}: backend mqtt needs the mqtt integration "
                    "(add an `mqtt:` section to config.yaml)"
                )
            gates.append(MqttGate(runtime, conf, entity_id=f"gate.{object_id}", name=name))

    if session is not None:
        http_session = session

        async def close_session(_event: Event) -> None:
            await http_session.close()

        hub.bus.async_listen_once(EVENT_HUB_STOP, close_session)
    await async_add_gates(hub, DOMAIN, gates)
