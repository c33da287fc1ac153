"""Camera pictures for notifications: `data: {camera: camera.entry}` attaches what it sees.

The picture is taken when the service is called, not when the message is finally sent,
so a retry an hour later still shows the car that overstayed. It is written to the data
directory before the notification is stored, so it survives a restart with the outbox;
the daily purge removes pictures older than `keep_days`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub import validation as cv
from hub.core.context import new_id
from hub.core.exceptions import HubError, ServiceValidationError

from .const import DATA_CAMERA, SNAPSHOT_DIR

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["async_take_snapshots", "purge_snapshots"]

_LOGGER = logging.getLogger(__name__)


async def async_take_snapshots(hub: Hub, value: Any) -> list[Path]:
    """One JPEG per camera named in `data.camera` (an entity id or a list of them).

    An unknown camera is the caller's mistake (ServiceValidationError naming it); a known
    camera with no picture right now only costs the picture: the message still goes.
    """
    try:
        entity_ids = cv.entity_ids(value)
    except Exception as err:
        raise ServiceValidationError(f"data.{DATA_CAMERA}: {err}") from None
    if "camera" not in hub.data:
        raise ServiceValidationError(
            f"data.{DATA_CAMERA}: the camera integration is not set up (add `camera:`)"
        )
    from hub.integrations.camera import async_get_camera, async_save_snapshot

    paths: list[Path] = []
    for entity_id in entity_ids:
        try:
            await async_get_camera(hub, entity_id)
        except HubError as err:
            raise ServiceValidationError(f"data.{DATA_CAMERA}: {err}") from None
        path = hub.data_dir / SNAPSHOT_DIR / f"{new_id()}-{entity_id.split('.', 1)[1]}.jpg"
        try:
            paths.append(await async_save_snapshot(hub, entity_id, path, overlays=True))
        except HubError as err:
            _LOGGER.warning("Notification goes without a picture: %s", err)
    return paths


def purge_snapshots(data_dir: Path, older_than: float) -> int:
    """Delete pictures written before `older_than` (epoch seconds); worker thread."""
    folder = data_dir / SNAPSHOT_DIR
    removed = 0
    if not folder.is_dir():
        return removed
    for path in folder.glob("*.jpg"):
        if path.stat().st_mtime < older_than:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
