"""The snapshot and MJPEG routes, with and without the overlays other integrations draw."""

from __future__ import annotations

import asyncio
from typing import Any

import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.integrations.camera import async_get_camera, async_register_overlay
from hub.web import create_app
from tests.states import get_state
from tests.web.conftest import AiohttpClient

from .conftest import FrameServer, setup_cameras, wait_until


def red_box(image: np.ndarray) -> None:
    cv2.rectangle(image, (10, 10), (110, 110), (0, 0, 255), -1)


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def is_red(pixel: np.ndarray) -> bool:
    blue, green, red = (int(c) for c in pixel)
    return red > 200 and blue < 60 and green < 60


async def make_client(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> TestClient[Any, Any]:
    app = create_app(hub)
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    return await aiohttp_client(app, headers={"Authorization": f"Bearer {token}"})


async def test_snapshot_with_and_without_overlays(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> None:
    client = await make_client(hub, frame_server, aiohttp_client, token)
    async_register_overlay(hub, "camera.gate", red_box)

    plain = await client.get("/api/camera/camera.gate/snapshot.jpg")
    assert plain.status == 200
    assert plain.content_type == "image/jpeg"
    image = await asyncio.to_thread(decode, await plain.read())
    assert image.shape == (240, 320, 3)
    assert not is_red(image[60, 60])

    drawn = await client.get("/api/camera/camera.gate/snapshot.jpg?overlays=1")
    image = await asyncio.to_thread(decode, await drawn.read())
    assert is_red(image[60, 60])
    assert not is_red(image[200, 300])
    # The overlay drew on a copy: the frame consumers see is untouched.
    camera = await async_get_camera(hub, "camera.gate")
    assert camera.latest_frame is not None
    assert not is_red(camera.latest_frame.image[60, 60])


async def test_unregistered_overlay_is_no_longer_drawn(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> None:
    client = await make_client(hub, frame_server, aiohttp_client, token)
    remove = async_register_overlay(hub, "camera.gate", red_box)
    remove()
    response = await client.get("/api/camera/camera.gate/snapshot.jpg?overlays=1")
    image = await asyncio.to_thread(decode, await response.read())
    assert not is_red(image[60, 60])


async def test_snapshot_errors(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> None:
    client = await make_client(hub, frame_server, aiohttp_client, token)
    missing = await client.get("/api/camera/camera.nope/snapshot.jpg")
    assert missing.status == 404
    assert "camera.nope" in (await missing.json())["error"]
    bad = await client.get("/api/camera/camera.gate/snapshot.jpg?overlays=maybe")
    assert bad.status == 400
    assert "overlays" in (await bad.json())["error"]
    anonymous = await client.get(
        "/api/camera/camera.gate/snapshot.jpg", headers={"Authorization": ""}
    )
    assert anonymous.status == 401


async def test_mjpeg_restream_with_overlays(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> None:
    client = await make_client(hub, frame_server, aiohttp_client, token)
    async_register_overlay(hub, "camera.gate", red_box)
    response = await client.get("/api/camera/camera.gate/stream.mjpeg?fps=10&overlays=1")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
    await wait_until(lambda: get_state(hub, "camera.gate").state == "streaming")

    parts: list[bytes] = []
    buffer = b""
    async with asyncio.timeout(5):
        while len(parts) < 3:
            buffer += await response.content.readany()
            while b"\r\n\r\n" in buffer:
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(rest) < length + 2:
                    break
                parts.append(rest[:length])
                buffer = rest[length + 2 :]
    response.close()
    images = [await asyncio.to_thread(decode, part) for part in parts]
    assert all(image.shape == (240, 320, 3) and is_red(image[60, 60]) for image in images)
    # The viewer left: the camera goes back to idle once the restream notices.
    await wait_until(lambda: get_state(hub, "camera.gate").state == "idle")


async def test_mjpeg_bad_fps(
    hub: Hub, frame_server: FrameServer, aiohttp_client: AiohttpClient, token: str
) -> None:
    client = await make_client(hub, frame_server, aiohttp_client, token)
    response = await client.get("/api/camera/camera.gate/stream.mjpeg?fps=fast")
    assert response.status == 400
    assert "fps" in (await response.json())["error"]


async def test_snapshot_of_a_camera_that_is_down(
    hub: Hub,
    frame_server: FrameServer,
    aiohttp_client: AiohttpClient,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hub.integrations.camera.http.SNAPSHOT_TIMEOUT", 0.3)
    frame_server.down = True
    client = await make_client(hub, frame_server, aiohttp_client, token)
    camera = await async_get_camera(hub, "camera.gate")
    await wait_until(lambda: camera.error is not None)
    response = await client.get("/api/camera/camera.gate/snapshot.jpg")
    assert response.status == 503
    error = (await response.json())["error"]
    assert error.startswith("camera.gate has no frame")
    assert "HTTP 503" in error
