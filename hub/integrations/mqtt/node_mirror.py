"""One worker node on the central hub (`mqtt: nodes: [west_gate]`, or any that announces
itself with `accept_nodes: true`); node_central.py subscribes and hands it its messages.

For each node, under `<prefix>/nodes/<node>/`:

- `<domain>/<id>/state` and `.../attributes` (retained) become `<domain>.<node>_<id>` on
  the central state machine; gates become `NodeGate` entities, so `gate.open` on them
  goes back to the worker. `status` `offline` (the worker's last will) makes them all
  unavailable until it is back.
- `events` (QoS 1 envelopes with an id) are fired on the central bus, in the order they
  came, with the worker's context as parent, so parking, automations, notifications and
  history run here, unchanged. Entity ids in the data (`camera`, `entity_id`) get the
  node's prefix and the data gains `node`.

Exactly once, in order (docs/nodes.md says what it covers): the fired event's context id
*is* the envelope id, so what the event caused is stored under it (parking drops a read
whose context id it has applied already). An event is acknowledged to the broker only
after (1) the durable writes it started (`Hub.async_track_write`: the parking session
row) have committed and (2) its id is fsynced in `<data>/mqtt_nodes/<node>.*`
(node_seen.py). A central killed before (2) gets the event again and fires it again,
and the stores ignore it; killed after (2), it drops it by its id. Events that arrive
before the hub has started wait, unacknowledged, for `hub_started`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from hub.core.bus import CALLBACK_TYPE, Event, EventOrigin
from hub.core.const import EVENT_HUB_STARTED, STATE_UNAVAILABLE
from hub.core.context import Context
from hub.core.exceptions import HubError
from hub.core.hub import WRITE_WAIT_TIMEOUT, CoreState
from hub.core.states import valid_entity_id
from hub.integrations.gate.component import async_add_gates

from .const import PAYLOAD_OFFLINE, PAYLOAD_ONLINE, TOPIC_NODES
from .models import ReceiveMessage
from .node_gate import NodeGate
from .node_seen import SeenIds

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["NodeMirror"]

_LOGGER = logging.getLogger(__name__)

# Event ids remembered per node for dropping redeliveries (at least this many, at most
# twice: node_seen.py), in `<data>/mqtt_nodes/`.
SEEN_IDS: Final = 10_000
_ENTITY_KEYS: Final = ("entity_id", "camera")
# An event id is a context id on the central: a short printable string.
MAX_EVENT_ID: Final = 64
# How long stop waits for events still being committed (else they come again at start).
DRAIN_TIMEOUT: Final = 5.0


def _no_ack() -> None:
    """Acknowledging a message that needs none (QoS 0, or a test's direct call)."""


class NodeMirror:
    """One worker node on the central hub."""

    def __init__(self, hub: Hub, runtime: MqttRuntime, node: str) -> None:
        self._hub = hub
        self._runtime = runtime
        self.node = node
        self.root = f"{runtime.config.base_prefix}/{TOPIC_NODES}/{node}"
        self.online = False
        # entity id on the central -> [state, attributes] as the worker last reported them
        self._states: dict[str, list[Any]] = {}
        self._gates: dict[str, NodeGate] = {}
        self._adding: set[str] = set()
        self._seen = SeenIds(
            hub.data_dir / "mqtt_nodes", node, SEEN_IDS, hub.async_add_executor_job
        )
        self._waiting: list[dict[str, Any]] = []
        # event id -> the acknowledgements of its deliveries, until it is committed
        self._pending: dict[str, list[Callable[[], None]]] = {}
        self._commits: set[asyncio.Task[None]] = set()
        self._unsubs: list[CALLBACK_TYPE] = []
        self.duplicates = 0

    async def async_start(self) -> None:
        """Read the handled ids (before any message is handed over)."""
        await self._hub.async_add_executor_job(self._seen.load)
        if self._hub.state is not CoreState.running:
            self._unsubs.append(
                self._hub.bus.async_listen_once(EVENT_HUB_STARTED, self._on_started)
            )

    async def async_drain(self) -> None:
        """Let the events being committed finish (bounded), so stop acknowledges them."""
        if self._commits:
            await asyncio.wait(set(self._commits), timeout=DRAIN_TIMEOUT)

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()
        for task in self._commits:
            task.cancel()
        self._seen.close()

    # -- status and states ----------------------------------------------------------------

    def _entity_id(self, topic: str) -> str | None:
        domain, object_id = topic.split("/")[-3:-1]
        entity_id = f"{domain}.{self.node}_{object_id}"
        return entity_id if valid_entity_id(entity_id) else None

    def on_status(self, message: ReceiveMessage) -> None:
        online = message.payload == PAYLOAD_ONLINE
        if message.payload not in (PAYLOAD_ONLINE, PAYLOAD_OFFLINE) or online == self.online:
            return
        self.online = online
        _LOGGER.info("Node %s is %s", self.node, message.payload)
        for entity_id in list(self._states):
            self._show(entity_id)

    def on_state(self, message: ReceiveMessage) -> None:
        entity_id = self._entity_id(message.topic)
        if entity_id is None:
            return
        if not message.payload:
            # The entity is gone from the worker.
            self._states.pop(entity_id, None)
            if (gate := self._gates.pop(entity_id, None)) is not None:
                self._hub.async_create_task(gate.async_remove(), f"remove {entity_id}")
            else:
                self._hub.states.async_remove(entity_id)
            return
        self._states.setdefault(entity_id, [None, {}])[0] = message.payload
        self._show(entity_id)

    def on_attributes(self, message: ReceiveMessage) -> None:
        entity_id = self._entity_id(message.topic)
        if entity_id is None or not message.payload:
            return
        try:
            attributes = json.loads(message.payload)
        except ValueError:
            self._runtime.bad_input.report(message.topic, "attributes are not JSON")
            return
        if not isinstance(attributes, dict):
            return
        entry = self._states.setdefault(entity_id, [None, {}])
        entry[1] = attributes
        if entry[0] is not None:
            self._show(entity_id)

    def _show(self, entity_id: str) -> None:
        state, attributes = self._states[entity_id]
        if state is None:
            return
        if entity_id.startswith("gate."):
            gate = self._gates.get(entity_id)
            if gate is None:
                self._add_gate(entity_id)
            elif entity_id not in self._adding:
                gate.mirror(state, attributes, self.online)
            return
        shown = state if self.online else STATE_UNAVAILABLE
        self._hub.states.async_set(entity_id, shown, {**attributes, "node": self.node})

    def _add_gate(self, entity_id: str) -> None:
        object_id = entity_id.split(".", 1)[1][len(self.node) + 1 :]
        timeout = self._runtime.config.node_command_timeout
        gate = NodeGate(self._runtime, self.node, self.root, object_id, timeout)
        self._gates[entity_id] = gate
        # Until it is on the hub, what arrives is only kept; `add` shows the latest.
        self._adding.add(entity_id)

        async def add() -> None:
            try:
                await async_add_gates(self._hub, "mqtt", [gate])
            finally:
                self._adding.discard(entity_id)
            state, attributes = self._states.get(entity_id, [None, {}])
            gate.mirror(state, attributes, self.online)

        self._hub.async_create_task(add(), f"add {entity_id}")

    def on_reply(self, message: ReceiveMessage) -> None:
        gate = self._gates.get(f"gate.{self.node}_{message.topic.split('/')[-2]}")
        try:
            payload = json.loads(message.payload)
        except ValueError:
            self._runtime.bad_input.report(message.topic, "gate reply is not JSON")
            return
        if gate is not None and isinstance(payload, dict):
            gate.reply(payload)

    # -- events ---------------------------------------------------------------------------

    def on_event(self, message: ReceiveMessage) -> None:
        ack = message.ack or _no_ack
        try:
            envelope = json.loads(message.payload)
            event_id = envelope["id"]
            if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID:
                raise ValueError(f"id must be a string of 1 to {MAX_EVENT_ID} characters")
            str(envelope["event_type"])
            if not isinstance(envelope.get("data"), dict):
                raise ValueError("no data")
        except (ValueError, KeyError, TypeError) as err:
            self._runtime.bad_input.report(message.topic, "bad node event", str(err)[:80])
            ack()
            return
        if event_id in self._seen:
            self.duplicates += 1
            _LOGGER.debug("Node %s: event %s delivered again; dropped", self.node, event_id)
            ack()
            return
        if (acks := self._pending.get(event_id)) is not None:
            # Delivered again (a reconnect) while the first delivery is being committed.
            self.duplicates += 1
            acks.append(ack)
            return
        self._pending[event_id] = [ack]
        if self._hub.state is not CoreState.running:
            self._waiting.append(envelope)
            return
        self._fire(envelope)

    def _on_started(self, _event: Event) -> None:
        waiting, self._waiting = self._waiting, []
        for envelope in waiting:
            self._fire(envelope)

    def _fire(self, envelope: dict[str, Any]) -> None:
        event_id: str = envelope["id"]
        data = dict(envelope["data"])
        for key in _ENTITY_KEYS:
            value = data.get(key)
            if isinstance(value, str) and "." in value:
                domain, object_id = value.split(".", 1)
                data[key] = f"{domain}.{self.node}_{object_id}"
        data["node"] = self.node
        worker = envelope.get("context") or {}
        parent = worker.get("id") if isinstance(worker, dict) else None
        user = worker.get("user_id") if isinstance(worker, dict) else None
        # The envelope id as the context id: what the event causes is stored under it,
        # so a redelivery is recognised by the stores too (parking).
        context = Context(user_id=user, parent_id=parent, id=event_id)
        before = self._hub.async_writes_in_flight()
        try:
            self._hub.bus.async_fire(
                envelope["event_type"], data, origin=EventOrigin.remote, context=context
            )
        except HubError as err:  # an event type too long: not worth a redelivery
            self._runtime.bad_input.report(f"{self.root}/events", "bad node event", str(err)[:80])
        # Listeners ran inline and registered the durable writes they started: those
        # (not every write in flight: a backlog would make each event wait for all)
        # are committed, then the id is recorded, then the broker is told.
        started = self._hub.async_writes_in_flight() - before
        task = self._hub.loop.create_task(
            self._commit(event_id, started), name=f"commit {event_id}"
        )
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def _commit(self, event_id: str, writes: frozenset[asyncio.Future[Any]]) -> None:
        if writes:
            _done, stuck = await asyncio.wait(writes, timeout=WRITE_WAIT_TIMEOUT)
            if stuck:
                # A barrier does not wait longer either (Hub.async_wait_writes); the
                # event is acknowledged, and its write may still fail (docs/nodes.md).
                _LOGGER.warning(
                    "Node %s: event %s: %d writes not done after %.0f s; acknowledged",
                    self.node,
                    event_id,
                    len(stuck),
                    WRITE_WAIT_TIMEOUT,
                )
        try:
            await self._seen.async_record(event_id)
        except OSError:
            # A full or read-only disk must not stop the lanes: acknowledged anyway, at
            # the cost of a possible double after a kill (logged, so the operator sees why).
            _LOGGER.exception("Node %s: could not record event id %s", self.node, event_id)
        for ack in self._pending.pop(event_id, ()):
            ack()
