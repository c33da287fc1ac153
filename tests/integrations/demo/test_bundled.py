"""The bundled config.yaml: the demo lot and its three cameras come up live and serve frames.

(Run from the copy a test machine can run: loopback ports, no announcing.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import cv2
import numpy as np

from hub.bootstrap import async_build_hub, load
from hub.web import create_token
from tests.bundled_config import write_test_config
from tests.conftest import LogGuard
from tests.mqtt_broker import free_port
from tests.states import get_state

CAMERAS = {"camera.overhead": (1280, 720), "camera.entry": (960, 540), "camera.exit": (960, 540)}


async def test_bundled_config_runs_the_demo_cameras(tmp_path: Path, log_guard: LogGuard) -> None:
    port = free_port()
    path = await asyncio.to_thread(write_test_config, tmp_path, port, free_port())
    loaded = await asyncio.to_thread(load, path)
    token = await asyncio.to_thread(create_token, tmp_path / "data", "test")
    hub = await async_build_hub(loaded, data_dir=tmp_path / "data", host="127.0.0.1")
    try:
        deadline = time.monotonic() + 20
        while any(
            (state := hub.states.get(camera)) is None or state.state not in ("idle", "streaming")
            for camera in CAMERAS
        ):
            assert time.monotonic() < deadline, [hub.states.get(c) for c in CAMERAS]
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
            for camera, (width, height) in CAMERAS.items():
                url = f"http://127.0.0.1:{port}/api/camera/{camera}/snapshot.jpg"
                async with session.get(url) as response:
                    assert response.status == 200
                    data = await response.read()
                image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                assert image is not None, f"{camera}: not an image"
                assert image.shape == (height, width, 3)
                assert get_state(hub, camera).attributes["resolution"] == f"{width}x{height}"
        # The demo's ground truth is there for tests, and agrees with its slots file.
        lot = hub.data["demo"].lot
        assert set(lot.occupied_slots()) <= set(lot.slot_polygons)
        assert len(lot.slot_polygons) == 24
    finally:
        await hub.async_stop()
