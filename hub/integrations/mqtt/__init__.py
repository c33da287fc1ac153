"""MQTT: the hub's link to barrier controllers, bay sensors and Home Assistant.

Lifecycle only; the pieces live beside it: `client.py` (paho on the asyncio loop),
`runtime.py` (subscriptions and status), `config.py` (the `mqtt:` block).
Other integrations use the functions below, e.g.
`from hub.integrations.mqtt import async_publish, async_subscribe, ReceiveMessage`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError, ServiceValidationError

from .config import BASE_SCHEMA, MqttConfig
from .const import DOMAIN
from .models import ReceiveMessage
from .runtime import MqttRuntime
from .subscriptions import valid_filter

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "CONFIG_SCHEMA",
    "DOMAIN",
    "ReceiveMessage",
    "async_on_connect",
    "async_publish",
    "async_report_bad_input",
    "async_setup",
    "async_subscribe",
    "async_wait_connected",
    "is_connected",
]

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = vol.Schema(BASE_SCHEMA)


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    conf = MqttConfig.from_dict(config)
    runtime = MqttRuntime(hub, conf)
    hub.data[DOMAIN] = runtime

    async def stop(_event: Event) -> None:
        await runtime.async_stop()

    hub.bus.async_listen_once(EVENT_HUB_STOP, stop)
    await runtime.async_start()


def _runtime(hub: Hub) -> MqttRuntime:
    runtime = hub.data.get(DOMAIN)
    if not isinstance(runtime, MqttRuntime):
        raise HubError("MQTT is not set up: add an `mqtt:` section to config.yaml")
    return runtime


async def async_publish(
    hub: Hub, topic: str, payload: str | bytes, qos: int = 0, retain: bool = False
) -> None:
    """Publish to the broker; QoS 1/2 is queued (bounded) while the broker is away."""
    if not topic or "+" in topic or "#" in topic:
        raise ServiceValidationError(f"cannot publish to {topic!r}: a topic has no + or #")
    if qos not in (0, 1, 2):
        raise ServiceValidationError(f"qos must be 0, 1 or 2, got {qos!r}")
    _runtime(hub).async_publish(topic, payload, qos, retain)


async def async_subscribe(
    hub: Hub,
    topic: str,
    callback: Callable[[ReceiveMessage], Awaitable[None] | None],
    qos: int = 0,
) -> CALLBACK_TYPE:
    """Call `callback(message)` on the loop for each message matching `topic` (+ and #
    allowed); a coroutine callback becomes a task. Kept across reconnects. When
    connected, returns once the broker confirmed the subscription (SUBACK), so a message
    published after it is not missed. Returns the unsubscribe callable."""
    if not valid_filter(topic):
        raise ServiceValidationError(f"invalid MQTT topic filter {topic!r}")
    if qos not in (0, 1, 2):
        raise ServiceValidationError(f"qos must be 0, 1 or 2, got {qos!r}")
    return await _runtime(hub).async_subscribe(topic, callback, qos)


def is_connected(hub: Hub) -> bool:
    """True while the hub is connected to its broker (False when mqtt is not set up)."""
    runtime = hub.data.get(DOMAIN)
    return isinstance(runtime, MqttRuntime) and runtime.is_connected()


async def async_wait_connected(hub: Hub) -> None:
    """Wait until connected (wrap it in `asyncio.timeout`)."""
    await _runtime(hub).async_wait_connected()


def async_on_connect(hub: Hub, listener: Callable[[], None]) -> CALLBACK_TYPE:
    """Call `listener()` on the loop after every (re)connect; returns unsubscribe."""
    return _runtime(hub).async_on_connect(listener)


def async_report_bad_input(hub: Hub, topic: str, reason: str, detail: str = "") -> None:
    """A subscriber could not use a message: log it once per topic and reason, count it."""
    _runtime(hub).bad_input.report(topic, reason, detail)
