"""`parking.db` (or PostgreSQL with `parking: db_url:`): sessions and reservations, every
save committed before it returns.

A save writes the whole record (an upsert), so the database always holds the last state
the hub decided on; SQLite runs with `synchronous=FULL` because a session the gate opened
for must survive a power cut too. Saves made while a commit is under way wait for it and
then share the next one (group commit, in the order made): a backlog of reads (a worker
node's outbox after an outage) is not held to one fsync per session. Open sessions and
live reservations are read back at start. Rows carry the hub's `node`, and every read
keeps to this hub's own: several hubs may share one PostgreSQL database (a SQLite file
adopts its rows under the current node).
"""

from __future__ import annotations

import asyncio
from dataclasses import fields
from pathlib import Path
from typing import Any, Final

from hub.database import Database, async_connect

from .const import RES_BOOKED, RES_USED, STATUS_OPEN
from .models import Reservation, Session

__all__ = ["ParkingStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    node TEXT NOT NULL DEFAULT '',
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
    context_id TEXT,
    exit_context_id TEXT
);
CREATE INDEX IF NOT EXISTS sessions_status ON sessions (status, lot);
CREATE INDEX IF NOT EXISTS sessions_plate ON sessions (plate, entry_time);
CREATE INDEX IF NOT EXISTS sessions_exit ON sessions (exit_time);
CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    node TEXT NOT NULL DEFAULT '',
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
# SCHEMA is the latest version, for a new database; MIGRATIONS[i] upgrades an existing one
# from version i + 1, in order; never edit one that has shipped (see hub/database.py).
MIGRATIONS: Final[tuple[str, ...]] = (
    # 1 -> 2: rows carry the hub's node.
    """
    ALTER TABLE sessions ADD COLUMN node TEXT NOT NULL DEFAULT '';
    ALTER TABLE reservations ADD COLUMN node TEXT NOT NULL DEFAULT '';
    """,
    # 2 -> 3: the context of the read (or call) that ended a session, so a read delivered
    # again (a worker node's event after a central restart) is recognised.
    """
    ALTER TABLE sessions ADD COLUMN exit_context_id TEXT;
    """,
)
_PRAGMAS: Final = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")

_SESSION_COLUMNS: Final = tuple(field.name for field in fields(Session))
_RES_COLUMNS: Final = tuple(field.name for field in fields(Reservation))


# A save waiting for its commit: the statement, its parameters, the caller's future.
_Queued = tuple[str, tuple[Any, ...], "asyncio.Future[None]"]


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():  # the caller gave up waiting (cancelled); the row is written anyway
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


