"""The plate reader at run time: the engine, the lists, the watchers, and the reports.

`LprRuntime` lives in `hub.data["lpr"]`. A pass's vote becomes one `plate_detected`
event here: the snapshot and plate crop are written first (executor, atomically), the
plate is looked up in the lists, then the event fires with a fresh Context and the
camera's `sensor.<camera>_last_plate` follows it with the same context.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub

from .config import CameraSettings, LprConfig, moment_to_datetime
from .const import (
    DIRECTION_UNKNOWN,
    EVENT_PLATE_DETECTED,
    LISTED_NONE,
    MEDIA_URL,
    ROLE_BOTH,
)
from .engines import OcrEngine
from .entity import LastPlateSensor
from .lists import ListEntry, PlateLists
from .media import prune, save_pass
from .store import ListStore
from .voting import Vote
from .watcher import CameraWatcher

__all__ = ["LprRuntime", "NotListed", "ReadOnlyEntry", "UnknownList"]

_LOGGER = logging.getLogger(__name__)


class UnknownList(ServiceValidationError):
    """The list is not configured (REST 404)."""


class NotListed(HubError):
    """The plate is not on that list (REST 404)."""


class ReadOnlyEntry(ServiceValidationError):
    """The entry comes from config.yaml and cannot be changed at run time (REST 409)."""


@dataclass(slots=True)
class LprRuntime:
    hub: Hub
    config: LprConfig
    engine: OcrEngine
    lists: PlateLists
    store: ListStore
    media_root: Path
    watchers: dict[str, CameraWatcher] = field(default_factory=dict)
    sensors: dict[str, LastPlateSensor] = field(default_factory=dict)
    on_stop: list[CALLBACK_TYPE] = field(default_factory=list)

    # -- reports ----------------------------------------------------------------------------

    async def async_report(self, settings: CameraSettings, vote: Vote, context: Context) -> None:
        hub = self.hub
        snapshot: Path | None = None
        crop: Path | None = None
        if vote.frame is not None:
            try:
                snapshot, crop = await hub.async_add_executor_job(
                    save_pass,
                    self.media_root,
                    vote.frame,
                    vote.best.box,
                    settings.camera,
                    vote.plate,
                    vote.at,
                )
            except (OSError, ValueError) as err:
                _LOGGER.warning("Plate pictures of %s not saved: %s", vote.plate, err)
        match = self.lists.match(vote.plate, hub.scheduler.utcnow())
        data: dict[str, Any] = {
            "plate": vote.plate,
            "confidence": vote.confidence,
            "camera": settings.camera,
            "direction": DIRECTION_UNKNOWN if settings.role == ROLE_BOTH else settings.role,
            "box": list(vote.best.box),
            "candidates": [candidate.as_dict() for candidate in vote.candidates],
            "snapshot": str(snapshot) if snapshot else None,
            "crop": str(crop) if crop else None,
            "list": match.entry.list if match else None,
            "listed": match.kind if match else LISTED_NONE,
            "time": datetime.fromtimestamp(vote.at, UTC).isoformat(),
        }
        _LOGGER.info(
            "%s read %s (%.2f, %d votes, list %s)",
            settings.camera,
            vote.plate,
            vote.confidence,
            vote.votes,
            data["list"],
        )
        hub.bus.async_fire(EVENT_PLATE_DETECTED, data, context=context)
        sensor = self.sensors.get(settings.camera)
        if sensor is not None:
            sensor.async_set_context(context)
            sensor.async_show(data, self.media_url(snapshot))
        if snapshot is not None:
            media = self.config.media
            hub.async_add_executor_job(
                prune, self.media_root, media.keep_days, media.max_files, hub.scheduler.timestamp()
            )

    def media_url(self, path: Path | None) -> str | None:
        if path is None:
            return None
        return f"{MEDIA_URL}/{path.relative_to(self.media_root).as_posix()}"

    # -- lists ------------------------------------------------------------------------------

    def check_list(self, name: str) -> None:
        if name not in self.lists.specs:
            known = ", ".join(sorted(self.lists.specs)) or "none configured"
            raise UnknownList(f"unknown list {name!r} (lists: {known})")

    async def async_add_plate(
        self,
        list_name: str,
        plate: str,
        note: str | None = None,
        valid_from: datetime | date | None = None,
        valid_until: datetime | date | None = None,
    ) -> ListEntry:
        """Add or replace a database entry; YAML entries are read-only."""
        self.check_list(list_name)
        existing = self.lists.get(list_name, plate)
        if existing is not None and existing.source == "yaml":
            raise ReadOnlyEntry(
                f"{plate} is on {list_name} in config.yaml; change it there (read-only here)"
            )
        zone = self.hub.time_zone
        entry = ListEntry(
            list=list_name,
            plate=plate,
            note=note,
            valid_from=moment_to_datetime(valid_from, zone, end=False),
            valid_until=moment_to_datetime(valid_until, zone, end=True),
            source="db",
        )
        if entry.valid_from and entry.valid_until and entry.valid_from >= entry.valid_until:
            raise ServiceValidationError("valid_until must be after valid_from")
        await self.store.async_put(entry, self.hub.scheduler.timestamp())
        self.lists.add(entry)
        return entry

    async def async_remove_plate(self, list_name: str, plate: str) -> ListEntry:
        self.check_list(list_name)
        existing = self.lists.get(list_name, plate)
        if existing is None:
            raise NotListed(f"{plate} is not on {list_name}")
        if existing.source == "yaml":
            raise ReadOnlyEntry(
                f"{plate} is on {list_name} in config.yaml; remove it there (read-only here)"
            )
        await self.store.async_delete(list_name, plate)
        self.lists.remove(list_name, plate)
        return existing
