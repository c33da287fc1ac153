"""The example automations in the bundled config.yaml, run against stand-in services.

The gate and notify integrations are not needed: `gate.open`, `notify.panel` and
`notify.owner_sms` are registered here as recording stand-ins, the plate reader and the
parking integration are stood in for by firing `plate_detected` and `overstay`, and the
occupancy counter by setting `sensor.demo_free_spaces`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hub.automations import async_setup_automations
from hub.bootstrap import load
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.loader import import_integration
from tests.conftest import Clock

BUNDLED = Path(__file__).resolve().parents[2] / "config.yaml"


class StandIns:
    """Records calls of the services the examples use."""

    def __init__(self, hub: Hub, services: list[str]) -> None:
        self.calls: list[ServiceCall] = []
        for name in services:
            domain, service = name.split(".")
            hub.services.async_register(domain, service, self.calls.append)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [dict(c.data) for c in self.calls if f"{c.domain}.{c.service}" == name]


async def setup_bundled(hub: Hub, clock: Clock, services: list[str]) -> StandIns:
    loaded = await asyncio.to_thread(load, BUNDLED)
    stand_ins = StandIns(hub, services)
    for domain in ("input_boolean", "counter"):
        module: Any = await asyncio.to_thread(import_integration, loaded.manifests[domain])
        await module.async_setup(hub, loaded.sections[domain])
    await async_setup_automations(hub, loaded.sections["automation"], BUNDLED)
    return stand_ins


ALL = ["gate.open", "notify.panel", "notify.owner_sms"]


def plate(hub: Hub, text: str, **data: Any) -> None:
    event = {"plate": text, "confidence": 0.95, "camera": "camera.entry", "direction": "entry"}
    hub.bus.async_fire("plate_detected", {**event, **data})


async def test_barrier_opens_for_residents_only(hub: Hub, clock: Clock) -> None:
    stand_ins = await setup_bundled(hub, clock, ALL)
    hub.states.async_set("gate.entry", "closed")
    await hub.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.residents_auto_open"}
    )
    plate(hub, "KA01AB1234", list="residents")
    plate(hub, "MH12ZZ0001", list=None)
    plate(hub, "NL42RES", list="residents", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    assert stand_ins.of("gate.open") == [
        {"entity_id": "gate.entry", "reason": "resident", "plate": "KA01AB1234"}
    ]

    hub.states.async_set("gate.entry", "open")  # already open: nothing to do
    plate(hub, "NL42RES", list="residents")
    await hub.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.residents_auto_open"}
    )
    hub.states.async_set("gate.entry", "closed")
    plate(hub, "NL42RES", list="residents")  # automatic opening switched off
    await hub.async_block_till_done()
    assert len(stand_ins.of("gate.open")) == 1


async def test_overstay_texts_the_owner(hub: Hub, clock: Clock) -> None:
    stand_ins = await setup_bundled(hub, clock, ALL)
    hub.bus.async_fire("overstay", {"plate": "PH12CAR", "minutes": 25, "lot": "demo"})
    await hub.async_block_till_done()
    assert stand_ins.of("notify.owner_sms") == [
        {"message": "PH12CAR is 25 minutes over its time in demo"}
    ]
    assert stand_ins.of("notify.panel") == [
        {"title": "Overstay", "message": "PH12CAR has overstayed"}
    ]


async def test_overstay_without_an_sms_account_still_reaches_the_panel(
    hub: Hub, clock: Clock
) -> None:
    stand_ins = await setup_bundled(hub, clock, ["notify.panel"])
    hub.bus.async_fire("overstay", {"plate": "PH12CAR"})
    await hub.async_block_till_done()
    assert stand_ins.of("notify.panel") == [
        {"title": "Overstay", "message": "PH12CAR has overstayed"}
    ]
    trace = hub.data["automation"].traces.get("overstay_sms")[0]
    assert trace["execution"] == "finished"
    assert trace["steps"][0]["error"] == "service notify.owner_sms not found"


async def test_lot_full_warning_after_a_full_minute(hub: Hub, clock: Clock) -> None:
    stand_ins = await setup_bundled(hub, clock, ALL)
    hub.states.async_set("sensor.demo_free_spaces", "2", {"total": 24})
    hub.states.async_set("sensor.demo_free_spaces", "0", {"total": 24})
    await clock.advance(seconds=30)
    hub.states.async_set("sensor.demo_free_spaces", "1", {"total": 24})  # a car left
    hub.states.async_set("sensor.demo_free_spaces", "0", {"total": 24})
    await clock.advance(seconds=59)
    assert stand_ins.of("notify.panel") == []
    await clock.advance(seconds=1)
    assert stand_ins.of("notify.panel") == [
        {"title": "Lot full", "message": "All 24 spaces are taken (since 08:00)"}
    ]


@pytest.mark.usefixtures("log_guard")
async def test_nightly_report_counts_the_day_and_resets(hub: Hub, clock: Clock) -> None:
    stand_ins = await setup_bundled(hub, clock, ALL)
    hub.states.async_set("sensor.demo_free_spaces", "20", {"total": 24})
    for text in ("KA01AB1234", "MH12ZZ0001", "NL42RES"):
        plate(hub, text)
    plate(hub, "PH12CAR", direction="exit", camera="camera.exit")
    await clock.advance(hours=15)  # 23:00 in the hub's zone (UTC here)
    assert stand_ins.of("notify.panel") == [
        {
            "title": "Report for Monday 02 March",
            "message": "3 cars came in today; 20 spaces are free now.",
        }
    ]
    state = hub.states.get("counter.cars_today")
    assert state is not None
    assert state.state == "0"


async def test_overstay_reaches_the_real_panel(
    hub: Hub, clock: Clock, aiohttp_client: Any, log_guard: Any
) -> None:
    """With the real notify integration from the bundled config: the panel shows it."""
    from hub.web import create_app, create_token

    loaded = await asyncio.to_thread(load, BUNDLED)
    token = await asyncio.to_thread(create_token, hub.data_dir, "test")
    app = create_app(hub)
    for domain in ("notify", "input_boolean", "counter", "automation"):
        module: Any = await asyncio.to_thread(import_integration, loaded.manifests[domain])
        await module.async_setup(hub, loaded.sections[domain])
    client = await aiohttp_client(app, headers={"Authorization": f"Bearer {token}"})
    hub.bus.async_fire("overstay", {"plate": "PH12CAR", "minutes": 25})
    await clock.advance(seconds=1)
    async with asyncio.timeout(5):
        while True:  # delivery to the panel is one write to the outbox's SQLite file
            response = await client.get("/api/notify/panel")
            items = (await response.json())["notifications"]
            if items:
                break
            await clock.advance(seconds=1)
    assert [(item["title"], item["message"]) for item in items] == [
        ("Overstay", "PH12CAR has overstayed")
    ]
    trace = hub.data["automation"].traces.get("overstay_sms")[0]
    assert trace["execution"] == "finished"
    assert trace["steps"][0]["error"] == "service notify.owner_sms not found"
