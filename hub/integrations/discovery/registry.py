"""The list of found devices, what the owner ignored or adopted, and adopting a camera.

Found devices live in memory (the network tells us again after a restart); the owner's
decisions are kept in `<data_dir>/discovery.json`. Adopting a camera appends an entry to
`<data_dir>/cameras_adopted.json`, which the camera integration merges with config.yaml,
and hands it to that integration at once when it is running.
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.files import read_json_object, write_atomically
from hub.core.json import json_bytes
from hub.validation import slugify

from .const import (
    ADOPTED_CAMERAS_FILE,
    CAMERA_SOURCES,
    EVENT_DEVICE_DISCOVERED,
    KIND_CAMERA,
    STATE_FILE,
)
from .models import DiscoveredDevice

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["DeviceNotFound", "DiscoveryRegistry", "camera_entry"]

_LOGGER = logging.getLogger(__name__)

_SCHEMES = ("rtsp", "rtsps", "http", "https")


class DeviceNotFound(HubError):
    """No discovered device has that id."""


def camera_entry(
    device: DiscoveredDevice, taken: set[str], overrides: dict[str, Any]
) -> dict[str, Any]:
    """The camera entry adopting `device` creates: best stream unless the caller picks.

    Raises ServiceValidationError when there is no URL to use, naming what to send.
    """
    source = overrides.get("source")
    if source is not None and source not in CAMERA_SOURCES:
        raise ServiceValidationError(
            f"source must be one of {', '.join(CAMERA_SOURCES)}, not {source!r}"
        )
    url = overrides.get("url")
    if url is None:
        for candidate in [source] if source else CAMERA_SOURCES:
            if candidate in device.urls:
                source, url = candidate, device.urls[candidate]
                break
    if url is None or source is None:
        offered = ", ".join(device.urls) or "none"
        raise ServiceValidationError(
            f"device {device.id} offers no {source or 'stream'} URL (offers: {offered}); "
            'send {"source": "rtsp", "url": "rtsp://..."} to adopt it'
        )
    scheme = str(url).split(":", 1)[0].lower()
    if (source == "rtsp") != (scheme in ("rtsp", "rtsps")) or scheme not in _SCHEMES:
        wanted = "an rtsp://" if source == "rtsp" else "an http(s)://"
        raise ServiceValidationError(f"source {source!r} needs {wanted} URL, not {url!r}")
    camera_id = overrides.get("id") or slugify(
        overrides.get("name") or device.name, default="camera"
    )
    if camera_id in taken:
        if "id" in overrides:
            raise ServiceValidationError(f"a camera with id {camera_id!r} is already adopted")
        base, number = camera_id, 2
        while f"{base}_{number}" in taken:
            number += 1
        camera_id = f"{base}_{number}"
    if not re.fullmatch(r"[a-z0-9_]+", camera_id):
        raise ServiceValidationError(f"invalid camera id {camera_id!r} (use a-z, 0-9 and _)")
    return {
        "id": camera_id,
        "name": str(overrides.get("name") or device.name),
        "source": source,
        "url": str(url),
    }


class DiscoveryRegistry:
    """Devices found so far, minus the ignored ones; adopting and ignoring them."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self.devices: dict[str, DiscoveredDevice] = {}
        self.ignored: set[str] = set()
        # discovery id -> camera id it became
        self.adopted: dict[str, str] = {}

    @property
    def _state_path(self) -> Path:
        return self._hub.data_dir / STATE_FILE

    async def async_load(self) -> None:
        try:
            state = await self._hub.async_add_executor_job(read_json_object, self._state_path)
        except (OSError, ValueError) as err:
            _LOGGER.warning("Cannot read %s (%s); starting with an empty list", STATE_FILE, err)
            state = {}
        self.ignored = set(state.get("ignored", []))
        self.adopted = dict(state.get("adopted", {}))

    async def _async_save(self) -> None:
        state = {"ignored": sorted(self.ignored), "adopted": self.adopted}
        await self._hub.async_add_executor_job(
            write_atomically, self._state_path, json_bytes(state)
        )

    def describe(self, device: DiscoveredDevice) -> dict[str, Any]:
        return {
            **device.as_dict(),
            "ignored": device.id in self.ignored,
            "adopted": self.adopted.get(device.id),
        }

    def async_listing(self, include_ignored: bool = False) -> list[dict[str, Any]]:
        return [
            self.describe(device)
            for device in sorted(self.devices.values(), key=lambda d: (d.name.lower(), d.id))
            if include_ignored or device.id not in self.ignored
        ]

    def async_add(self, device: DiscoveredDevice, *, announce: bool = True) -> None:
        """Add or update a device; a new or changed one is announced as `device_discovered`.

        `announce` is False for devices that arrived as that event (from MQTT).
        """
        known = self.devices.get(device.id)
        if known is None:
            self.devices[device.id] = device
            _LOGGER.info("Discovered %s %s via %s", device.kind, device.name, device.source)
        elif not known.merge(device):
            return
        if announce:
            self._hub.bus.async_fire(EVENT_DEVICE_DISCOVERED, self.devices[device.id].as_dict())

    def get(self, device_id: str) -> DiscoveredDevice:
        try:
            return self.devices[device_id]
        except KeyError:
            raise DeviceNotFound(f"no discovered device {device_id!r}") from None

    async def async_ignore(self, device_id: str, ignore: bool = True) -> None:
        self.get(device_id)
        if ignore:
            self.ignored.add(device_id)
        else:
            self.ignored.discard(device_id)
        await self._async_save()

    async def async_adopt(self, device_id: str, overrides: dict[str, Any]) -> dict[str, Any]:
        """Create the camera entry for a device, store it, and start it if cameras run."""
        device = self.get(device_id)
        if device.kind != KIND_CAMERA:
            raise ServiceValidationError(
                f"device {device_id} is a {device.kind}; only cameras can be adopted here"
            )
        if device_id in self.adopted:
            raise ServiceValidationError(
                f"device {device_id} is already adopted as camera {self.adopted[device_id]!r}"
            )
        path = self._hub.data_dir / ADOPTED_CAMERAS_FILE
        try:
            stored = await self._hub.async_add_executor_job(read_json_object, path)
        except (OSError, ValueError) as err:
            raise HubError(f"cannot read {path}: {err}; fix or remove it first") from None
        cameras: list[dict[str, Any]] = list(stored.get("cameras", []))
        entry = camera_entry(device, {camera["id"] for camera in cameras}, overrides)
        cameras.append(entry)
        await self._hub.async_add_executor_job(
            write_atomically, path, json_bytes({"cameras": cameras})
        )
        self.adopted[device_id] = entry["id"]
        self.ignored.discard(device_id)
        await self._async_save()
        _LOGGER.info("Adopted %s as camera %s (%s)", device.name, entry["id"], entry["source"])
        await self._async_start_camera(entry)
        return entry

    async def _async_start_camera(self, entry: dict[str, Any]) -> None:
        """Hand the entry to the camera integration when it runs (else it reads the file)."""
        if "camera" not in self._hub.data:
            return
        try:
            camera = importlib.import_module("hub.integrations.camera")
            await camera.async_add_camera(self._hub, entry)
        except Exception:
            _LOGGER.exception(
                "Camera %s is stored but could not be started now; it starts on the next run",
                entry["id"],
            )
