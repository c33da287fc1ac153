"""Occupancy on the demo lot's overhead frames, checked against the demo's ground truth."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from hub.core.hub import Hub
from hub.integrations import demo
from hub.integrations.occupancy.suggest import suggest_slots

from ...conftest import Clock
from .conftest import SetupOccupancy

REPO = Path(__file__).resolve().parents[3]


async def test_slots_match_the_demo_ground_truth(
    hub: Hub, clock: Clock, setup_occupancy: SetupOccupancy
) -> None:
    await demo.async_setup(hub, demo.CONFIG_SCHEMA({"seed": 7, "time_scale": 10}))
    truth = hub.data["demo"].lot
    lots = await setup_occupancy(
        {
            "lots": {
                "demo": {
                    "camera": "camera.overhead",
                    "slots_file": str(REPO / "hub/integrations/demo/slots.yaml"),
                    "model": str(REPO / "hub" / "integrations" / "demo" / "occupancy_model.json"),
                    "stable_for": 0,
                }
            }
        }
    )
    lot = lots["demo"]
    assert len(lot.slots) == 24
    agree = total = 0
    for _ in range(12):
        await clock.advance(seconds=45)  # 7.5 simulated minutes: cars come and go
        now = hub.scheduler.timestamp()
        await lot.async_process_frame(await asyncio.to_thread(truth.render, "overhead", now))
        parked, moving = truth.occupied_slots(now), truth.driving(now)
        for slot in lot.slots:
            if slot.id in moving:
                continue  # half in, half out: either answer is fair
            state = hub.states.get(f"binary_sensor.demo_slot_{slot.id}")
            assert state is not None
            agree += state.state == ("on" if slot.id in parked else "off")
            total += 1
    assert agree / total >= 0.95, f"{agree}/{total} slots agree with the demo's ground truth"
    free = hub.states.get("sensor.demo_free_spaces")
    assert free is not None
    assert free.attributes["total"] == 24


async def test_slots_match_the_demo_ground_truth_at_night(
    hub: Hub, clock: Clock, setup_occupancy: SetupOccupancy
) -> None:
    """With `day_night: true` the lot is dark but for lamp pools; the bundled demo
    calibration (fitted by day and night) still reads it."""
    config = {"seed": 7, "time_scale": 60, "day_night": True}
    await demo.async_setup(hub, demo.CONFIG_SCHEMA(config))
    truth = hub.data["demo"].lot
    lots = await setup_occupancy(
        {
            "lots": {
                "demo": {
                    "camera": "camera.overhead",
                    "slots_file": str(REPO / "hub/integrations/demo/slots.yaml"),
                    "model": str(REPO / "hub" / "integrations" / "demo" / "occupancy_model.json"),
                    "stable_for": 0,
                }
            }
        }
    )
    lot = lots["demo"]
    for _ in range(4):  # at most a simulated day to the next night
        if truth.darkness() >= 0.99:
            break
        await clock.advance(seconds=360)  # six simulated hours
    assert truth.darkness() >= 0.99
    agree = total = 0
    for _ in range(8):
        await clock.advance(seconds=15)  # 15 simulated minutes
        now = hub.scheduler.timestamp()
        if truth.darkness(now) < 0.99:
            break
        await lot.async_process_frame(await asyncio.to_thread(truth.render, "overhead", now))
        parked, moving = truth.occupied_slots(now), truth.driving(now)
        for slot in lot.slots:
            if slot.id in moving:
                continue
            state = hub.states.get(f"binary_sensor.demo_slot_{slot.id}")
            assert state is not None
            agree += state.state == ("on" if slot.id in parked else "off")
            total += 1
    assert total >= 24 * 3
    assert agree / total >= 0.95, f"{agree}/{total} slots agree with the demo's ground truth"


async def test_suggested_slots_cover_the_demo_spaces(hub: Hub, clock: Clock) -> None:
    await demo.async_setup(hub, demo.CONFIG_SCHEMA({"seed": 7, "time_scale": 10}))
    truth = hub.data["demo"].lot
    start = hub.scheduler.timestamp()
    frames = [
        await asyncio.to_thread(truth.render, "overhead", start + minutes * 60)
        for minutes in (0, 4, 8)
    ]
    suggested = await asyncio.to_thread(suggest_slots, frames)

    def overlap(a: list[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
        canvas_a = np.zeros((720, 1280), np.uint8)
        canvas_b = np.zeros_like(canvas_a)
        cv2.fillPoly(canvas_a, [np.array(a, np.int32)], 1)
        cv2.fillPoly(canvas_b, [np.array(b, np.int32)], 1)
        return float((canvas_a & canvas_b).sum() / max(1, (canvas_a | canvas_b).sum()))

    found = [
        any(overlap(polygon, slot.polygon) > 0.6 for slot in suggested)
        for polygon in truth.slot_polygons.values()
    ]
    assert sum(found) >= 20, f"{sum(found)} of 24 spaces proposed"
    assert len(suggested) <= 26
