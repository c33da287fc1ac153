"""The `lpr:` section: its schema, and the frozen settings built from it once at setup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
import voluptuous as vol

from hub import validation as cv
from hub.database import postgres_url
from hub.plates import normalize_plate

from .const import (
    CONF_CAMERA,
    CONF_CAMERAS,
    CONF_DB_URL,
    CONF_ENGINE,
    CONF_FORMATS,
    CONF_FPS,
    CONF_KEEP_DAYS,
    CONF_KIND,
    CONF_LISTS,
    CONF_MAX_DISTANCE,
    CONF_MAX_FILES,
    CONF_MEDIA,
    CONF_MODEL_STORAGE_DIRECTORY,
    CONF_MOTION_THRESHOLD,
    CONF_NOTE,
    CONF_PASS_TIMEOUT,
    CONF_PLATE,
    CONF_PLATES,
    CONF_REPEAT_TIMEOUT,
    CONF_ROLE,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    CONF_ZONE,
    DEFAULT_ENGINE,
    DEFAULT_FORMATS,
    DEFAULT_FPS,
    DEFAULT_KEEP_DAYS,
    DEFAULT_MAX_FILES,
    DEFAULT_MOTION_THRESHOLD,
    DEFAULT_PASS_TIMEOUT,
    DEFAULT_REPEAT_TIMEOUT,
    KIND_ALLOW,
    KIND_BLOCK,
    ROLE_BOTH,
    ROLE_ENTRY,
    ROLE_EXIT,
)
from .engines import ENGINES
from .formats import plate_formats
from .lists import ListEntry, ListSpec

__all__ = [
    "CONFIG_SCHEMA",
    "ENTRY_SCHEMA",
    "CameraSettings",
    "LprConfig",
    "MediaSettings",
    "parse_moment",
    "plate_text",
]


def plate_text(value: Any) -> str:
    """A plate as the lists store it: upper case, letters and digits only."""
    text = normalize_plate(cv.string(value))
    if not 2 <= len(text) <= 10:
        raise vol.Invalid(f"expected a plate of 2 to 10 letters and digits, got {value!r}")
    return text


def parse_moment(value: Any) -> datetime | date | None:
    """An ISO date (`2026-12-31`) or date and time (`2026-12-31T18:00`, offset optional).

    None means no limit. A date alone is kept as a date: `valid_until: 2026-12-31`
    includes that day. Times without an offset are the hub's local time (made aware by
    `moment_to_datetime`).
    """
    if value is None or isinstance(value, datetime | date):
        return value
    text = cv.string(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            cv.date_time(datetime.combine(day, time()))  # 1970..9999, a day to spare
            return day
        return cv.date_time(datetime.fromisoformat(text))
    except ValueError:
        raise vol.Invalid(
            f"expected an ISO date or date and time (2026-12-31 or 2026-12-31T18:00), got {value!r}"
        ) from None


def moment_to_datetime(value: datetime | date | None, zone: tzinfo, end: bool) -> datetime | None:
    """An aware datetime: a date is its start (or, for an `end`, the next day's start)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        day = value + timedelta(days=1) if end else value
        return datetime.combine(day, time(), zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _window(entry: dict[str, Any]) -> dict[str, Any]:
    start, stop = entry.get(CONF_VALID_FROM), entry.get(CONF_VALID_UNTIL)
    if start is not None and stop is not None:
        first = moment_to_datetime(start, UTC, end=False)
        last = moment_to_datetime(stop, UTC, end=True)
        if first is not None and last is not None and first >= last:
            raise vol.Invalid("valid_until must be after valid_from", path=[CONF_VALID_UNTIL])
    return entry


ENTRY_SCHEMA = vol.Schema(
    vol.All(
        vol.Schema(
            {
                vol.Required(CONF_PLATE): plate_text,
                vol.Optional(CONF_NOTE): vol.Any(None, cv.string),
                vol.Optional(CONF_VALID_FROM): parse_moment,
                vol.Optional(CONF_VALID_UNTIL): parse_moment,
            }
        ),
        _window,
    )
)


def _list_entry(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        result: dict[str, Any] = ENTRY_SCHEMA(value)
        return result
    return {CONF_PLATE: plate_text(value)}


LIST_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_KIND): vol.In([KIND_ALLOW, KIND_BLOCK], msg="expected allow or block"),
        vol.Optional(CONF_MAX_DISTANCE, default=0): vol.All(
            int, vol.Range(min=0, max=2, msg="expected 0, 1 or 2")
        ),
        vol.Optional(CONF_PLATES, default=list): vol.All(cv.ensure_list, [_list_entry]),
    }
)

