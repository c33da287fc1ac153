"""The demo's views through the camera integration, exactly as a real camera's frames."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.integrations import camera
from hub.integrations.camera import Frame, async_add_camera, async_get_camera
from tests.conftest import Clock

from .conftest import read_plate, setup_demo


async def _frame_at(cam: camera.CameraEntity, timestamp: float) -> Frame:
    """The first frame taken at hub time `timestamp` (earlier ones may still be on their way)."""
    frames: list[Frame] = []
    unsubscribe = cam.async_subscribe_frames(frames.append, fps=10)
    deadline = time.monotonic() + 10
    while not any(frame.timestamp == timestamp for frame in frames):
        assert time.monotonic() < deadline, "no frame"
        await asyncio.sleep(0.02)
    unsubscribe()
    return next(frame for frame in frames if frame.timestamp == timestamp)


async def test_demo_cameras_show_the_lot(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=2, arrivals_per_hour=40)
    cameras = [
        {"id": "overhead", "source": "demo", "view": "overhead", "fps": 2},
        {"id": "entry", "source": "demo", "view": "entry"},
        {"id": "exit", "source": "demo", "view": "exit"},
    ]
    await camera.async_setup(hub, camera.CONFIG_SCHEMA({"cameras": cameras}))

    # Move the hub clock to a moment when a car waits at the entry barrier.
    start = clock.now().timestamp()
    wait = next(
        s
        for s in range(0, 3600)
        if (c := lot.lane_car("entry", start + s)) and c.phase == "waiting"
    )
    await clock.advance(seconds=wait)

    entry = await async_get_camera(hub, "camera.entry")
    frame = await _frame_at(entry, clock.now().timestamp())
    car = lot.lane_car("entry", frame.timestamp)
    assert car is not None
    assert car.plate_box is not None
    assert read_plate(frame.image, car.plate_box) == car.plate

    overhead = await async_get_camera(hub, "camera.overhead")
    frame = await _frame_at(overhead, clock.now().timestamp())
    expected = await asyncio.to_thread(lot.render, "overhead", frame.timestamp)
    assert np.array_equal(frame.image, expected)
    state = hub.states.get("camera.overhead")
    assert state is not None
    assert state.attributes["resolution"] == "1280x720"
    assert state.attributes["source"] == "demo"


async def test_demo_camera_needs_the_demo(hub: Hub) -> None:
    await camera.async_setup(hub, camera.CONFIG_SCHEMA({}))
    with pytest.raises(HubError, match="needs the demo integration"):
        await async_add_camera(hub, {"id": "lot", "source": "demo", "view": "overhead"})
