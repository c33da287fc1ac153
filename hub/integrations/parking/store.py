"""`parking.db`: sessions and reservations, one aiosqlite connection, every save committed.

A save writes the whole record (INSERT OR REPLACE), so the file always holds the last
state the hub decided on; `synchronous=FULL` because a session the gate opened for must
survive a power cut too. Open sessions and live reservations are read back at start.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Final

import aiosqlite

from hub.sqlite import async_open_database

from .const import RES_BOOKED, RES_USED, STATUS_OPEN
from .models import Reservation, Session

__all__ = ["ParkingStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    lot TEXT NOT NULL,
    plate TEXT NOT NULL,
    entry_time REAL NOT NULL,
    list TEXT,
    listed TEXT NOT NULL,
    entry_camera TEXT,
    entry_snapshot TEXT,
    status TEXT NOT NULL,
    exit_time REAL,
    exit_camera TEXT,
    exit_snapshot TEXT,
    exit_plate TEXT,
    end_reason TEXT,
    fee INTEGER,
    multiplier REAL NOT NULL,
    paid_amount INTEGER NOT NULL,
    payment_method TEXT,
    paid_at REAL,
    paid_flag INTEGER,
    extended_s REAL NOT NULL,
    overstay_fired INTEGER NOT NULL,
    long_stay_fired INTEGER NOT NULL,
    reservation_id TEXT,
    context_id TEXT
);
CREATE INDEX IF NOT EXISTS sessions_status ON sessions (status, lot);
CREATE INDEX IF NOT EXISTS sessions_plate ON sessions (plate, entry_time);
CREATE INDEX IF NOT EXISTS sessions_exit ON sessions (exit_time);
CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    lot TEXT NOT NULL,
    plate TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL NOT NULL,
    slot TEXT,
    status TEXT NOT NULL,
    note TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_window ON reservations (lot, "end");
"""
# Schema changes after version 1 (SCHEMA), in order, one SQL script each; never edit one
# that has shipped (hub/sqlite.py runs them and keeps PRAGMA user_version).
MIGRATIONS: Final[tuple[str, ...]] = ()

_SESSION_COLUMNS: Final = tuple(field.name for field in fields(Session))
_RES_COLUMNS: Final = tuple(field.name for field in fields(Reservation))


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


class ParkingStore:
    """The one connection to `parking.db`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._db.row_factory = aiosqlite.Row

    @classmethod
    async def async_open(cls, path: Path) -> ParkingStore:
        return cls(await async_open_database(path, SCHEMA, MIGRATIONS))

    async def async_close(self) -> None:
        await self._db.close()

    # -- writes (each one committed before it returns) ------------------------------------

    async def async_save_session(self, row: dict[str, Any]) -> None:
        """Save a session row taken with `Session.row()` when the change was decided."""
        await self._save("sessions", _SESSION_COLUMNS, row)

    async def async_save_reservation(self, row: dict[str, Any]) -> None:
        await self._save("reservations", _RES_COLUMNS, row)

    async def _save(self, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> None:
        marks = ", ".join("?" for _ in columns)
        await self._db.execute(
            f"INSERT OR REPLACE INTO {table} ({_quoted(columns)}) VALUES ({marks})",
            tuple(row[name] for name in columns),
        )
        await self._db.commit()

    # -- reads ----------------------------------------------------------------------------

    async def async_open_sessions(self) -> list[Session]:
        return await self._sessions("WHERE status = ? ORDER BY entry_time", (STATUS_OPEN,))

    async def async_live_reservations(self) -> list[Reservation]:
        async with self._db.execute(
            f"SELECT {_quoted(_RES_COLUMNS)} FROM reservations WHERE status IN (?, ?)"
            " ORDER BY start",
            (RES_BOOKED, RES_USED),
        ) as cursor:
            return [Reservation.from_row(dict(row)) async for row in cursor]

    async def async_reservations(
        self, lot: str | None, plate: str | None, since: float | None, limit: int
    ) -> list[Reservation]:
        where, args = _filters(lot=lot, plate=plate)
        if since is not None:
            where.append('"end" >= ?')
            args.append(since)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        async with self._db.execute(
            f"SELECT {_quoted(_RES_COLUMNS)} FROM reservations {clause} ORDER BY start DESC"
            " LIMIT ?",
            (*args, limit),
        ) as cursor:
            return [Reservation.from_row(dict(row)) async for row in cursor]

    async def async_sessions(
        self,
        lot: str | None,
        plate: str | None,
        active: bool | None,
        limit: int,
        *,
        entered_from: float | None = None,
        entered_before: float | None = None,
        paid: bool | None = None,
    ) -> list[Session]:
        """Newest first; `entered_*` bound the entry time, `paid` picks paid or unpaid."""
        where, args = _filters(lot=lot, plate=plate)
        if active is not None:
            where.append("status = ?" if active else "status != ?")
            args.append(STATUS_OPEN)
        if entered_from is not None:
            where.append("entry_time >= ?")
            args.append(entered_from)
        if entered_before is not None:
            where.append("entry_time < ?")
            args.append(entered_before)
        if paid is not None:  # Session.paid, in SQL
            where.append(
                f"{'' if paid else 'NOT '}"
                "COALESCE(paid_flag, fee IS NOT NULL AND paid_amount >= fee)"
            )
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        return await self._sessions(f"{clause}ORDER BY entry_time DESC LIMIT ?", (*args, limit))

    async def async_session(self, session_id: str) -> Session | None:
        found = await self._sessions("WHERE id = ?", (session_id,))
        return found[0] if found else None

    async def async_revenue_since(self, lot: str, since: float) -> tuple[int, int]:
        """Fees charged and amounts paid for sessions of `lot` that ended since `since`."""
        async with self._db.execute(
            "SELECT COALESCE(SUM(fee), 0), COALESCE(SUM(paid_amount), 0) FROM sessions"
            " WHERE lot = ? AND exit_time >= ?",
            (lot, since),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    async def _sessions(self, clause: str, args: tuple[Any, ...]) -> list[Session]:
        async with self._db.execute(
            f"SELECT {_quoted(_SESSION_COLUMNS)} FROM sessions {clause}", args
        ) as cursor:
            return [Session.from_row(dict(row)) async for row in cursor]


def _filters(**values: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, value in values.items():
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    return where, args
