"""MQTT: the hub's link to barrier controllers, bay sensors and Home Assistant.

Lifecycle only; the pieces live beside it: `client.py` (paho on the asyncio loop),
`runtime.py` (subscriptions and status), `config.py` (the `mqtt:` block).
Other integrations use the functions below, e.g.
`from hub.integrations.mqtt import async_publish, async_subscribe, ReceiveMessage`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError, ServiceValidationError
from hub.entity import Entity

from .broker import EmbeddedBroker
from .broker_setup import async_embedded_broker
from .camera_images import CameraImages
from .config import BASE_SCHEMA, MqttConfig, topic_prefix
from .const import CONF_DISCOVERY, CONF_PUBLISH, DEFAULT_DISCOVERY_PREFIX, DOMAIN
from .counter import BadMessagesSensor
from .discovery_in import DiscoveryIn
from .discovery_out import DiscoveryOut
from .models import ReceiveMessage
from .node_central import NodeCentral
from .node_worker import NodeWorker
from .platforms import PLATFORMS, YAML_SCHEMA, async_add_mqtt_entities, build_entity
from .publisher import PUBLISH_SCHEMA, StatePublisher
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

DISCOVERY_SCHEMA = vol.Schema(
    {
        # Announce every entity to Home Assistant, and adopt devices that announce themselves.
        vol.Optional("enabled", default=True): cv.boolean,
        vol.Optional("prefix", default=DEFAULT_DISCOVERY_PREFIX): topic_prefix,
        # How often each camera's picture goes to <prefix>/camera/<id>/image for Home
        # Assistant (a retained JPEG); 0 turns the pictures off.
        vol.Optional("camera_interval", default=timedelta(seconds=10)): cv.time_period,
    }
)

CONFIG_SCHEMA = vol.Schema(
    {
        **BASE_SCHEMA,
        vol.Optional(CONF_PUBLISH, default={}): PUBLISH_SCHEMA,
        vol.Optional(CONF_DISCOVERY, default={}): DISCOVERY_SCHEMA,
        # Entities read from MQTT: binary_sensor, sensor, cover (a cover is a gate).
        **YAML_SCHEMA,
    }
)


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    conf = MqttConfig.from_dict(config, node=hub.config.node)
    broker: EmbeddedBroker | None = None
    if conf.embedded:
        broker, conf = await async_embedded_broker(hub, conf, config[CONF_DISCOVERY]["prefix"])
    runtime = MqttRuntime(hub, conf)
    hub.data[DOMAIN] = runtime
    publisher = StatePublisher(hub, runtime, config[CONF_PUBLISH])
    parts: list[StatePublisher | DiscoveryOut | DiscoveryIn | CameraImages | NodeWorker] = [
        publisher
    ]
    worker = NodeWorker(hub, runtime) if conf.node is not None else None
    if worker is not None:
        parts.append(worker)
    # Subscribed before the first connect: a persistent session replays at once.
    central = (
        NodeCentral(hub, runtime, conf.nodes, conf.accept_nodes)
        if conf.nodes or conf.accept_nodes
        else None
    )
    discovery = config[CONF_DISCOVERY]
    if discovery["enabled"]:
        parts.append(DiscoveryOut(hub, runtime, discovery["prefix"], publisher.wanted))
        parts.append(DiscoveryIn(hub, runtime, discovery["prefix"]))
        parts.append(CameraImages(hub, runtime, discovery["camera_interval"], publisher.wanted))

    async def async_stop() -> None:
        if worker is not None:
            await worker.async_flush()
        for part in parts:
            part.async_stop()
        if central is not None:
            # Events being committed are acknowledged before the goodbye if they can be.
            await central.async_drain()
        await runtime.async_stop()
        # After the goodbye: unsubscribing while connected would end the persistent
        # session's subscriptions, and the broker would keep nothing for the restart.
        if central is not None:
            central.async_stop()
        if broker is not None:
            await broker.async_stop()

    def stop(_event: Event) -> None:
        # A task of its own (stop waits for it): the goodbye uses asyncio timeouts, which
        # need a task, and bus listeners may run inline in whoever fired hub_stop.
        hub.async_create_task(async_stop(), "mqtt stop")

    unlisten = hub.bus.async_listen_once(EVENT_HUB_STOP, stop)
    try:
        if central is not None:
            await central.async_start()
        await runtime.async_start()
        for part in parts:
            await part.async_start()
        entities: list[Entity] = [BadMessagesSensor(runtime.bad_input)]
        if worker is not None:
            entities.append(worker.sensor)
        entities += [
            build_entity(runtime, platform, item)
            for platform in PLATFORMS
            for item in config[platform]
        ]
        await async_add_mqtt_entities(hub, entities)
    except BaseException:
        # Undo what started, so the loader's retry finds the broker's port free again.
        unlisten()
        hub.data.pop(DOMAIN, None)
        await async_stop()
        raise


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
