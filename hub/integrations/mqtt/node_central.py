"""The central hub's worker nodes: which it mirrors, and their messages handed to them.

Two ways to say which (`mqtt:`):

- `nodes: [west_gate, east_gate]`: exactly these. Their topics are subscribed one node
  at a time, so the broker keeps (in the persistent session) only their events.
- `accept_nodes: true` (with or without a list): also any node whose retained birth
  status (`<prefix>/nodes/<node>/status` = `online`) or event appears. The topics are
  subscribed with `+` for the node, before the first connect, so the persistent session
  keeps the events of a node the central has not met yet too. Who may publish as which
  node is the broker's business: give each node its own account, allowed to publish
  only under its own prefix (docs/nodes.md, "Broker accounts"); a node id that is not
  a slug is refused here, and at most MAX_ACCEPTED nodes are taken on.

Messages of a node whose mirror is still starting (reading its handled ids) wait for
it, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE

from .const import PAYLOAD_ONLINE, TOPIC_NODES
from .models import ReceiveMessage
from .node_mirror import NodeMirror

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["MAX_ACCEPTED", "NodeCentral"]

_LOGGER = logging.getLogger(__name__)

# Nodes taken on by `accept_nodes` at most (each costs subscriptions' worth of state).
MAX_ACCEPTED: Final = 500

Handler = Callable[[NodeMirror, ReceiveMessage], None]


class NodeCentral:
    """Subscribes the node topics and routes each message to its node's mirror."""

    def __init__(
        self, hub: Hub, runtime: MqttRuntime, nodes: tuple[str, ...], accept: bool
    ) -> None:
        self._hub = hub
        self._runtime = runtime
        self._accept = accept
        self._base = f"{runtime.config.base_prefix}/{TOPIC_NODES}"
        self._listed = nodes
        self.mirrors: dict[str, NodeMirror] = {}
        # node -> messages that came while its mirror was starting
        self._starting: dict[str, list[tuple[Handler, ReceiveMessage]]] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._refused: set[str] = set()

    async def async_start(self) -> None:
        """Start the listed nodes' mirrors and subscribe (before the first connect)."""
        for node in self._listed:
            mirror = NodeMirror(self._hub, self._runtime, node)
            await mirror.async_start()
            self.mirrors[node] = mirror
        for node in ["+"] if self._accept else self._listed:
            await self._subscribe(f"{self._base}/{node}")

    async def _subscribe(self, root: str) -> None:
        subscribe = self._runtime.async_subscribe
        self._unsubs += [
            await subscribe(f"{root}/status", self._route(NodeMirror.on_status), 1),
            await subscribe(f"{root}/events", self._route(NodeMirror.on_event), 1, own_ack=True),
            await subscribe(f"{root}/+/+/state", self._route(NodeMirror.on_state), 1),
            await subscribe(f"{root}/+/+/attributes", self._route(NodeMirror.on_attributes), 1),
            await subscribe(f"{root}/gate/+/reply", self._route(NodeMirror.on_reply), 1),
        ]

    def _route(self, handler: Handler) -> Callable[[ReceiveMessage], None]:
        def route(message: ReceiveMessage) -> None:
            node = message.topic[len(self._base) + 1 :].split("/", 1)[0]
            mirror = self.mirrors.get(node)
            if mirror is not None:
                handler(mirror, message)
                return
            if (waiting := self._starting.get(node)) is not None:
                waiting.append((handler, message))
                return
            # Only with accept_nodes: a node met for the first time.
            joins = handler is NodeMirror.on_event or (
                handler is NodeMirror.on_status and message.payload == PAYLOAD_ONLINE
            )
            if joins and self._may_join(node, message.topic):
                self._starting[node] = [(handler, message)]
                self._hub.async_create_task(self._async_join(node), f"mirror node {node}")
            elif message.ack is not None:
                message.ack()  # a retained state of a node not (yet) taken on

        return route

    def _may_join(self, node: str, topic: str) -> bool:
        try:
            cv.slug(node)
        except vol.Invalid as err:
            self._runtime.bad_input.report(topic, "bad node id", str(err)[:80])
            return False
        if len(self.mirrors) + len(self._starting) >= MAX_ACCEPTED:
            if node not in self._refused:
                self._refused.add(node)
                _LOGGER.warning(
                    "Node %s announced itself, but %d nodes are mirrored already: ignored",
                    node,
                    MAX_ACCEPTED,
                )
            return False
        return True

    async def _async_join(self, node: str) -> None:
        mirror = NodeMirror(self._hub, self._runtime, node)
        try:
            await mirror.async_start()
        except OSError:
            _LOGGER.exception("Node %s: cannot read its handled event ids", node)
            self._starting.pop(node, None)
            return
        _LOGGER.info("Node %s announced itself: mirrored (accept_nodes)", node)
        self.mirrors[node] = mirror
        for handler, message in self._starting.pop(node, []):
            handler(mirror, message)

    async def async_drain(self) -> None:
        for mirror in self.mirrors.values():
            await mirror.async_drain()

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()
        for mirror in self.mirrors.values():
            mirror.async_stop()
