"""`data/lpr.db` (or PostgreSQL with `lpr: db_url:`): list entries added at run time
(services, REST), kept across restarts.

The lists themselves (kind, fuzziness) are config; the database holds only entries, so
an entry for a list that config no longer names is kept but not used. Rows carry the
hub's node and each hub reads only its own: hubs sharing one PostgreSQL database keep
their own lists, as their configs keep their own list definitions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hub.database import Database, async_connect

from .lists import ListEntry

__all__ = ["ListStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS plates (
    node TEXT NOT NULL DEFAULT '',
    list TEXT NOT NULL,
    plate TEXT NOT NULL,
    note TEXT,
    valid_from REAL,
    valid_until REAL,
    added REAL NOT NULL,
    PRIMARY KEY (node, list, plate)
);
"""
# SCHEMA is the latest version, for a new database; MIGRATIONS[i] upgrades an existing one
# from version i + 1, in order; never edit one that has shipped (see hub/database.py).
MIGRATIONS: Final[tuple[str, ...]] = (
    # 1 -> 2: rows carry the hub's node, part of the key.
    """
    CREATE TABLE plates_v2 (
        node TEXT NOT NULL DEFAULT '',
        list TEXT NOT NULL,
        plate TEXT NOT NULL,
        note TEXT,
        valid_from REAL,
        valid_until REAL,
        added REAL NOT NULL,
        PRIMARY KEY (node, list, plate)
    );
    INSERT INTO plates_v2 (list, plate, note, valid_from, valid_until, added)
        SELECT list, plate, note, valid_from, valid_until, added FROM plates;
    DROP TABLE plates;
    ALTER TABLE plates_v2 RENAME TO plates;
    """,
)
_PRAGMAS: Final = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")


def _timestamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _moment(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class ListStore:
    """The connection to `lpr.db` (or PostgreSQL); each change is committed at once."""

    def __init__(self, db: Database, node: str) -> None:
        self._db = db
        self.node = node

    @classmethod
    async def async_open(cls, target: Path | str, node: str = "") -> ListStore:
        """Open `target` (the SQLite file, or a postgresql:// URL) as `node`'s lists."""
        db = await async_connect(
            target, "lpr", SCHEMA, MIGRATIONS, _PRAGMAS, ordered=True, node=node, adopt=("plates",)
        )
        return cls(db, node)

    async def async_close(self) -> None:
        await self._db.close()

    async def async_entries(self) -> list[ListEntry]:
        rows = await self._db.fetchall(
            "SELECT list, plate, note, valid_from, valid_until FROM plates WHERE node = ?"
            " ORDER BY list, plate",
            (self.node,),
        )
        return [
            ListEntry(row[0], row[1], row[2], _moment(row[3]), _moment(row[4]), source="db")
            for row in rows
        ]

    async def async_put(self, entry: ListEntry, added: float) -> None:
        """Add an entry, or replace the one with the same list and plate."""
        await self._db.execute(
            "INSERT INTO plates (node, list, plate, note, valid_from, valid_until, added)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (node, list, plate) DO UPDATE SET"
            " note = excluded.note, valid_from = excluded.valid_from,"
            " valid_until = excluded.valid_until, added = excluded.added",
            (
                self.node,
                entry.list,
                entry.plate,
                entry.note,
                _timestamp(entry.valid_from),
                _timestamp(entry.valid_until),
                added,
            ),
        )

    async def async_delete(self, list_name: str, plate: str) -> bool:
        changed = await self._db.execute(
            "DELETE FROM plates WHERE node = ? AND list = ? AND plate = ?",
            (self.node, list_name, plate),
        )
        return bool(changed)