CAMERA_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CAMERA): cv.entity_id,
        vol.Optional(CONF_ROLE, default=ROLE_BOTH): vol.In(
            [ROLE_ENTRY, ROLE_EXIT, ROLE_BOTH], msg="expected entry, exit or both"
        ),
        vol.Optional(CONF_ZONE): cv.polygon,
        vol.Optional(CONF_FORMATS): plate_formats,
        vol.Optional(CONF_FPS, default=DEFAULT_FPS): vol.All(
            vol.Coerce(float), vol.Range(min=0.2, max=30, msg="expected 0.2 to 30")
        ),
        vol.Optional(CONF_MOTION_THRESHOLD, default=DEFAULT_MOTION_THRESHOLD): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=255, msg="expected 1 to 255")
        ),
        vol.Optional(CONF_PASS_TIMEOUT, default=DEFAULT_PASS_TIMEOUT): vol.All(
            vol.Coerce(float), vol.Range(min=0.5, max=60, msg="expected 0.5 to 60 seconds")
        ),
        vol.Optional(CONF_REPEAT_TIMEOUT, default=DEFAULT_REPEAT_TIMEOUT): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=3600, msg="expected 0 to 3600 seconds")
        ),
    }
)

CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_ENGINE, default=DEFAULT_ENGINE): vol.In(
            list(ENGINES), msg=f"expected one of {', '.join(ENGINES)}"
        ),
        vol.Optional(CONF_MODEL_STORAGE_DIRECTORY): cv.string,
        vol.Optional(CONF_FORMATS, default=list(DEFAULT_FORMATS)): plate_formats,
        vol.Optional(CONF_CAMERAS, default=list): vol.All(
            cv.ensure_list, [CAMERA_SCHEMA], cv.unique(CONF_CAMERA, "camera")
        ),
        vol.Optional(CONF_MEDIA, default=dict): vol.Schema(
            {
                vol.Optional(CONF_KEEP_DAYS, default=DEFAULT_KEEP_DAYS): vol.All(
                    int, vol.Range(min=0, msg="expected 0 or more days")
                ),
                vol.Optional(CONF_MAX_FILES, default=DEFAULT_MAX_FILES): vol.All(
                    int, vol.Range(min=0, msg="expected 0 or more files")
                ),
            }
        ),
        vol.Optional(CONF_LISTS, default=dict): vol.Schema({cv.slug: LIST_SCHEMA}),
        vol.Optional(
            CONF_DB_URL, description="postgresql://user@host/db instead of lpr.db"
        ): postgres_url,
    }
)


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """One watched camera."""

    camera: str
    role: str
    zone: np.ndarray | None  # Nx2 int32, frame pixels
    formats: list[str]
    fps: float
    motion_threshold: float
    pass_timeout: float
    repeat_timeout: float


@dataclass(frozen=True, slots=True)
class MediaSettings:
    """Snapshot retention: files older than `keep_days`, or beyond `max_files`, go (0: no limit)."""

    keep_days: int
    max_files: int


@dataclass(frozen=True, slots=True)
class LprConfig:
    engine: str
    model_storage_directory: str | None
    formats: list[str]
    cameras: list[CameraSettings]
    media: MediaSettings
    lists: list[ListSpec]
    entries: list[ListEntry]
    db_url: str | None = None  # postgresql://...; None: lpr.db in the data directory

    @classmethod
    def from_config(cls, config: dict[str, Any], zone: tzinfo) -> LprConfig:
        cameras = [
            CameraSettings(
                camera=item[CONF_CAMERA],
                role=item[CONF_ROLE],
                zone=(np.asarray(item[CONF_ZONE], dtype=np.int32) if CONF_ZONE in item else None),
                formats=item.get(CONF_FORMATS, config[CONF_FORMATS]),
                fps=item[CONF_FPS],
                motion_threshold=item[CONF_MOTION_THRESHOLD],
                pass_timeout=item[CONF_PASS_TIMEOUT],
                repeat_timeout=item[CONF_REPEAT_TIMEOUT],
            )
            for item in config[CONF_CAMERAS]
        ]
        specs = [
            ListSpec(name, spec[CONF_KIND], spec[CONF_MAX_DISTANCE])
            for name, spec in config[CONF_LISTS].items()
        ]
        entries = [
            ListEntry(
                list=name,
                plate=item[CONF_PLATE],
                note=item.get(CONF_NOTE),
                valid_from=moment_to_datetime(item.get(CONF_VALID_FROM), zone, end=False),
                valid_until=moment_to_datetime(item.get(CONF_VALID_UNTIL), zone, end=True),
            )
            for name, spec in config[CONF_LISTS].items()
            for item in spec[CONF_PLATES]
        ]
        media = config[CONF_MEDIA]
        return cls(
            engine=config[CONF_ENGINE],
            model_storage_directory=config.get(CONF_MODEL_STORAGE_DIRECTORY),
            formats=config[CONF_FORMATS],
            cameras=cameras,
            media=MediaSettings(media[CONF_KEEP_DAYS], media[CONF_MAX_FILES]),
            lists=specs,
            entries=entries,
            db_url=config.get(CONF_DB_URL),
        )
