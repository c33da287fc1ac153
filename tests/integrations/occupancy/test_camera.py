"""Occupancy fed by a real camera: a snapshot server on 127.0.0.1 shows the lot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from aiohttp import web

from hub.core.hub import Hub
from hub.integrations import camera
from tests.states import get_state

from ..camera.conftest import AiohttpServer
from .conftest import SetupOccupancy
from .scenes import bays, draw_lot

BEFORE = [True, False, True, False, False, True]
AFTER = [True, True, True, False, False, False]


def _jpeg(occupied: list[bool], polygons: list[list[tuple[int, int]]]) -> bytes:
    ok, data = cv2.imencode(".jpg", draw_lot(occupied, polygons, seed=1))
    assert ok
    return data.tobytes()


async def _wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_slots_follow_what_the_camera_shows(
    hub: Hub, aiohttp_server: AiohttpServer, setup_occupancy: SetupOccupancy
) -> None:
    polygons = bays(columns=6, rows=1)
    pictures = await asyncio.to_thread(lambda: [_jpeg(BEFORE, polygons), _jpeg(AFTER, polygons)])
    showing = {"index": 0}

    async def snapshot(request: web.Request) -> web.Response:
        return web.Response(body=pictures[showing["index"]], content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/snapshot.jpg", snapshot)
    server = await aiohttp_server(app, host="127.0.0.1")
    await camera.async_setup(
        hub,
        camera.CONFIG_SCHEMA(
            {
                "cameras": [
                    {
                        "id": "lot",
                        "source": "snapshot",
                        "url": str(server.make_url("/snapshot.jpg")),
                        "interval": 0.05,
                    }
                ]
            }
        ),
    )
    config: dict[str, Any] = {
        "lots": {
            "yard": {
                "camera": "camera.lot",
                "fps": 20,
                "stable_for": 0.2,
                "slots": [
                    {"id": i + 1, "polygon": [list(p) for p in poly]}
                    for i, poly in enumerate(polygons)
                ],
            }
        }
    }
    await setup_occupancy(config)

    def states() -> list[str | None]:
        return [
            s.state if (s := hub.states.get(f"binary_sensor.yard_slot_{i + 1}")) else None
            for i in range(6)
        ]

    await _wait_until(lambda: states() == ["on" if t else "off" for t in BEFORE])
    assert get_state(hub, "sensor.yard_free_spaces").state == "3"
    showing["index"] = 1
    await _wait_until(lambda: states() == ["on" if t else "off" for t in AFTER])
    assert get_state(hub, "sensor.yard_free_spaces").state == "3"

    # The slots are drawn on the camera's restream, coloured by state.
    (draw,) = hub.data["camera"].overlays["camera.lot"]
    canvas = np.zeros((720, 1280, 3), np.uint8)
    await asyncio.to_thread(draw, canvas)
    occupied_edge = canvas[polygons[1][0][1], polygons[1][0][0] + 30]
    free_edge = canvas[polygons[3][0][1], polygons[3][0][0] + 30]
    assert tuple(occupied_edge) == (0, 0, 230)
    assert tuple(free_edge) == (0, 200, 0)
