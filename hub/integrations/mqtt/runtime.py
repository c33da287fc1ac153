"""The running mqtt integration: one client, the subscription table, and the hub's status."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as paho

from hub.core.bus import CALLBACK_TYPE

from .bad_input import BadInput
from .client import MqttClient
from .config import MqttConfig
from .const import FIRST_CONNECT_WAIT, PAYLOAD_ONLINE, SUBACK_TIMEOUT, TOPIC_STATUS
from .models import ReceiveMessage
from .subscriptions import MessageCallback, Subscription, SubscriptionTable

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["MqttRuntime"]

_LOGGER = logging.getLogger(__name__)


class MqttRuntime:
    """What `hub.data["mqtt"]` holds while the integration runs."""

    def __init__(self, hub: Hub, config: MqttConfig) -> None:
        self.hub = hub
        self.config = config
        self.subscriptions = SubscriptionTable()
        self.bad_input = BadInput()
        # Entities made from devices' own discovery configs: never announced back out, or
        # Home Assistant, which adopted the same device, would show it twice.
        self.adopted: set[str] = set()
        self._connect_listeners: list[Callable[[], None]] = []
        self._connected_event = asyncio.Event()
        self.client = MqttClient(
            hub.loop,
            config.connection,
            run_blocking=hub.async_add_executor_job,
            sleep=asyncio.sleep,
            on_message=self._on_message,
            on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
        )

    @property
    def status_topic(self) -> str:
        return f"{self.config.prefix}/{TOPIC_STATUS}"

    # -- life cycle -----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Start connecting; wait for the first attempt (bounded), never for success.

        A broker that is down at start is retried in the background, and everything
        published or subscribed meanwhile happens once it is up.
        """
        self.hub.async_create_background_task(self.client.async_run(), "mqtt client")
        try:
            async with asyncio.timeout(FIRST_CONNECT_WAIT):
                await asyncio.shield(self.client.first_attempt)
        except TimeoutError:
            pass

    async def async_stop(self) -> None:
        await self.client.async_stop()

    # -- connection -----------------------------------------------------------------------

    def is_connected(self) -> bool:
        return self.client.connected

    async def async_wait_connected(self) -> None:
        await self._connected_event.wait()

    def async_on_connect(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `listener()` after every (re)connect; returns unsubscribe."""
        self._connect_listeners.append(listener)

        def remove() -> None:
            if listener in self._connect_listeners:
                self._connect_listeners.remove(listener)

        return remove

    def _on_connect(self) -> None:
        # Subscriptions first, then what waited (gate commands), then the full republish.
        self.client.subscribe(self.subscriptions.filters())
        self.client.publish(self.status_topic, PAYLOAD_ONLINE.encode(), 1, True)
        self.client.flush_queue()
        self._connected_event.set()
        for listener in list(self._connect_listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Error in MQTT connect listener %r", listener)

    def _on_disconnect(self) -> None:
        self._connected_event.clear()

    # -- publish and subscribe ------------------------------------------------------------

    def async_publish(
        self, topic: str, payload: str | bytes, qos: int, retain: bool, queue: bool = True
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.client.publish(topic, data, qos, retain, queue)

    async def async_subscribe(
        self, topic: str, callback: MessageCallback, qos: int, own_ack: bool = False
    ) -> CALLBACK_TYPE:
        """Subscribe; when connected, return once the broker has confirmed it (bounded).

        `own_ack`: the callback acknowledges each QoS 1 message itself (`message.ack`),
        once what it caused is stored; otherwise it is acknowledged when callbacks return.
        """
        sub = Subscription(topic, callback, qos, own_ack)
        self.subscriptions.add(sub)

        def remove() -> None:
            if self.subscriptions.remove(sub):
                self.client.unsubscribe(topic)

        # Subscribing again makes the broker send the retained message to the newcomer.
        suback = self.client.subscribe([(topic, qos)])
        if suback is not None:
            # asyncio.wait, not asyncio.timeout: callers may run inline in a bus listener,
            # outside any task. A cancelled SUBACK means the connection dropped meanwhile;
            # the reconnect resubscribes.
            done, _ = await asyncio.wait({suback}, timeout=SUBACK_TIMEOUT)
            if not done:
                _LOGGER.warning("The broker did not confirm the subscription to %s in time", topic)
        return remove

    def _on_message(self, message: paho.MQTTMessage) -> None:
        ack = self.client.acker(message)
        topic = message.topic
        raw = message.payload
        if len(raw) > self.config.max_payload:
            self.bad_input.report(
                topic, "payload too large", f"{len(raw)} bytes, limit {self.config.max_payload}"
            )
            ack()
            return
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            self.bad_input.report(topic, "payload is not UTF-8 text")
            ack()
            return
        subs = self.subscriptions.matching(topic)
        # One subscriber at most acknowledges by itself (the first that asked to).
        owner = next((sub for sub in subs if sub.own_ack), None)
        for sub in subs:
            own = ack if sub is owner else None
            msg = ReceiveMessage(topic, text, message.qos, bool(message.retain), sub.topic, own)
            try:
                result = sub.callback(msg)
            except Exception:
                _LOGGER.exception("Error handling MQTT message on %s", topic)
                if own is not None:
                    own()  # a message that breaks its handler is not worth a redelivery
                continue
            if result is not None and isinstance(result, Coroutine):
                # A real task (not started inline): the callback may use asyncio.timeout.
                self.hub.async_create_task(_logged(result, topic), f"mqtt message on {topic}")
        if owner is None:
            ack()


async def _logged(coro: Coroutine[Any, Any, None], topic: str) -> None:
    try:
        await coro
    except Exception:
        _LOGGER.exception("Error handling MQTT message on %s", topic)
