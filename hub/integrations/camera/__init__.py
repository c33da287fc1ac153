"""Cameras: frames from MJPEG, RTSP, snapshot URLs, video files, USB cameras and the demo lot.

Each camera is a `camera.<id>` entity whose frames are grabbed in a thread of its own
(see `worker.py`). Other integrations take frames through this module's public API only:

- `Frame` (image BGR uint8, timestamp on the hub clock, seq),
- `await async_get_camera(hub, "camera.entry")` -> `CameraEntity`, then
  `camera.async_subscribe_frames(callback, fps)` -> unsubscribe, and `camera.latest_frame`,
- `async_register_overlay(hub, "camera.entry", draw)` -> unregister; `draw(image)` paints
  on a copy of the frame in the worker thread that encodes a snapshot or restream,
- `await async_add_camera(hub, entry)` -> entity id, for a camera adopted at run time
  (entry shaped like one item of `camera: cameras:` in config.yaml),
- `await async_save_snapshot(hub, "camera.entry", path)` -> the JPEG written there, for
  what must outlive the frame (a notification's attachment).

At setup, cameras adopted earlier are read from `<data_dir>/cameras_adopted.json`
(`{"cameras": [entry, ...]}`); a YAML camera with the same id wins.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import voluptuous as vol

from hub.core.bus import CALLBACK_TYPE
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.files import write_atomically
from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.core.services import describe_invalid
from hub.entity import async_add_entities

from .config import CONFIG_SCHEMA, ENTRY_SCHEMA, CameraConfig
from .const import (
    ADOPTED_FILE,
    CONF_CAMERAS,
    CONF_ID,
    CONF_JPEG_QUALITY,
    DEFAULT_SNAPSHOT_INTERVAL,
    DOMAIN,
    SOURCE_DEMO,
    SOURCE_FILE,
    SOURCE_MJPEG,
    SOURCE_RTSP,
    SOURCE_SNAPSHOT,
    SOURCE_USB,
)
from .entity import CameraEntity, FrameCallback
from .frame import Frame, Image
from .http import Drawer, async_register_routes, async_snapshot_jpeg
from .metrics import async_register_camera_metrics
from .sources import (
    CaptureSource,
    DemoSource,
    FileSource,
    FrameSource,
    MjpegSource,
    SnapshotSource,
)

__all__ = [
    "CONFIG_SCHEMA",
    "CameraEntity",
    "DemoRenderer",
    "Frame",
    "FrameCallback",
    "async_add_camera",
    "async_get_camera",
    "async_register_overlay",
    "async_save_snapshot",
    "async_setup",
]

_LOGGER = logging.getLogger(__name__)


@runtime_checkable
class DemoRenderer(Protocol):
    """What the demo integration keeps in `hub.data["demo"]` for `source: demo` cameras."""

    def render(self, view: str, timestamp: float) -> Image:
        """Draw `view` as it looks at hub time `timestamp` (called from a camera thread)."""
        ...


@dataclass(slots=True)
class CameraData:
    """The camera integration's running objects, in `hub.data["camera"]`."""

    jpeg_quality: int
    cameras: dict[str, CameraEntity] = field(default_factory=dict)
    overlays: dict[str, list[Drawer]] = field(default_factory=dict)
    # Set at hub stop, so open restreams end before the web server waits for them.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


async def async_setup(hub: Hub, config: dict[str, Any]) -> bool:
    data = CameraData(jpeg_quality=config[CONF_JPEG_QUALITY])
    hub.data[DOMAIN] = data
    hub.bus.async_listen_once(EVENT_HUB_STOP, lambda _event: data.stopping.set())
    async_register_routes(hub)
    async_register_camera_metrics(hub, data)
    entries: list[dict[str, Any]] = list(config[CONF_CAMERAS])
    yaml_ids = {entry[CONF_ID] for entry in entries}
    for entry in await _async_read_adopted(hub):
        if entry[CONF_ID] in yaml_ids:
            _LOGGER.info(
                "Adopted camera %s is also in config.yaml; the YAML one is used", entry[CONF_ID]
            )
            continue
        entries.append(entry)
    for entry in entries:
        try:
            await _async_create(hub, data, CameraConfig.from_entry(entry))
        except HubError as err:
            _LOGGER.error("Camera %s not set up: %s", entry[CONF_ID], err)
    return True


async def async_get_camera(hub: Hub, entity_id: str) -> CameraEntity:
    """The running camera `entity_id`; HubError naming it when there is none."""
    data: CameraData | None = hub.data.get(DOMAIN)
    camera = data.cameras.get(entity_id) if data is not None else None
    if camera is None:
        known = ", ".join(sorted(data.cameras)) if data and data.cameras else "none"
        raise HubError(f"unknown camera {entity_id!r} (cameras: {known})")
    return camera


