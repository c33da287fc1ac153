"""`data/lpr.db`: list entries added at run time (services, REST), kept across restarts.

The lists themselves (kind, fuzziness) are config; the database holds only entries, so
an entry for a list that config no longer names is kept but not used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import aiosqlite

from hub.sqlite import async_open_database

from .lists import ListEntry

__all__ = ["ListStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS plates (
    list TEXT NOT NULL,
    plate TEXT NOT NULL,
    note TEXT,
    valid_from REAL,
    valid_until REAL,
    added REAL NOT NULL,
    PRIMARY KEY (list, plate)
);
"""
# Schema changes after version 1 (SCHEMA), in order, one SQL script each; never edit one
# that has shipped (hub/sqlite.py runs them and keeps PRAGMA user_version).
MIGRATIONS: Final[tuple[str, ...]] = ()


def _timestamp(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _moment(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


class ListStore:
    """The one connection to `lpr.db`; each change is its own committed transaction."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def async_open(cls, path: Path) -> ListStore:
        return cls(await async_open_database(path, SCHEMA, MIGRATIONS))

    async def async_close(self) -> None:
        await self._db.close()

    async def async_entries(self) -> list[ListEntry]:
        async with self._db.execute(
            "SELECT list, plate, note, valid_from, valid_until FROM plates ORDER BY list, plate"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            ListEntry(row[0], row[1], row[2], _moment(row[3]), _moment(row[4]), source="db")
            for row in rows
        ]

    async def async_put(self, entry: ListEntry, added: float) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO plates (list, plate, note, valid_from, valid_until, added)"
            " VALUES (?,?,?,?,?,?)",
            (
                entry.list,
                entry.plate,
                entry.note,
                _timestamp(entry.valid_from),
                _timestamp(entry.valid_until),
                added,
            ),
        )
        await self._db.commit()

    async def async_delete(self, list_name: str, plate: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM plates WHERE list = ? AND plate = ?", (list_name, plate)
        )
        await self._db.commit()
        return bool(cursor.rowcount)
