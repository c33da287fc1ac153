"""A worker node's side of the node protocol (`hub: node: west_gate`).

A worker's whole MQTT contract already lives under `<prefix>/nodes/<node>/` (config.py
moves its prefix there): states, the `status` birth and last will, plain gate commands.
This adds what a central hub needs to run parking and automations for it:

- `<root>/events`: the events the central needs (`plate_detected`, ...), QoS 1, each an
  envelope with a unique id, its type, data, time and context. One topic for all, so the
  broker keeps them in order (per node, hence per lane); the id lets the central drop a
  message the broker delivers twice. Each waits on disk until the broker has it
  (node_outbox.py): made while the worker has no broker, it goes out, oldest first,
  right after the next connect; `sensor.outbox_dropped` counts what a full outbox lost.
- `<root>/gate/<id>/command` in: `{"id", "command", "deadline", "context", ...}` from the
  central. Executed only before its `deadline` (Unix seconds: the boxes' clocks must be
  in step, NTP), because a command held by a broker or a queue while a box was away must
  never open a barrier for a car that left; `<root>/gate/<id>/reply` answers with
  `{"id", "executed", "state", "error"}` either way.
"""

from __future__ import annotations

import json
import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.context import Context, new_id
from hub.core.exceptions import HubError
from hub.core.json import json_bytes
from hub.entity import Entity

from .models import ReceiveMessage
from .node_outbox import Outbox

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["NODE_EVENTS", "SOURCE_CENTRAL", "NodeWorker", "OutboxSensor"]

_LOGGER = logging.getLogger(__name__)

# What the central hub needs to run parking, automations and notifications for the node.
# Occupancy travels as states (binary_sensor.<slot>), which are mirrored anyway.
NODE_EVENTS: Final = ("plate_detected", "gate_command", "anomaly")
# Gate commands the central sent: the central announced them itself, so the worker's own
# `gate_command` for them is not sent back (it would be counted twice).
SOURCE_CENTRAL: Final = "central"
_COMMANDS: Final = frozenset({"open", "close", "toggle"})
# Events kept on disk until the broker has them (newer ones dropped beyond).
OUTBOX_SIZE: Final = 10_000
# The outbox sensor's `waiting` attribute is refreshed at most this often.
SENSOR_INTERVAL: Final = 5.0


