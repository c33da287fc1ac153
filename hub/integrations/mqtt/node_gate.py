"""A worker node's gate, as the central hub sees it (`gate.west_gate_entry`).

`gate.open` on it sends `{"id", "command", "deadline", "context"}` to the worker at QoS 1
and waits for the worker's reply until the deadline. The worker executes it only before
the deadline, so a command stuck in a queue while a box was away never opens a barrier
later; the service call then fails here, which the caller (an automation) sees.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from hub.core.context import new_id
from hub.core.exceptions import HubError
from hub.core.json import json_bytes
from hub.integrations.gate.const import STATE_CLOSED, STATE_CLOSING, STATE_OPEN, STATE_OPENING
from hub.integrations.gate.entity import GateEntity

if TYPE_CHECKING:
    from .runtime import MqttRuntime

__all__ = ["NodeGate"]

_STATES = frozenset({STATE_OPEN, STATE_OPENING, STATE_CLOSED, STATE_CLOSING})


class NodeGate(GateEntity):
    """Mirrors one gate of a worker node; commands go back to the worker."""

    def __init__(
        self, runtime: MqttRuntime, node: str, root: str, object_id: str, timeout: float
    ) -> None:
        super().__init__()
        self._runtime = runtime
        self._node = node
        self._root = root
        self._object_id = object_id
        self._timeout = timeout
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.entity_id = f"gate.{node}_{object_id}"
        self._attr_name = None
        self._worker_attributes: dict[str, Any] = {}

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return {**self._worker_attributes, **super().extra_state_attributes, "node": self._node}

    def mirror(self, state: str | None, attributes: dict[str, Any], available: bool) -> None:
        """The worker reported its gate (or went away): show it."""
        self._worker_attributes = {
            key: value
            for key, value in attributes.items()
            if key not in ("last_command", "last_plate")
        }
        self._attr_available = available
        self.async_set_gate_state(state if state in _STATES else None)

    def reply(self, payload: dict[str, Any]) -> None:
        future = self._replies.pop(str(payload.get("id")), None)
        if future is not None and not future.done():
            future.set_result(payload)

    async def async_open(self) -> None:
        await self._send("open")

    async def async_close(self) -> None:
        await self._send("close")

    async def _send(self, command: str) -> None:
        if not self.available:
            # Its last will said it is gone: the command would only expire.
            raise HubError(f"{self.entity_id}: node {self._node} is offline")
        command_id = new_id()
        context = self._command_context
        message = {
            "id": command_id,
            "command": command,
            "deadline": time.time() + self._timeout,
            "context": context.as_dict() if context is not None else None,
            "plate": self._last_plate,
        }
        future: asyncio.Future[dict[str, Any]] = self.hub.loop.create_future()
        self._replies[command_id] = future
        topic = f"{self._root}/gate/{self._object_id}/command"
        self._runtime.async_publish(topic, json_bytes(message), 1, False)
        # asyncio.wait, not asyncio.timeout: a service handler may run outside a task.
        done, _ = await asyncio.wait({future}, timeout=self._timeout)
        self._replies.pop(command_id, None)
        if not done:
            future.cancel()
            raise HubError(
                f"{self.entity_id}: node {self._node} did not answer within "
                f"{self._timeout:g} s; the command expires unexecuted"
            )
        answer = future.result()
        if not answer.get("executed"):
            raise HubError(
                f"{self.entity_id}: node {self._node} did not {command}: {answer.get('error')}"
            )
