"""The recorder: states, events and hourly statistics in SQLite (or PostgreSQL with `db_url`).

Bootstrap validates the `recorder:` block with `CONFIG_SCHEMA`, turns it into a
`RecorderConfig` once, and calls `async_setup_recorder`; everyone else reaches the
recorder as `hub.recorder` (history for the web API, `last_state` for restoring entities).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import time, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.services import ServiceCall
from hub.database import postgres_url, redacted

from .core import Recorder
from .schema import SCHEMA_VERSION, SchemaTooNew

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "CONFIG_SCHEMA",
    "DOMAIN",
    "SCHEMA_VERSION",
    "SERVICE_PURGE",
    "Recorder",
    "RecorderConfig",
    "SchemaTooNew",
    "async_setup_recorder",
]

_LOGGER = logging.getLogger(__name__)

DOMAIN: Final = "recorder"
SERVICE_PURGE: Final = "purge"
DEFAULT_DB_FILE: Final = "parkhub.db"
DEFAULT_MAX_QUEUE: Final = 100_000

_GLOB = re.compile(r"^[a-z0-9_*?]+\.[a-z0-9_*?]+$")


def _entity_glob(value: Any) -> str:
    """An entity id that may use `*` and `?`, like `sensor.*_debug`."""
    text = cv.string(value).strip().lower()
    if not _GLOB.match(text):
        raise vol.Invalid(
            f"invalid entity pattern {cv.describe_value(value)} "
            "(expected <domain>.<object_id>, * and ? allowed, e.g. 'sensor.*_debug')"
        )
    return text


_EXCLUDE_SCHEMA = vol.Schema(
    {
        vol.Optional("domains", default=list, description="Entity domains not to record"): vol.All(
            cv.ensure_list, [cv.slug]
        ),
        vol.Optional(
            "entities", default=list, description="Entity ids or globs not to record"
        ): vol.All(cv.ensure_list, [_entity_glob]),
        vol.Optional("event_types", default=list, description="Event types not to record"): vol.All(
            cv.ensure_list, [cv.string]
        ),
    },
    extra=vol.PREVENT_EXTRA,
)

CONFIG_SCHEMA = vol.Schema(
    vol.All(
        cv.empty_block,
        vol.Schema(
            {
                vol.Exclusive(
                    "db_path",
                    "database",
                    msg="give db_path (SQLite) or db_url (PostgreSQL), not both",
                    description="SQLite file; relative paths are in the data directory",
                ): cv.string,
                vol.Exclusive(
                    "db_url",
                    "database",
                    msg="give db_path (SQLite) or db_url (PostgreSQL), not both",
                    description="postgresql://user@host/db instead of the SQLite file",
                ): postgres_url,
                vol.Optional(
                    "commit_interval",
                    default=timedelta(seconds=1),
                    description="How often queued rows are written (a crash loses at most this)",
                ): cv.positive_time_period,
                vol.Optional(
                    "keep_days", default=10, description="Days of states and events to keep"
                ): cv.positive_int,
                vol.Optional(
                    "purge_time", default="04:12", description="Local time of the daily purge"
                ): cv.time_of_day,
                vol.Optional("exclude", default=dict, description="What not to record"): vol.All(
                    cv.empty_block, _EXCLUDE_SCHEMA
                ),
            },
            extra=vol.PREVENT_EXTRA,
        ),
    )
)

PURGE_SCHEMA = vol.Schema(
    {vol.Optional("keep_days"): vol.All(vol.Coerce(int), vol.Range(min=0))},
    extra=vol.PREVENT_EXTRA,
)


@dataclass(frozen=True, slots=True)
class RecorderConfig:
    """The validated `recorder:` block; built once at setup."""

    db_path: Path
    db_url: str | None = None  # postgresql://...; None: the SQLite file at db_path
    commit_interval: float = 1.0
    keep_days: int = 10
    purge_time: time = time(4, 12)
    exclude_domains: frozenset[str] = frozenset()
    exclude_entities: tuple[str, ...] = ()
    exclude_event_types: frozenset[str] = frozenset()
    max_queue: int = DEFAULT_MAX_QUEUE

    @classmethod
    def from_dict(cls, validated: dict[str, Any], data_dir: Path) -> RecorderConfig:
        """Build from CONFIG_SCHEMA's output; a relative `db_path` lives in `data_dir`."""
        exclude = validated.get("exclude", {})
        return cls(
            db_path=data_dir / validated.get("db_path", DEFAULT_DB_FILE),
            db_url=validated.get("db_url"),
            commit_interval=validated["commit_interval"].total_seconds(),
            keep_days=validated["keep_days"],
            purge_time=validated["purge_time"],
            exclude_domains=frozenset(exclude.get("domains", ())),
            exclude_entities=tuple(exclude.get("entities", ())),
            exclude_event_types=frozenset(exclude.get("event_types", ())),
        )

    @property
    def target(self) -> str | Path:
        """What `hub.database.async_connect` opens."""
        return self.db_url or self.db_path

    @property
    def target_label(self) -> str:
        """The database for log messages (the URL without its password)."""
        return redacted(self.db_url) if self.db_url else str(self.db_path)

    def records_entity(self, entity_id: str) -> bool:
        """False for entities excluded by domain or glob (the recorder caches the answer)."""
        if entity_id.partition(".")[0] in self.exclude_domains:
            return False
        return not any(fnmatchcase(entity_id, pattern) for pattern in self.exclude_entities)


async def async_setup_recorder(hub: Hub, config: RecorderConfig) -> Recorder:
    """Open the database, start recording, and hang the recorder on `hub.recorder`.

    Its close (final flush, then close the file) runs at the very end of stop, after the
    integrations that write through it are down.
    """
    recorder = Recorder(hub, config)
    await recorder.async_start()
    hub.async_on_close(recorder.async_close)

    async def purge(call: ServiceCall) -> None:
        await recorder.async_purge(call.data.get("keep_days", config.keep_days))

    hub.services.async_register(
        DOMAIN, SERVICE_PURGE, purge, PURGE_SCHEMA, "Delete states and events older than keep_days"
    )
    hub.recorder = recorder
    return recorder
