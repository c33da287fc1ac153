"""The `camera:` config block and the shape of one camera entry (YAML or adopted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from hub import validation as cv

from .const import (
    CONF_CAMERAS,
    CONF_DEVICE,
    CONF_FPS,
    CONF_ID,
    CONF_INTERVAL,
    CONF_JPEG_QUALITY,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_PATH,
    CONF_SOURCE,
    CONF_URL,
    CONF_USERNAME,
    CONF_VIEW,
    DEFAULT_JPEG_QUALITY,
    SOURCE_DEMO,
    SOURCE_FILE,
    SOURCE_MJPEG,
    SOURCE_RTSP,
    SOURCE_SNAPSHOT,
    SOURCE_USB,
    SOURCES,
)

__all__ = ["CONFIG_SCHEMA", "ENTRY_SCHEMA", "CameraConfig"]

# What each source needs besides the common keys; anything else is refused.
_NEEDS: dict[str, str] = {
    SOURCE_MJPEG: CONF_URL,
    SOURCE_RTSP: CONF_URL,
    SOURCE_SNAPSHOT: CONF_URL,
    SOURCE_FILE: CONF_PATH,
    SOURCE_USB: CONF_DEVICE,
    SOURCE_DEMO: CONF_VIEW,
}
_ALLOWED: dict[str, set[str]] = {
    SOURCE_MJPEG: {CONF_URL, CONF_USERNAME, CONF_PASSWORD},
    SOURCE_RTSP: {CONF_URL},
    SOURCE_SNAPSHOT: {CONF_URL, CONF_USERNAME, CONF_PASSWORD, CONF_INTERVAL},
    SOURCE_FILE: {CONF_PATH},
    SOURCE_USB: {CONF_DEVICE},
    SOURCE_DEMO: {CONF_VIEW},
}


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise vol.Invalid(f"expected a number, got {cv.describe_value(value)}")
    if value <= 0:
        raise vol.Invalid(f"expected a number above zero, got {value}")
    return float(value)


def _device(value: Any) -> int | str:
    """A USB camera by index (0) or by its device path (/dev/video0)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.startswith("/dev/"):
        return value
    raise vol.Invalid(
        f"expected a device index (0) or path (/dev/video0), got {cv.describe_value(value)}"
    )


def _check_source_keys(entry: dict[str, Any]) -> dict[str, Any]:
    source = entry[CONF_SOURCE]
    needed = _NEEDS[source]
    if needed not in entry:
        raise vol.Invalid(f"required by source {source}", path=[needed])
    common = {CONF_ID, CONF_NAME, CONF_SOURCE, CONF_FPS}
    for key in entry:
        if key not in common and key not in _ALLOWED[source]:
            raise vol.Invalid(f"not used by source {source}", path=[key])
    if source == SOURCE_RTSP and not entry[CONF_URL].lower().startswith("rtsp"):
        raise vol.Invalid("an rtsp source needs an rtsp:// URL", path=[CONF_URL])
    if source in (SOURCE_MJPEG, SOURCE_SNAPSHOT) and not entry[CONF_URL].lower().startswith("http"):
        raise vol.Invalid(f"a {source} source needs an http(s):// URL", path=[CONF_URL])
    return entry


ENTRY_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(CONF_ID): cv.slug,
            vol.Optional(CONF_NAME): cv.string,
            vol.Required(CONF_SOURCE): vol.In(SOURCES, msg=f"expected one of {', '.join(SOURCES)}"),
            vol.Optional(CONF_URL): cv.url,
            vol.Optional(CONF_PATH): cv.config_file,
            vol.Optional(CONF_DEVICE): _device,
            vol.Optional(CONF_VIEW): vol.In(
                ("overhead", "entry", "exit"), msg="expected overhead, entry or exit"
            ),
            vol.Optional(CONF_FPS): _positive_number,
            vol.Optional(CONF_INTERVAL): cv.positive_time_period,
            vol.Optional(CONF_USERNAME): cv.string,
            vol.Optional(CONF_PASSWORD): cv.string,
        }
    ),
    _check_source_keys,
)


CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_CAMERAS, default=list): vol.All(
            cv.ensure_list, [ENTRY_SCHEMA], cv.unique(CONF_ID, "camera id")
        ),
        vol.Optional(CONF_JPEG_QUALITY, default=DEFAULT_JPEG_QUALITY): vol.All(
            int, vol.Range(min=10, max=100)
        ),
    }
)


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One validated camera entry."""

    id: str
    source: str
    name: str | None = None
    url: str | None = None
    path: str | None = None
    device: int | str | None = None
    view: str | None = None
    fps: float | None = None
    interval: float | None = None
    username: str | None = None
    password: str | None = None

    @property
    def entity_id(self) -> str:
        return f"camera.{self.id}"

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> CameraConfig:
        interval = entry.get(CONF_INTERVAL)
        return cls(
            id=entry[CONF_ID],
            source=entry[CONF_SOURCE],
            name=entry.get(CONF_NAME),
            url=entry.get(CONF_URL),
            path=entry.get(CONF_PATH),
            device=entry.get(CONF_DEVICE),
            view=entry.get(CONF_VIEW),
            fps=entry.get(CONF_FPS),
            interval=interval.total_seconds() if interval is not None else None,
            username=entry.get(CONF_USERNAME),
            password=entry.get(CONF_PASSWORD),
        )
