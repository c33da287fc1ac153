"""`broker: embedded`: an MQTT broker inside the hub (amqtt), for a lot with no broker yet.

Good for plugging a few controllers straight in and for the demo; Mosquitto is the
recommended broker for production (persistence, ACLs, bridges, years of hardening).
The embedded one keeps retained messages in memory only and allows anonymous clients,
so bind it to a trusted network.
"""

from __future__ import annotations

import importlib
import logging
import socket
from typing import TYPE_CHECKING, Any

from amqtt.broker import Broker  # type: ignore[import-untyped]

from hub.core.exceptions import IntegrationNotReady

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["EmbeddedBroker"]

_LOGGER = logging.getLogger(__name__)
_AUTH_PLUGIN = "amqtt.plugins.authentication"


class EmbeddedBroker:
    def __init__(self, hub: Hub, host: str, port: int) -> None:
        self._hub = hub
        self.host = host
        self.port = port
        self._broker: Broker | None = None

    async def async_start(self) -> None:
        config: dict[str, Any] = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {f"{_AUTH_PLUGIN}.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        for name in ("amqtt", "transitions"):
            # amqtt (and its state machine library) log every connection and state at
            # info; the hub's own log says what matters. `logger:` can still turn them up.
            library_logger = logging.getLogger(name)
            if library_logger.level == logging.NOTSET:
                library_logger.setLevel(logging.WARNING)
        self._check_port()
        # The broker imports its plugins when built: import them off the loop first.
        await self._hub.async_add_executor_job(importlib.import_module, _AUTH_PLUGIN)
        broker = Broker(config, loop=self._hub.loop)
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
        _LOGGER.info("Embedded MQTT broker listening on %s:%s", self.host, self.port)

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
