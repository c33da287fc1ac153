"""A resident's GET /api/states: availability only, without plates, and always current."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.core.hub import Hub

from .accounts import async_add_user, bearer
from .conftest import AiohttpClient


async def test_resident_states_are_availability_without_plates_and_follow_changes(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient
) -> None:
    rita = bearer(await async_add_user(hub.data_dir, "rita", "resident"))
    client = await aiohttp_client(app, headers=rita)
    hub.states.async_set("binary_sensor.demo_slot_a1", "on", {"plate": "KA01AB1234"})
    hub.states.async_set("sensor.demo_free_spaces", "11", {"total": 12})
    hub.states.async_set("gate.entry", "closed")

    async def shown() -> dict[str, Any]:
        states = await (await client.get("/api/states")).json()
        return {state["entity_id"]: (state["state"], state["attributes"]) for state in states}

    assert await shown() == {
        "binary_sensor.demo_slot_a1": ("on", {}),
        "sensor.demo_free_spaces": ("11", {"total": 12}),
    }
    hub.states.async_set("binary_sensor.demo_slot_a1", "off", {"plate": None})
    hub.states.async_set("sensor.demo_free_spaces", "12", {"total": 12})
    assert await shown() == {
        "binary_sensor.demo_slot_a1": ("off", {}),
        "sensor.demo_free_spaces": ("12", {"total": 12}),
    }
    gzipped = await client.get("/api/states", headers={"Accept-Encoding": "gzip"})
    assert gzipped.status == 200
    one = await client.get("/api/states/binary_sensor.demo_slot_a1")
    assert (await one.json())["attributes"] == {}
    assert (await client.get("/api/states/gate.entry")).status == 404
