"""Real frame servers on 127.0.0.1 for the camera tests: an MJPEG stream and a snapshot URL.

Both can be switched off (`server.down = True`): the stream cuts open connections and new
requests get a 503, like a camera that reboots.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.hub import Hub
from hub.integrations import camera
from hub.integrations.camera import worker
from hub.web import create_token

AiohttpServer = Callable[..., Awaitable[TestServer]]


def numbered_jpeg(number: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A frame whose mean brightness encodes `number` (0..20), so tests can tell frames apart."""
    width, height = size
    image = np.full((height, width, 3), 10 + 10 * (number % 21), np.uint8)
    cv2.putText(image, str(number), (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


@dataclass
class FrameServer:
    server: TestServer
    fps: float = 20.0
    down: bool = False
    served: int = 0
    requests: int = 0
    frames: list[bytes] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    def refuse_while_down(self) -> None:
        """A 503 for a new request while the test has the server down.

        A method rather than `if state.down: raise` in each handler: mypy would keep that
        check's narrowing (`down` is False) across the stream's awaits, and call the loop's
        exit, which a test reaches by setting `down`, unreachable.
        """
        if self.down:
            raise web.HTTPServiceUnavailable()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry a lost camera after 50 ms instead of a second, so tests stay quick."""
    monkeypatch.setattr(worker, "BACKOFF_INITIAL", 0.05)
    monkeypatch.setattr(worker, "BACKOFF_MAX", 0.2)


@pytest.fixture
async def frame_server(hub: Hub, aiohttp_server: AiohttpServer) -> AsyncIterator[FrameServer]:
    """Depends on `hub` so the cameras stop before the server does; open streams end at teardown."""
    frames = await asyncio.to_thread(lambda: [numbered_jpeg(n) for n in range(21)])
    holder: dict[str, FrameServer] = {}

    async def mjpeg(request: web.Request) -> web.StreamResponse:
        state = holder["state"]
        state.requests += 1
        state.refuse_while_down()
        response = web.StreamResponse(
            headers={"Content-Type": "multipart/x-mixed-replace; boundary=myboundary"}
        )
        await response.prepare(request)
        with_length = request.query.get("length", "1") == "1"
        while not state.down:
            jpeg = frames[state.served % len(frames)]
            state.served += 1
            head = "--myboundary\r\nContent-Type: image/jpeg\r\n"
            if with_length:
                head += f"Content-Length: {len(jpeg)}\r\n"
            await response.write(head.encode() + b"\r\n" + jpeg + b"\r\n")
            await asyncio.sleep(1 / state.fps)
        return response

    async def snapshot(request: web.Request) -> web.Response:
        state = holder["state"]
        state.refuse_while_down()
        state.served += 1
        if request.query.get("garbage"):
            return web.Response(body=b"<html>login</html>", content_type="text/html")
        return web.Response(body=frames[state.served % len(frames)], content_type="image/jpeg")

    async def private(request: web.Request) -> web.StreamResponse:
        """A camera that wants Basic auth (admin / secret) before it streams."""
        expected = "Basic " + base64.b64encode(b"admin:secret").decode()
        if request.headers.get("Authorization") != expected:
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Basic realm="camera"'})
        return await mjpeg(request)

    app = web.Application()
    app.router.add_get("/stream", mjpeg)
    app.router.add_get("/private", private)
    app.router.add_get("/snapshot.jpg", snapshot)
    server = await aiohttp_server(app, host="127.0.0.1")
    holder["state"] = FrameServer(server, frames=frames)
    yield holder["state"]
    holder["state"].down = True


async def setup_cameras(hub: Hub, *entries: dict[str, Any], **options: Any) -> None:
    await camera.async_setup(hub, camera.CONFIG_SCHEMA({"cameras": list(entries), **options}))


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll `condition` (real time: camera threads run on the real clock)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


@pytest.fixture
def token(hub: Hub) -> str:
    """An admin token for the camera routes (stored before the app starts)."""
    return create_token(hub.data_dir, "camera tests")
