"""Services: schemas that name the bad field, contexts, blocking and not."""

from __future__ import annotations

import asyncio

import pytest
import voluptuous as vol

from hub.core.bus import Event
from hub.core.const import EVENT_CALL_SERVICE
from hub.core.context import Context
from hub.core.exceptions import ServiceNotFound, ServiceValidationError
from hub.core.hub import Hub
from hub.core.services import ServiceCall

OPEN_SCHEMA = vol.Schema({vol.Required("entity_id"): str, vol.Optional("seconds", default=10): int})


async def test_call_runs_handler_with_validated_data_and_context(hub: Hub) -> None:
    calls: list[ServiceCall] = []
    hub.services.async_register("gate", "open", calls.append, OPEN_SCHEMA)
    context = Context(user_id="attendant")

    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"}, context=context)

    assert calls[0].data == {"entity_id": "gate.entry", "seconds": 10}
    assert calls[0].context is context


async def test_bad_data_names_the_field(hub: Hub) -> None:
    hub.services.async_register("gate", "open", lambda call: None, OPEN_SCHEMA)
    with pytest.raises(ServiceValidationError, match=r"gate\.open: seconds: expected int"):
        await hub.services.async_call("gate", "open", {"entity_id": "gate.x", "seconds": "ten"})
    with pytest.raises(ServiceValidationError, match="entity_id: required key not provided"):
        await hub.services.async_call("gate", "open", {})


async def test_unknown_service(hub: Hub) -> None:
    with pytest.raises(ServiceNotFound, match=r"service gate\.fly not found"):
        await hub.services.async_call("gate", "fly")


async def test_call_is_announced_and_returns_the_response(hub: Hub) -> None:
    events: list[Event] = []
    hub.bus.async_listen(EVENT_CALL_SERVICE, events.append)

    async def quote(call: ServiceCall) -> dict[str, int]:
        await asyncio.sleep(0)
        return {"fee": 250}

    hub.services.async_register("parking", "quote", quote)
    assert await hub.services.async_call("parking", "quote", {"plate": "X"}) == {"fee": 250}
    assert events[0].data == {
        "domain": "parking",
        "service": "quote",
        "service_data": {"plate": "X"},
    }


async def test_non_blocking_call_runs_in_the_background(hub: Hub) -> None:
    done = asyncio.Event()

    async def slow(call: ServiceCall) -> None:
        await asyncio.sleep(0.01)
        done.set()

    hub.services.async_register("notify", "sms", slow)
    assert await hub.services.async_call("notify", "sms", blocking=False) is None
    assert not done.is_set()
    await hub.async_block_till_done()
    assert done.is_set()


async def test_unregister(hub: Hub) -> None:
    remove = hub.services.async_register("gate", "open", lambda call: None)
    assert hub.services.has_service("gate", "open")
    remove()
    assert not hub.services.has_service("gate", "open")
    assert "gate" not in hub.services.async_services()
