"""The recorder's tables, and opening the database with the settings the writer relies on.

Shaped like Home Assistant's recorder schema, in small:

- ``states_meta`` gives each entity id a small integer, so every ``states`` row and its
  index carry an int rather than the text (HA's ``states_meta``).
- ``state_attributes`` stores each distinct attributes blob once. Its key is a 64-bit hash
  of the JSON, so the writer can ``INSERT OR IGNORE`` a whole batch of blobs without
  reading anything back; at 64 bits a collision among a million distinct blobs has odds
  around 1 in 10^7, which we accept instead of HA's read-and-compare.
- ``states.state`` is NULL for a removal (``new_state`` None): the restore cache then does
  not bring a removed entity back, and history shows when it went away.
- All times are UNIX float timestamps; ``schema_version`` is SQLite's ``user_version``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

import aiosqlite

from hub.core.exceptions import HubError

__all__ = ["SCHEMA_VERSION", "SchemaTooNew", "async_open", "transaction"]

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 1


def last_state_id(before: str | None = None) -> str:
    """A correlated subquery: the id of the newest state of entity `m`.

    With `before` (a bound parameter's name), the newest state older than that time.
    History, statistics and purge all ask this; the ORDER BY uses the states index.
    """
    older = f" AND last_updated_ts < :{before}" if before else ""
    return (
        f"SELECT state_id FROM states WHERE metadata_id = m.metadata_id{older} "
        "ORDER BY last_updated_ts DESC, state_id DESC LIMIT 1"
    )


_PRAGMAS: Final = (
    # WAL + NORMAL: each committed batch survives a process kill (not a power cut, where
    # the last batches may go), and readers never block the writer.
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA temp_store=MEMORY",
)

_DDL: Final = """
CREATE TABLE IF NOT EXISTS states_meta (
    metadata_id INTEGER PRIMARY KEY,
    entity_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS state_attributes (
    attributes_id INTEGER PRIMARY KEY,
    shared_attrs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS states (
    state_id INTEGER PRIMARY KEY,
    metadata_id INTEGER NOT NULL,
    state TEXT,
    attributes_id INTEGER,
    last_changed_ts REAL NOT NULL,
    last_updated_ts REAL NOT NULL,
    context_id TEXT,
    context_parent_id TEXT,
    context_user_id TEXT
);
CREATE INDEX IF NOT EXISTS ix_states_metadata_id_last_updated_ts
    ON states (metadata_id, last_updated_ts);
CREATE INDEX IF NOT EXISTS ix_states_last_updated_ts ON states (last_updated_ts);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY,
    event_type TEXT NOT NULL,
    event_data TEXT NOT NULL,
    origin TEXT NOT NULL,
    time_fired_ts REAL NOT NULL,
    context_id TEXT,
    context_parent_id TEXT,
    context_user_id TEXT
);
CREATE INDEX IF NOT EXISTS ix_events_time_fired_ts ON events (time_fired_ts);
CREATE INDEX IF NOT EXISTS ix_events_event_type_time_fired_ts ON events (event_type, time_fired_ts);
CREATE TABLE IF NOT EXISTS statistics (
    statistic_id TEXT NOT NULL,
    start_ts REAL NOT NULL,
    mean REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    PRIMARY KEY (statistic_id, start_ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statistics_runs (
    start_ts REAL PRIMARY KEY
);
"""


class SchemaTooNew(HubError):
    """The database was written by a newer ParkHub; refuse rather than corrupt it."""


async def async_open(path: Path) -> aiosqlite.Connection:
    """Open (creating if needed) the database at `path`, in WAL mode, with the schema in place.

    The connection is in autocommit mode (`isolation_level=None`): the writer opens each
    batch's transaction itself with BEGIN, so nothing else is ever held open by accident.
    """
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            await db.execute(pragma)
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{path} has recorder schema {version}; this ParkHub knows up to {SCHEMA_VERSION}"
            )
        if version < SCHEMA_VERSION:
            _LOGGER.info("Creating recorder schema %s in %s", SCHEMA_VERSION, path)
            await db.executescript(f"BEGIN;{_DDL}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
    except BaseException:
        await db.close()
        raise
    return db


@asynccontextmanager
async def transaction(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """BEGIN ... COMMIT, rolled back on any error or cancellation.

    Rolls back only if a transaction is still open: a COMMIT that failed may have ended
    it already, and a ROLLBACK then would raise and hide the error that matters.
    """
    await db.execute("BEGIN")
    try:
        yield
        await db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
