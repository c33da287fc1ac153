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
- All times are UNIX float timestamps; the schema version is SQLite's ``user_version``
  (PostgreSQL: the ``parkhub_schema`` table, see hub/database.py).
- Several hubs may share one PostgreSQL database: ``states_meta``, ``events`` and the
  statistics carry the writing hub's ``node``, and every query and purge keeps to its own.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from hub.database import Database, NewerSchemaError, async_connect

__all__ = ["SCHEMA_VERSION", "SchemaTooNew", "async_open", "last_state_id"]

_LOGGER = logging.getLogger(__name__)


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

# The latest schema, created whole in a new database.
_DDL: Final = """
CREATE TABLE IF NOT EXISTS states_meta (
    metadata_id INTEGER PRIMARY KEY,
    node TEXT NOT NULL DEFAULT '',
    entity_id TEXT NOT NULL,
    UNIQUE (node, entity_id)
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
    node TEXT NOT NULL DEFAULT '',
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
    node TEXT NOT NULL DEFAULT '',
    statistic_id TEXT NOT NULL,
    start_ts REAL NOT NULL,
    mean REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    PRIMARY KEY (node, statistic_id, start_ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statistics_runs (
    node TEXT NOT NULL DEFAULT '',
    start_ts REAL NOT NULL,
    PRIMARY KEY (node, start_ts)
);
"""

# Upgrades of existing databases, one script per version, never edited once shipped.
MIGRATIONS: Final[tuple[str, ...]] = (
    # 1 -> 2: rows carry the hub's node (rows written before belong to '' until adopted).
    """
    CREATE TABLE states_meta_v2 (
        metadata_id INTEGER PRIMARY KEY,
        node TEXT NOT NULL DEFAULT '',
        entity_id TEXT NOT NULL,
        UNIQUE (node, entity_id)
    );
    INSERT INTO states_meta_v2 (metadata_id, entity_id)
        SELECT metadata_id, entity_id FROM states_meta;
    DROP TABLE states_meta;
    ALTER TABLE states_meta_v2 RENAME TO states_meta;
    ALTER TABLE events ADD COLUMN node TEXT NOT NULL DEFAULT '';
    CREATE TABLE statistics_v2 (
        node TEXT NOT NULL DEFAULT '',
        statistic_id TEXT NOT NULL,
        start_ts REAL NOT NULL,
        mean REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        PRIMARY KEY (node, statistic_id, start_ts)
    ) WITHOUT ROWID;
    INSERT INTO statistics_v2 (statistic_id, start_ts, mean, min, max)
        SELECT statistic_id, start_ts, mean, min, max FROM statistics;
    DROP TABLE statistics;
    ALTER TABLE statistics_v2 RENAME TO statistics;
    CREATE TABLE statistics_runs_v2 (
        node TEXT NOT NULL DEFAULT '',
        start_ts REAL NOT NULL,
        PRIMARY KEY (node, start_ts)
    );
    INSERT INTO statistics_runs_v2 (start_ts) SELECT start_ts FROM statistics_runs;
    DROP TABLE statistics_runs;
    ALTER TABLE statistics_runs_v2 RENAME TO statistics_runs;
    """,
)

SCHEMA_VERSION: Final = 1 + len(MIGRATIONS)

# A SQLite file holds one hub's rows by definition: it adopts them under its node (rows
# from before nodes existed, or from before the hub was renamed).
_ADOPT: Final = (
    "UPDATE states_meta SET node = :node WHERE node <> :node",
    "UPDATE events SET node = :node WHERE node <> :node",
    "UPDATE statistics SET node = :node WHERE node <> :node",
    "UPDATE statistics_runs SET node = :node WHERE node <> :node",
)


class SchemaTooNew(NewerSchemaError):
    """The database was written by a newer ParkHub; refuse rather than corrupt it."""


async def async_open(target: Path | str, node: str = "") -> Database:
    """Open (creating if needed) the SQLite file or PostgreSQL database with the schema
    in place. SQLite runs in WAL mode, in autocommit: the writer opens each batch's
    transaction itself, so nothing else is ever held open by accident."""
    try:
        db = await async_connect(target, "recorder", _DDL, MIGRATIONS, _PRAGMAS)
    except NewerSchemaError as err:
        raise SchemaTooNew(f"{err} (this ParkHub knows up to {SCHEMA_VERSION})") from err
    if db.dialect == "sqlite":
        try:
            async with db.transaction():
                for statement in _ADOPT:
                    await db.execute(statement, {"node": node})
        except BaseException:
            await db.close()
            raise
    return db
