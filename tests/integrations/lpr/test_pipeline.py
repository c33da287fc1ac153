"""Demo frames through the real pipeline: camera -> motion -> reader -> vote -> event."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hub.core.context import Context
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from tests.conftest import Clock

from .lpr_setup import LANE_ZONE, RESIDENT, record, setup_demo_lpr, use_shared_engine, wait_for


@pytest.fixture(autouse=True)
async def engine(monkeypatch: pytest.MonkeyPatch) -> None:
    await use_shared_engine(monkeypatch)


async def test_a_resident_arriving_fires_one_plate_detected(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo_lpr(hub)
    events = record(hub)
    first = next(visit for visit in lot.visits(clock.now().timestamp() + 60) if visit.arrive > 0)
    assert first.car.plate == RESIDENT
    arrive = lot._start + first.arrive / lot.time_scale  # hub time it stops at the barrier
    await clock.advance(arrive - 1.2 - clock.now().timestamp())
    truth = lot.lane_car("entry")
    assert truth is not None
    assert truth.plate_box is not None
    await wait_for(events)
    await asyncio.sleep(1.0)  # more frames of the same car: still one event
    await hub.async_block_till_done()
    [event] = events
    data: dict[str, Any] = dict(event.data)
    assert data["plate"] == truth.plate == RESIDENT
    assert data["camera"] == "camera.entry"
    assert data["direction"] == "entry"
    assert (data["list"], data["listed"]) == ("residents", "allow")
    assert data["confidence"] > 0.8
    x, y, w, h = data["box"]
    tx, ty, tw, th = truth.plate_box
    assert abs(x + w / 2 - (tx + tw / 2)) < tw / 4
    assert abs(y + h / 2 - (ty + th / 2)) < th
    assert await asyncio.to_thread(Path(data["snapshot"]).is_file)
    assert await asyncio.to_thread(Path(data["crop"]).is_file)
    assert event.context.parent_id is None

    sensor = hub.states.get("sensor.entry_last_plate")
    assert sensor is not None
    assert sensor.state == RESIDENT
    assert sensor.context == event.context
    assert sensor.attributes["listed"] == "allow"
    assert sensor.attributes["list"] == "residents"
    assert sensor.attributes["direction"] == "entry"
    assert sensor.attributes["snapshot"].startswith("/api/lpr/media/")
    other = hub.states.get("sensor.exit_last_plate")
    assert other is not None
    assert other.state == "unknown"


async def test_scan_reads_now_without_motion(hub: Hub, clock: Clock) -> None:
    # A threshold no frame difference reaches: only lpr.scan makes the reader look.
    lot = await setup_demo_lpr(hub, cameras=[_still_camera("camera.entry")])
    events = record(hub)
    first = next(visit for visit in lot.visits(clock.now().timestamp() + 60) if visit.arrive > 0)
    await clock.advance(lot._start + first.arrive / lot.time_scale + 1 - clock.now().timestamp())
    await asyncio.sleep(0.5)
    await hub.async_block_till_done()
    assert events == []
    call_context = Context()
    result = await hub.services.async_call(
        "lpr", "scan", {"camera": "camera.entry"}, context=call_context
    )
    [found] = result["camera.entry"]
    assert found["plate"] == RESIDENT
    [event] = events
    assert event.data["plate"] == RESIDENT
    assert event.context.parent_id == call_context.id
    # Scanning the same car again is the same pass: no second event.
    await hub.services.async_call("lpr", "scan", {})
    assert len(events) == 1
    with pytest.raises(ServiceValidationError, match=r"camera\.exit is not watched"):
        await hub.services.async_call("lpr", "scan", {"camera": "camera.exit"})


def _still_camera(entity_id: str) -> dict[str, Any]:
    return {"camera": entity_id, "role": "entry", "zone": LANE_ZONE, "motion_threshold": 255}
