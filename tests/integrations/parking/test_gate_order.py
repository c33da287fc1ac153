"""A session is written before the gate opens: plate read -> automation -> gate.open over a
real HTTP relay, and the relay, when it is told to open, finds the session row committed
in parking.db (read through a connection of its own)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.hub import Hub
from hub.loader import async_setup_integrations, config_schema, find_integrations
from tests.conftest import Clock

from .conftest import LOT, db_rows, recorded, state
from .payloads import read_plate

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]

AUTOMATIONS = [
    {
        "id": "open_for_residents",
        "triggers": [{"trigger": "plate", "camera": "camera.entry", "list": "residents"}],
        "actions": [
            {
                "action": "gate.open",
                "target": {"entity_id": "gate.entry"},
                "data": {"plate": "{{ trigger.plate }}"},
            }
        ],
        "mode": "queued",
    }
]


async def setup_in_order(hub: Hub, raw: dict[str, Any]) -> set[str]:
    """Validate each section and set them up as bootstrap does, in the manifests' order."""
    manifests = await asyncio.to_thread(find_integrations)
    config = {}
    for domain, section in raw.items():
        schema = await asyncio.to_thread(config_schema, manifests[domain])
        config[domain] = schema(section) if schema is not None else section
    return await async_setup_integrations(hub, config, manifests)


async def test_session_is_committed_before_the_barrier_is_told(
    hub: Hub, clock: Clock, aiohttp_server: AiohttpServer
) -> None:
    seen_by_relay: list[dict[str, Any]] = []
    started = recorded(hub, "parking_session_started")

    async def relay(request: web.Request) -> web.Response:
        seen_by_relay.append(
            {"announced": len(started), "rows": await db_rows(hub), "query": request.query_string}
        )
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_get("/relay/open", relay)
    server = await aiohttp_server(app)

    raw: dict[str, Any] = {
        # Listed before parking on purpose: the manifests, not this order, decide.
        "automation": AUTOMATIONS,
        "gate": [
            {"id": "entry", "backend": "http", "open_url": str(server.make_url("/relay/open"))}
        ],
        "parking": LOT,
    }
    loaded = await setup_in_order(hub, raw)
    assert loaded == {"automation", "gate", "parking"}

    read_plate(hub, "NL42RES", list="residents", listed="allow")
    await hub.async_block_till_done()

    [at_open] = seen_by_relay
    [row] = at_open["rows"]
    assert (row["plate"], row["status"], row["list"]) == ("NL42RES", "open", "residents")
    assert at_open["announced"] == 1  # the started event fires after the commit
    assert state(hub, "sensor.demo_active_sessions") == "1"
    assert started[0].data["id"] == row["id"]


async def test_demo_barrier_moves_only_after_the_commit(hub: Hub, clock: Clock) -> None:
    """The demo gate starts moving inline when told: without the wait it would move while
    the plate event is still being dispatched, before any write could finish."""
    started = recorded(hub, "parking_session_started")
    announced_when_moving: list[int] = []

    def on_gate(event: Any) -> None:
        if event.data["new_state"].state == "opening":
            announced_when_moving.append(len(started))

    hub.states.async_track("gate.entry", on_gate)
    gate = [{"id": "entry", "backend": "demo"}]
    await setup_in_order(hub, {"automation": AUTOMATIONS, "gate": gate, "parking": LOT})

    read_plate(hub, "NL42RES", list="residents", listed="allow")
    await hub.async_block_till_done()
    assert announced_when_moving == [1]
    await clock.advance(seconds=5)
    assert state(hub, "gate.entry") == "open"
