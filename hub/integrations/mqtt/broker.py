"""`broker: embedded`: an MQTT broker inside the hub (amqtt), for a lot with no broker yet.

Good for plugging a few controllers straight in and for the demo; Mosquitto is the
recommended broker for production (persistence, bridges, years of hardening). The
embedded one keeps retained messages in memory only. It takes no anonymous clients: the
accounts are in `broker_accounts.py`, what each may do in `broker_acl.py`. It listens on
127.0.0.1 unless `embedded.host` says otherwise.

`_HubBroker` fixes two leaks in amqtt 0.12's retained messages: on connect, amqtt sends a
client the retained messages of *every* subscription in the broker (a client subscribed
only to `parkhub/event/gate_command` got the retained discovery configs), and retained
messages skip the receive check that live ones get.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, Any

from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.contexts import Action  # type: ignore[import-untyped]

from hub.core.exceptions import IntegrationNotReady

from .broker_acl import HubAuthPlugin, TopicPolicy

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["EmbeddedBroker"]

_LOGGER = logging.getLogger(__name__)
_ACL_MODULE = "hub.integrations.mqtt.broker_acl"


class _HubBroker(Broker):  # type: ignore[misc]
    """amqtt's broker with the hub's topic rules, sending retained messages only where
    they belong.

    The rules are applied here rather than through an amqtt topic plugin: the plugin call
    yields to the loop, and amqtt's broadcast loop iterates its subscription dict across
    that wait ("dictionary changed size during iteration" when a client subscribes
    meanwhile). A coroutine that never awaits keeps the iteration atomic.
    """

    def __init__(self, config: dict[str, Any], loop: Any, policy: TopicPolicy) -> None:
        super().__init__(config, loop=loop)
        self._policy = policy

    async def _topic_filtering(self, session: Any, topic: str, action: Any) -> bool:
        return self._policy.allows(session.username, topic, action)

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Any
    ) -> None:
        topic_filter, _qos = subscription
        granted = [
            qos
            for subscriber, qos in self._subscriptions.get(topic_filter, ())
            if subscriber.client_id == session.client_id
        ]
        if not granted:
            return  # someone else's subscription (amqtt asks for all of them on connect)
        handler = self._get_handler(session)
        if handler is None:
            return
        sends = []
        for topic, retained in list(self._retained_messages.items()):
            if not self._matches(topic, topic_filter):
                continue
            if not await self._topic_filtering(session, topic=topic, action=Action.RECEIVE):
                continue
            qos = min(granted[0], retained.qos if retained.qos is not None else granted[0])
            sends.append(
                asyncio.ensure_future(
                    handler.mqtt_publish(retained.topic, retained.data, qos, retain=True)
                )
            )
        if sends:
            await asyncio.wait(sends)


class EmbeddedBroker:
    def __init__(self, hub: Hub, host: str, port: int, policy: TopicPolicy) -> None:
        self._hub = hub
        self.host = host
        self.port = port
        self._policy = policy
        self._broker: Broker | None = None

    async def async_start(self) -> None:
        config: dict[str, Any] = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {f"{_ACL_MODULE}.{HubAuthPlugin.__name__}": {"policy": self._policy}},
        }
        for name in ("amqtt", "transitions"):
            # amqtt (and its state machine library) log every connection and state at
            # info; the hub's own log says what matters. `logger:` can still turn them up.
            library_logger = logging.getLogger(name)
            if library_logger.level == logging.NOTSET:
                library_logger.setLevel(logging.WARNING)
        self._check_port()
        broker = _HubBroker(config, self._hub.loop, self._policy)
        try:
            await broker.start()
        except Exception as err:
            # Not ready rather than failed: the port may be held by a hub still stopping,
            # and the loader retries (10 s, 30 s, ...) with a warning naming the port.
            raise IntegrationNotReady(
                f"the embedded MQTT broker cannot listen on {self.host}:{self.port}: "
                f"{err.__cause__ or err}"
            ) from None
        self._broker = broker
        _LOGGER.info(
            "Embedded MQTT broker listening on %s:%s (no anonymous clients: "
            "`parkhub mqtt credentials` prints the controllers' login)",
            self.host,
            self.port,
        )

    def _check_port(self) -> None:
        """Fail early and quietly on a taken port (amqtt would log a traceback first)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as err:
                raise IntegrationNotReady(
                    f"the embedded MQTT broker cannot listen on {self.host}:{self.port}: "
                    f"{err.strerror or err}"
                ) from None

    async def async_stop(self) -> None:
        if self._broker is not None:
            broker, self._broker = self._broker, None
            await broker.shutdown()