class NodeWorker:
    """Publishes the node's events and runs the central hub's gate commands."""

    def __init__(self, hub: Hub, runtime: MqttRuntime) -> None:
        self._hub = hub
        self._runtime = runtime
        self._root = runtime.config.prefix
        self._unsubs: list[CALLBACK_TYPE] = []
        self._outbox = Outbox(
            hub.data_dir / "mqtt_nodes" / "outbox",
            OUTBOX_SIZE,
            hub.async_add_executor_job,
            runtime.config.node or "",
        )
        self.sensor = OutboxSensor(self._outbox)

    async def async_start(self) -> None:
        await self._hub.async_add_executor_job(self._outbox.load)
        self._unsubs.append(self._runtime.async_on_connect(self._send_outbox))
        if self._runtime.is_connected():
            self._send_outbox()
        for event_type in NODE_EVENTS:
            self._unsubs.append(self._hub.bus.async_listen(event_type, self._on_event))
        self._unsubs.append(
            await self._runtime.async_subscribe(f"{self._root}/gate/+/command", self._on_command, 1)
        )

    async def async_flush(self) -> None:
        """Fsync what the outbox holds (stop calls it before `async_stop`)."""
        await self._outbox.async_flush()

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()
        self._outbox.close()

    def _send_outbox(self) -> None:
        # Called right after a connect, before any newer event can be published.
        client, outbox, topic = self._runtime.client, self._outbox, f"{self._root}/events"
        unsent = outbox.take_unsent()
        for index, (number, payload) in enumerate(unsent):
            if not client.publish_tracked(topic, payload, partial(outbox.acked, number)):
                # Gone in between: these go at the next connect (they are still waiting).
                outbox.requeue([n for n, _payload in unsent[index:]])
                return

    def _on_event(self, event: Event) -> None:
        if event.data.get("source") == SOURCE_CENTRAL:
            return
        envelope = {
            "id": new_id(),
            "event_type": event.event_type,
            "data": dict(event.data),
            "time_fired": event.time_fired_timestamp,
            "context": event.context.as_dict(),
        }
        # On disk (bounded) until the broker has it: survives a worker killed meanwhile.
        if self._outbox.add(json_bytes(envelope)) and self._runtime.is_connected():
            self._send_outbox()

    async def _on_command(self, message: ReceiveMessage) -> None:
        object_id = message.topic.split("/")[-2]
        entity_id = f"gate.{object_id}"
        bad = self._runtime.bad_input
        try:
            command: dict[str, Any] = json.loads(message.payload)
            command_id = str(command["id"])
            service = str(command["command"])
            deadline = float(command["deadline"])
            if service not in _COMMANDS:
                raise ValueError(f"command {service!r} (open, close or toggle)")
        except (ValueError, KeyError, TypeError) as err:
            bad.report(message.topic, "bad node gate command", str(err)[:80])
            return
        reply: dict[str, Any] = {"id": command_id, "executed": False, "error": None}
        late = time.time() - deadline
        if late > 0:
            # Held by a broker or a queue while a box was away: the car has gone.
            _LOGGER.warning(
                "Gate command %s for %s is %.1f s past its deadline: not executed",
                service,
                entity_id,
                late,
            )
            reply["error"] = "expired"
        elif self._hub.states.get(entity_id) is None:
            reply["error"] = f"no such gate: {entity_id}"
        else:
            parent = command.get("context") or {}
            context = Context(user_id=parent.get("user_id"), parent_id=parent.get("id"))
            data = {"entity_id": entity_id, "source": SOURCE_CENTRAL}
            for key in ("plate", "reason"):
                if isinstance(command.get(key), str):
                    data[key] = command[key]
            try:
                await self._hub.services.async_call("gate", service, data, context=context)
                reply["executed"] = True
            except HubError as err:
                reply["error"] = str(err)
        state = self._hub.states.get(entity_id)
        reply["state"] = state.state if state is not None else None
        self._runtime.async_publish(
            f"{self._root}/gate/{object_id}/reply", json_bytes(reply), 1, False
        )


class OutboxSensor(Entity):
    """`sensor.outbox_dropped` on a worker: events a full outbox dropped since start, with
    how many wait for the broker. The central mirrors it as `sensor.<node>_outbox_dropped`.
    Written at most once a second while events are dropped, and every SENSOR_INTERVAL."""

    domain: ClassVar[str] = "sensor"
    _attr_name = "Node outbox dropped"
    _attr_icon = "mdi:tray-alert"

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self.entity_id = "sensor.outbox_dropped"
        self._outbox = outbox
        self._cancels: list[CALLBACK_TYPE] = []
        self._cancel_update: CALLBACK_TYPE | None = None

    @property
    def state(self) -> int:
        return self._outbox.dropped

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return {"waiting": len(self._outbox), "limit": OUTBOX_SIZE}

    async def async_added_to_hub(self) -> None:
        self._outbox.on_drop = self._dropped
        self._cancels.append(
            self.hub.scheduler.async_track_interval(SENSOR_INTERVAL, self._refresh)
        )
        self.async_on_remove(self._stop)

    def _dropped(self) -> None:
        if self._cancel_update is None:
            self._cancel_update = self.hub.scheduler.async_call_later(1.0, self._refresh)

    def _refresh(self, _now: object) -> None:
        self._cancel_update = None
        self.async_write_state()

    def _stop(self) -> None:
        self._outbox.on_drop = None
        for cancel in [*self._cancels, self._cancel_update]:
            if cancel is not None:
                cancel()
        self._cancels, self._cancel_update = [], None
