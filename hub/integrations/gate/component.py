"""The gate domain at run time: every gate entity by id, and the services that drive them.

Backends in other integrations (mqtt discovery) add their gates through `async_add_gates`,
which sets the domain up on first use, so the services exist whichever came first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.entity import async_add_entities
from hub.web.schema_doc import documented

from .const import (
    ATTR_PLATE,
    ATTR_REASON,
    ATTR_SOURCE,
    COMMAND_CLOSE,
    COMMAND_OPEN,
    DOMAIN,
    EVENT_GATE_COMMAND,
    SERVICE_CLOSE,
    SERVICE_OPEN,
    SERVICE_TOGGLE,
)
from .entity import GateEntity

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["GateComponent", "async_add_gates", "async_get_component"]

_LOGGER = logging.getLogger(__name__)

_FULL_SCHEMA = vol.Schema(
    {
        vol.Required("entity_id"): cv.entity_ids,
        # Why: shown in the panel and the gate_command event ("resident KA01AB1234").
        vol.Optional(ATTR_REASON): cv.string,
        vol.Optional(ATTR_PLATE): cv.string,
        # Who asked, when not a user or automation context: "mqtt", "keypad"...
        vol.Optional(ATTR_SOURCE): cv.string,
    }
)
_TEXT_KEYS = frozenset({ATTR_REASON, ATTR_PLATE, ATTR_SOURCE})
_ENTITY_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


@documented(_FULL_SCHEMA)
def _service_data(data: Any) -> dict[str, Any]:
    """`_FULL_SCHEMA`, with a fast path for the usual call (one entity id, text fields).

    A gate command is latency bound (bench/mqtt.py), and voluptuous walks a dict schema
    at some 15 us on a cold cache; anything unusual, and every error message, still goes
    through the full schema.
    """
    if type(data) is dict:
        entity_id = data.get("entity_id")
        if (
            type(entity_id) is str
            and _ENTITY_ID.match(entity_id)
            and all(
                key == "entity_id" or (key in _TEXT_KEYS and type(value) is str)
                for key, value in data.items()
            )
        ):
            return {**data, "entity_id": [entity_id]}
    result: dict[str, Any] = _FULL_SCHEMA(data)
    return result


SERVICE_SCHEMA = vol.Schema(_service_data)


class GateComponent:
    """What `hub.data["gate"]` holds: the gates, by entity id."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.gates: dict[str, GateEntity] = {}
        for service in (SERVICE_OPEN, SERVICE_CLOSE, SERVICE_TOGGLE):
            hub.services.async_register(
                DOMAIN,
                service,
                self._async_handle,
                SERVICE_SCHEMA,
                description=f"{service.title()} one or more gates",
            )

    async def _async_handle(self, call: ServiceCall) -> None:
        gates = []
        for entity_id in call.data["entity_id"]:
            gate = self.gates.get(entity_id)
            if gate is None:
                raise ServiceValidationError(f"entity_id: {entity_id} is not a gate")
            gates.append(gate)
        # A parking session started by the same plate read is on disk before a barrier
        # moves (Hub.async_track_write); no wait at all when nothing is being written.
        await self.hub.async_wait_writes()
        for gate in gates:
            command = call.service
            if command == SERVICE_TOGGLE:
                command = COMMAND_CLOSE if gate.is_open_or_opening else COMMAND_OPEN
            data = {
                "entity_id": gate.entity_id,
                "command": command,
                "service": call.service,
                ATTR_REASON: call.data.get(ATTR_REASON),
                ATTR_PLATE: call.data.get(ATTR_PLATE),
                ATTR_SOURCE: call.data.get(ATTR_SOURCE),
            }
            # Sent first, announced after: the event means the barrier was told, and the
            # announcement does not delay the command.
            await gate.async_command(command, call.context, call.data.get(ATTR_PLATE))
            self.hub.bus.async_fire(EVENT_GATE_COMMAND, data, context=call.context)


def async_get_component(hub: Hub) -> GateComponent:
    component = hub.data.get(DOMAIN)
    if not isinstance(component, GateComponent):
        component = hub.data[DOMAIN] = GateComponent(hub)
    return component


async def async_add_gates(hub: Hub, platform: str, gates: Iterable[GateEntity]) -> None:
    """Add gate entities (any backend); `gate.open/close/toggle` can then drive them."""
    component = async_get_component(hub)
    gates = list(gates)
    await async_add_entities(hub, platform, gates)
    for gate in gates:
        component.gates[gate.entity_id] = gate

        def forget(entity_id: str = gate.entity_id) -> None:
            component.gates.pop(entity_id, None)

        gate.async_on_remove(forget)