async def async_save_snapshot(
    hub: Hub, entity_id: str, path: Path, *, overlays: bool = False
) -> Path:
    """Write the camera's current frame to `path` as a JPEG (with overlays if asked).

    HubError naming the camera when it is unknown or has no frame within the snapshot
    timeout, so a caller can say why its picture is missing.
    """
    camera = await async_get_camera(hub, entity_id)
    jpeg = await async_snapshot_jpeg(hub, hub.data[DOMAIN], camera, overlays)
    await hub.async_add_executor_job(write_atomically, path, jpeg)
    return path


def async_register_overlay(hub: Hub, camera_entity_id: str, draw: Drawer) -> CALLBACK_TYPE:
    """Have `draw(image)` paint on snapshots and restreams of a camera that ask for overlays.

    `draw` runs in a worker thread on a copy of the frame, and must be quick. The camera
    need not exist yet (it may be adopted later). Returns the unregister callable.
    """
    data: CameraData | None = hub.data.get(DOMAIN)
    if data is None:
        raise HubError("the camera integration is not set up")
    drawers = data.overlays.setdefault(camera_entity_id, [])
    drawers.append(draw)

    def remove() -> None:
        if draw in drawers:
            drawers.remove(draw)

    return remove


async def async_add_camera(hub: Hub, entry: dict[str, Any]) -> str:
    """Validate `entry` (one camera, as in config.yaml) and start it now; returns its entity id.

    ServiceValidationError says which field is wrong; HubError if the id is taken.
    """
    data: CameraData | None = hub.data.get(DOMAIN)
    if data is None:
        raise HubError("the camera integration is not set up")
    try:
        valid = ENTRY_SCHEMA(entry)
    except vol.Invalid as err:
        raise ServiceValidationError(f"invalid camera: {describe_invalid(err)}") from None
    config = CameraConfig.from_entry(valid)
    if config.entity_id in data.cameras or config.entity_id in hub.states:
        raise HubError(f"{config.entity_id} already exists")
    await _async_create(hub, data, config)
    return config.entity_id


async def _async_create(hub: Hub, data: CameraData, config: CameraConfig) -> None:
    entity = CameraEntity(config, _make_source(hub, config))
    data.cameras[config.entity_id] = entity
    await async_add_entities(hub, DOMAIN, [entity])


def _make_source(hub: Hub, config: CameraConfig) -> FrameSource:
    if config.source == SOURCE_MJPEG:
        assert config.url is not None
        return MjpegSource(config.url, config.username, config.password)
    if config.source == SOURCE_SNAPSHOT:
        assert config.url is not None
        interval = config.interval or DEFAULT_SNAPSHOT_INTERVAL
        return SnapshotSource(config.url, interval, config.username, config.password)
    if config.source == SOURCE_RTSP:
        assert config.url is not None
        return CaptureSource(config.url, config.url)
    if config.source == SOURCE_USB:
        assert config.device is not None
        return CaptureSource(config.device, f"USB camera {config.device}")
    if config.source == SOURCE_FILE:
        assert config.path is not None
        return FileSource(hub.config_dir / Path(config.path), config.fps)
    if config.source == SOURCE_DEMO:
        return _demo_source(hub, config)
    raise HubError(f"unknown camera source {config.source!r}")


def _demo_source(hub: Hub, config: CameraConfig) -> FrameSource:
    renderer = hub.data.get("demo")
    if not isinstance(renderer, DemoRenderer):
        raise HubError("source demo needs the demo integration (add `demo:` to config.yaml)")
    view = config.view or "overhead"

    def render(timestamp: float) -> Image:
        return renderer.render(view, timestamp)

    def clock() -> float:
        # Looked up each time: tests swap the scheduler's `timestamp` when they freeze it.
        return hub.scheduler.timestamp()

    return DemoSource(render, clock, view)


async def _async_read_adopted(hub: Hub) -> list[dict[str, Any]]:
    """Valid entries of cameras_adopted.json; a bad one is logged, naming file and index."""
    path = hub.data_dir / ADOPTED_FILE
    raw = await hub.async_add_executor_job(_read_file, path)
    if raw is None:
        return []
    try:
        document = json_loads(raw)
    except ValueError as err:
        _LOGGER.warning("%s is not valid JSON (%s); no adopted cameras loaded", path, err)
        return []
    items = document.get(CONF_CAMERAS) if isinstance(document, dict) else None
    if not isinstance(items, list):
        _LOGGER.warning('%s: expected {"cameras": [...]}; no adopted cameras loaded', path)
        return []
    entries = []
    for index, item in enumerate(items):
        try:
            entries.append(ENTRY_SCHEMA(item))
        except vol.Invalid as err:
            _LOGGER.warning("%s: cameras[%d]: %s (skipped)", path, index, describe_invalid(err))
    return entries


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
