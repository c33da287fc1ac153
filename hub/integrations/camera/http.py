"""The camera routes: a JPEG snapshot and an MJPEG restream, with overlays on request.

`GET /api/camera/{entity_id}/snapshot.jpg[?overlays=1]` and
`GET /api/camera/{entity_id}/stream.mjpeg[?fps=5&overlays=1]`. Encoding (and drawing the
overlays other integrations registered) happens in a worker thread on a copy of the
frame; the restream is a frame subscription like any other, so a slow viewer only drops
frames and never slows the camera or the other viewers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import cv2
import voluptuous as vol
from aiohttp import web

from hub import web as hub_web
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.web.api_doc import api_doc
from hub.web.helpers import HUB_KEY, json_error

from .const import DEFAULT_STREAM_FPS, DOMAIN, SNAPSHOT_MAX_AGE, SNAPSHOT_TIMEOUT
from .frame import Frame, Image

if TYPE_CHECKING:
    from . import CameraData
    from .entity import CameraEntity

__all__ = ["async_register_routes", "encode_jpeg"]

_LOGGER = logging.getLogger(__name__)

SNAPSHOT_PATH: Final = "/api/camera/{entity_id}/snapshot.jpg"
STREAM_PATH: Final = "/api/camera/{entity_id}/stream.mjpeg"
BOUNDARY: Final = "frame"
MAX_STREAM_FPS: Final = 30.0
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})

Drawer = Callable[[Image], None]


def encode_jpeg(image: Image, drawers: Sequence[Drawer], quality: int) -> bytes:
    """JPEG bytes of `image` with each drawer applied to a copy (worker thread)."""
    if drawers:
        image = image.copy()
        for draw in drawers:
            try:
                draw(image)
            except Exception:  # one broken overlay must not take the picture down
                _LOGGER.exception("Camera overlay %r failed", draw)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise HubError("JPEG encoding failed")
    return data.tobytes()


def _flag(request: web.Request, key: str) -> bool:
    value = request.query.get(key, "0").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise web.HTTPBadRequest(text=f"{key} must be 1 or 0, got {value!r}")


def _runtime(request: web.Request) -> tuple[Hub, CameraData]:
    hub = request.app[HUB_KEY]
    data: CameraData = hub.data[DOMAIN]
    return hub, data


def _camera(data: CameraData, request: web.Request) -> CameraEntity | None:
    return data.cameras.get(request.match_info["entity_id"])


def _drawers(data: CameraData, entity_id: str, wanted: bool) -> list[Drawer]:
    return list(data.overlays.get(entity_id, ())) if wanted else []


class NoFrame(HubError):
    """The camera has no frame to show right now (it is down or has not started)."""


async def async_snapshot_jpeg(
    hub: Hub, data: CameraData, camera: CameraEntity, overlays: bool
) -> bytes:
    """The camera's picture now as JPEG: the latest frame if fresh, else the next one.

    NoFrame names the camera and why it is down when no frame comes within the timeout.
    """
    frame = await camera.async_get_frame(max_age=SNAPSHOT_MAX_AGE, wait=SNAPSHOT_TIMEOUT)
    if frame is None:
        why = f" ({camera.error})" if camera.error else ""
        raise NoFrame(f"{camera.entity_id} has no frame{why}")
    return await hub.async_add_executor_job(
        encode_jpeg, frame.image, _drawers(data, camera.entity_id, overlays), data.jpeg_quality
    )


@api_doc(
    "The camera's current frame as JPEG",
    tag="camera",
    query={vol.Optional("overlays", description="1: draw slots and plates"): str},
    response={"type": "string", "format": "binary"},
    content_type="image/jpeg",
    errors=(400, 404, 503),
)
async def _snapshot(request: web.Request) -> web.StreamResponse:
    hub, data = _runtime(request)
    camera = _camera(data, request)
    if camera is None:
        return json_error(404, f"no camera {request.match_info['entity_id']}")
    try:
        body = await async_snapshot_jpeg(hub, data, camera, _flag(request, "overlays"))
    except NoFrame as err:
        return json_error(503, str(err))
    return web.Response(body=body, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


@api_doc(
    "The camera as an MJPEG stream",
    tag="camera",
    query={
        vol.Optional("overlays", description="1: draw slots and plates"): str,
        vol.Optional("fps", description="frames a second (default 5)"): str,
    },
    response={"type": "string", "format": "binary"},
    content_type="multipart/x-mixed-replace",
    errors=(400, 404),
)
async def _stream(request: web.Request) -> web.StreamResponse:
    hub, data = _runtime(request)
    camera = _camera(data, request)
    if camera is None:
        return json_error(404, f"no camera {request.match_info['entity_id']}")
    overlays = _flag(request, "overlays")
    try:
        fps = float(request.query.get("fps", DEFAULT_STREAM_FPS))
    except ValueError:
        fps = -1.0
    if not 0 < fps <= MAX_STREAM_FPS:
        return json_error(400, f"fps must be a number above 0 and at most {MAX_STREAM_FPS:.0f}")
    response = web.StreamResponse(
        headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}",
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    closed = asyncio.Event()

    async def send(frame: Frame) -> None:
        if closed.is_set():
            return
        jpeg = await hub.async_add_executor_job(
            encode_jpeg, frame.image, _drawers(data, camera.entity_id, overlays), data.jpeg_quality
        )
        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
        if closed.is_set():
            return
        try:
            await response.write(head.encode() + jpeg + b"\r\n")
        except (ConnectionError, RuntimeError):  # the viewer went away
            closed.set()

    unsubscribe = camera.async_subscribe_frames(send, fps)
    try:
        stop = asyncio.ensure_future(data.stopping.wait())
        ended = asyncio.ensure_future(closed.wait())
        try:
            await asyncio.wait([stop, ended], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            ended.cancel()
    finally:
        closed.set()  # a frame still being encoded is not written after the end
        unsubscribe()
    return response


def async_register_routes(hub: Hub) -> None:
    hub_web.async_register_route(hub, "GET", SNAPSHOT_PATH, _snapshot)
    hub_web.async_register_route(hub, "GET", STREAM_PATH, _stream)
