"""The example automations in the bundled config.yaml, with the integrations they call.

The helpers, the demo gates (`gate:`) and the notify panel (`notify:`) are set up from the
bundled config's own sections, on a frozen clock. Stood in for: the plate reader and the
parking integration (their `plate_detected` and `overstay` events are fired here), the
occupancy counter (`sensor.demo_free_spaces` is set), and Twilio (a local server speaking
its API, for the `owner_sms` notifier the config shows commented out).
tests/test_demo_lot.py runs the same examples in the whole demo lot, on the real clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.automations import async_setup_automations
from hub.bootstrap import LoadedConfig, load
from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations import notify
from hub.loader import import_integration
from tests.conftest import Clock, LogGuard
from tests.integrations.notify.receivers import FakeTwilio
from tests.web.conftest import AiohttpClient

BUNDLED = Path(__file__).resolve().parents[2] / "config.yaml"
# The integrations the examples call, set up from their bundled sections.
INTEGRATIONS = ("input_boolean", "counter", "gate", "notify")

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]


async def setup_bundled(hub: Hub, notify_config: dict[str, Any] | None = None) -> LoadedConfig:
    """The bundled config's integrations and automations; `notify_config` replaces its
    `notify:` section (validated the same way)."""
    loaded = await asyncio.to_thread(load, BUNDLED)
    for domain in INTEGRATIONS:
        module: Any = await asyncio.to_thread(import_integration, loaded.manifests[domain])
        section = loaded.sections[domain]
        if domain == "notify" and notify_config is not None:
            section = notify.CONFIG_SCHEMA(notify_config)
        await module.async_setup(hub, section)
    await async_setup_automations(hub, loaded.sections["automation"], BUNDLED)
    return loaded


async def panel(hub: Hub) -> list[dict[str, str]]:
    """What the notify panel shows, oldest first, once the hub has settled."""
    await hub.async_block_till_done()
    items = await hub.data["notify"].store.async_panel_list()
    return [{"title": item["title"], "message": item["message"]} for item in reversed(items)]


def recorded(hub: Hub, event_type: str) -> list[Event]:
    events: list[Event] = []
    hub.bus.async_listen(event_type, events.append)
    return events


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state is not None else None


LIST_KINDS = {"residents": "allow", "banned": "block"}  # the bundled lpr: lists


def plate(hub: Hub, text: str, **data: Any) -> None:
    """A plate_detected event shaped as the plate reader fires it (list and listed agree)."""
    event: dict[str, Any] = {
        "plate": text,
        "confidence": 0.95,
        "camera": "camera.entry",
        "direction": "entry",
    }
    event |= data
    event["listed"] = LIST_KINDS.get(event.get("list") or "", "none")
    hub.bus.async_fire("plate_detected", event)


async def test_barrier_opens_for_residents_only(hub: Hub, clock: Clock) -> None:
    loaded = await setup_bundled(hub)
    entry = loaded.sections["gate"][0]
    travel, hold = entry["travel_time"].total_seconds(), entry["auto_close"].total_seconds()
    commands = recorded(hub, "gate_command")
    assert state_of(hub, "gate.entry") == "closed"
    await hub.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.residents_auto_open"}
    )
    plate(hub, "KA01AB1234", list="residents")
    plate(hub, "MH12ZZ0001", list=None)  # a visitor, but the barrier is opening already
    plate(hub, "NL42RES", list="residents", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    assert state_of(hub, "gate.entry") == "opening"
    await clock.advance(travel)
    assert state_of(hub, "gate.entry") == "open"
    assert state_of(hub, "gate.exit") == "open"  # every car leaving gets the exit opened
    plate(hub, "NL42RES", list="residents")  # already open: nothing to do

    # The demo barrier closes by itself once the car is through; the next resident
    # opens it again.
    await clock.advance(hold + travel)
    assert state_of(hub, "gate.entry") == "closed"
    plate(hub, "NL42RES", list="residents")
    await clock.advance(travel)
    assert state_of(hub, "gate.entry") == "open"
    assert [(c.data["entity_id"], c.data["reason"], c.data["plate"]) for c in commands] == [
        ("gate.entry", "resident", "KA01AB1234"),
        ("gate.exit", "exit", "NL42RES"),
        ("gate.entry", "resident", "NL42RES"),
    ]

    await hub.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.residents_auto_open"}
    )
    await clock.advance(hold + travel)
    assert state_of(hub, "gate.entry") == "closed"
    plate(hub, "NL42RES", list="residents")  # automatic opening switched off
    await clock.advance(travel)
    assert state_of(hub, "gate.entry") == "closed"
    assert len(commands) == 3


async def test_visitors_come_in_and_banned_cars_do_not(hub: Hub, clock: Clock) -> None:
    await setup_bundled(hub)
    commands = recorded(hub, "gate_command")
    plate(hub, "PH12CAR", list="banned", confidence=0.91)
    await hub.async_block_till_done()
    assert state_of(hub, "gate.entry") == "closed"
    assert await panel(hub) == [
        {"title": "Banned car at the entry", "message": "PH12CAR was refused (0.91)"}
    ]
    plate(hub, "HD53HSG")  # on no list: a visitor
    await hub.async_block_till_done()
    assert state_of(hub, "gate.entry") == "opening"
    assert [(c.data["entity_id"], c.data["reason"], c.data["plate"]) for c in commands] == [
        ("gate.entry", "visitor", "HD53HSG")
    ]


async def test_overstay_texts_the_owner(
    hub: Hub, clock: Clock, aiohttp_server: AiohttpServer
) -> None:
    twilio = FakeTwilio()
    server = await aiohttp_server(twilio.app())
    notify_config = {
        "notifiers": [
            {"name": "panel", "platform": "panel"},
            {  # as the commented example in config.yaml, against the local Twilio
                "name": "owner_sms",
                "platform": "sms",
                "account_sid": twilio.sid,
                "auth_token": twilio.token,
                "from": "+3197010000000",
                "target": ["+31612345678"],
                "base_url": str(server.make_url("/")),
            },
        ]
    }
    await setup_bundled(hub, notify_config)
    hub.bus.async_fire("overstay", {"plate": "PH12CAR", "minutes": 25, "lot": "demo"})
    assert await panel(hub) == [{"title": "Overstay", "message": "PH12CAR has overstayed"}]
    assert twilio.messages == [
        {
            "To": "+31612345678",
            "From": "+3197010000000",
            "Body": "PH12CAR is 25 minutes over its time in demo",
        }
    ]


async def test_lot_full_warning_after_a_full_minute(hub: Hub, clock: Clock) -> None:
    await setup_bundled(hub)
    hub.states.async_set("sensor.demo_free_spaces", "2", {"total": 24})
    hub.states.async_set("sensor.demo_free_spaces", "0", {"total": 24})
    await clock.advance(seconds=30)
    hub.states.async_set("sensor.demo_free_spaces", "1", {"total": 24})  # a car left
    hub.states.async_set("sensor.demo_free_spaces", "0", {"total": 24})
    await clock.advance(seconds=59)
    assert await panel(hub) == []
    await clock.advance(seconds=1)
    assert await panel(hub) == [
        {"title": "Lot full", "message": "All 24 spaces are taken (since 08:00)"}
    ]


@pytest.mark.usefixtures("log_guard")
async def test_nightly_report_counts_the_day_and_resets(hub: Hub, clock: Clock) -> None:
    await setup_bundled(hub)
    hub.states.async_set("sensor.demo_free_spaces", "20", {"total": 24})
    for text in ("KA01AB1234", "MH12ZZ0001", "NL42RES"):
        plate(hub, text)
    plate(hub, "PH12CAR", direction="exit", camera="camera.exit")
    await clock.advance(hours=15)  # 23:00 in the hub's zone (UTC here)
    assert await panel(hub) == [
        {
            "title": "Report for Monday 02 March",
            "message": "3 cars came in today; 20 spaces are free now.",
        }
    ]
    assert state_of(hub, "counter.cars_today") == "0"


async def test_overstay_without_an_sms_account_reaches_the_panel(
    hub: Hub, clock: Clock, aiohttp_client: AiohttpClient, log_guard: LogGuard
) -> None:
    """The bundled config as it is (no SMS account): the panel's REST route shows it."""
    from hub.web import create_app, create_token

    token = await asyncio.to_thread(create_token, hub.data_dir, "test")
    app = create_app(hub)
    await setup_bundled(hub)
    client = await aiohttp_client(app, headers={"Authorization": f"Bearer {token}"})
    hub.bus.async_fire("overstay", {"plate": "PH12CAR", "minutes": 25})
    await hub.async_block_till_done()
    response = await client.get("/api/notify/panel")
    items = (await response.json())["notifications"]
    assert [(item["title"], item["message"]) for item in items] == [
        ("Overstay", "PH12CAR has overstayed")
    ]
    trace = hub.data["automation"].traces.get("overstay_sms")[0]
    assert trace["execution"] == "finished"
    assert trace["steps"][0]["error"] == "service notify.owner_sms not found"