class ParkingStore:
    """The connection to `parking.db` or the PostgreSQL database; rows of `node` only."""

    def __init__(self, db: Database, node: str) -> None:
        self._db = db
        self.node = node
        # Saves waiting for the next commit, in order, and the task committing them.
        self._queued: list[_Queued] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_save: asyncio.Future[None] | None = None

    @classmethod
    async def async_open(cls, target: Path | str, node: str = "") -> ParkingStore:
        """Open `target` (the SQLite file, or a postgresql:// URL) as `node`'s store."""
        db = await async_connect(target, "parking", SCHEMA, MIGRATIONS, _PRAGMAS, ordered=True)
        if db.dialect == "sqlite":
            try:
                async with db.transaction():
                    for table in ("sessions", "reservations"):
                        await db.execute(
                            f"UPDATE {table} SET node = ? WHERE node <> ?", (node, node)
                        )
            except BaseException:
                await db.close()
                raise
        return cls(db, node)

    async def async_close(self) -> None:
        if self._writer is not None:
            await asyncio.wait({self._writer})
        await self._db.close()

    @property
    def database(self) -> Database:
        """The connection, for report.py's read-only queries across nodes."""
        return self._db

    # -- writes (each one committed before it returns) ------------------------------------

    async def async_save_session(self, row: dict[str, Any]) -> None:
        """Save a session row taken with `Session.row()` when the change was decided."""
        await self._save("sessions", _SESSION_COLUMNS, row)

    async def async_save_reservation(self, row: dict[str, Any]) -> None:
        await self._save("reservations", _RES_COLUMNS, row)

    async def _save(self, table: str, columns: tuple[str, ...], row: dict[str, Any]) -> None:
        done = asyncio.get_running_loop().create_future()
        params = (self.node, *(row[name] for name in columns))
        self._queued.append((_upsert(table, columns), params, done))
        self._last_save = done
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._async_commit_queued())
        await done

    async def _async_commit_queued(self) -> None:
        batch: list[_Queued] = []
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                if len(batch) == 1 or not await self._async_commit_together(batch):
                    await self._async_commit_each(batch)
        finally:
            self._writer = None
            for _sql, _params, done in (*batch, *self._queued):
                done.cancel()  # only if still waiting: the hub is stopping this task

    async def _async_commit_together(self, batch: list[_Queued]) -> bool:
        """One transaction for the batch; False if a row failed (then none is kept)."""
        try:
            async with self._db.transaction():
                for sql, params, _done in batch:
                    await self._db.execute(sql, params)
        except Exception:
            return False
        for _sql, _params, done in batch:
            _settle(done, None)
        return True

    async def _async_commit_each(self, batch: list[_Queued]) -> None:
        """Each row on its own, so one bad row fails only its own caller."""
        for sql, params, done in batch:
            try:
                await self._db.execute(sql, params)
            except Exception as err:
                _settle(done, err)
            else:
                _settle(done, None)

    # -- reads ----------------------------------------------------------------------------

    async def async_after_saves(self) -> None:
        """A read sees every save made before it (they may still wait for their commit)."""
        last = self._last_save
        if last is not None and not last.done():
            await asyncio.wait({last})

    async def async_open_sessions(self) -> list[Session]:
        return await self._sessions("AND status = ? ORDER BY entry_time", (STATUS_OPEN,))

    async def async_live_reservations(self) -> list[Reservation]:
        return await self._reservations(
            "AND status IN (?, ?) ORDER BY start", (RES_BOOKED, RES_USED)
        )

    async def async_reservations(
        self, lot: str | None, plate: str | None, since: float | None, limit: int
    ) -> list[Reservation]:
        where, args = _filters(lot=lot, plate=plate)
        if since is not None:
            where.append('"end" >= ?')
            args.append(since)
        clause = "".join(f"AND {condition} " for condition in where)
        return await self._reservations(f"{clause}ORDER BY start DESC LIMIT ?", (*args, limit))

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
        if paid is not None:  # Session.paid, in SQL (a boolean on both engines)
            where.append(
                f"{'' if paid else 'NOT '}"
                "COALESCE(paid_flag <> 0, fee IS NOT NULL AND paid_amount >= fee)"
            )
        clause = "".join(f"AND {condition} " for condition in where)
        return await self._sessions(f"{clause}ORDER BY entry_time DESC LIMIT ?", (*args, limit))

    async def async_recent_contexts(self, limit: int) -> list[str]:
        """The contexts that started or ended recent sessions (the open ones, the `limit`
        last entered, the `limit` last ended), oldest first: reads already applied, which
        a read delivered again must not apply twice."""
        await self.async_after_saves()
        started = await self._db.fetchall(
            "SELECT context_id FROM sessions WHERE node = ? AND context_id IS NOT NULL"
            " AND (status = ? OR entry_time >= COALESCE((SELECT MIN(entry_time) FROM"
            " (SELECT entry_time FROM sessions WHERE node = ? ORDER BY entry_time DESC"
            " LIMIT ?) AS newest), 0)) ORDER BY entry_time",
            (self.node, STATUS_OPEN, self.node, limit),
        )
        ended = await self._db.fetchall(
            "SELECT exit_context_id FROM sessions WHERE node = ? AND exit_context_id IS NOT NULL"
            " ORDER BY exit_time DESC LIMIT ?",
            (self.node, limit),
        )
        return [str(row[0]) for row in (*started, *reversed(ended))]

    async def async_session(self, session_id: str) -> Session | None:
        found = await self._sessions("AND id = ?", (session_id,))
        return found[0] if found else None

    async def async_revenue_since(self, lot: str, since: float) -> tuple[int, int]:
        """Fees charged and amounts paid for sessions of `lot` that ended since `since`."""
        await self.async_after_saves()
        row = await self._db.fetchone(
            "SELECT COALESCE(SUM(fee), 0), COALESCE(SUM(paid_amount), 0) FROM sessions"
            " WHERE node = ? AND lot = ? AND exit_time >= ?",
            (self.node, lot, since),
        )
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    async def _sessions(self, clause: str, args: tuple[Any, ...]) -> list[Session]:
        """This node's sessions; `clause` continues the WHERE (starting with AND)."""
        await self.async_after_saves()
        rows = await self._db.fetchall(
            f"SELECT {_quoted(_SESSION_COLUMNS)} FROM sessions WHERE node = ? {clause}",
            (self.node, *args),
        )
        return [Session.from_row(dict(zip(_SESSION_COLUMNS, row, strict=True))) for row in rows]

    async def _reservations(self, clause: str, args: tuple[Any, ...]) -> list[Reservation]:
        await self.async_after_saves()
        rows = await self._db.fetchall(
            f"SELECT {_quoted(_RES_COLUMNS)} FROM reservations WHERE node = ? {clause}",
            (self.node, *args),
        )
        return [Reservation.from_row(dict(zip(_RES_COLUMNS, row, strict=True))) for row in rows]


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    """INSERT of a whole record that replaces the stored one with the same id."""
    marks = ", ".join("?" for _ in range(len(columns) + 1))
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in ("node", *columns))
    return (
        f"INSERT INTO {table} (node, {_quoted(columns)}) VALUES ({marks})"
        f" ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def _filters(**values: str | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, value in values.items():
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    return where, args
