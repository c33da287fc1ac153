"""The outbox's SQLite file: notifications waiting or done, and the panel's inbox.

Every notification is committed here before its first attempt, so a crash or a kill
never loses one; on start the pending ones are read back and resumed. The panel's
persistent notifications live in the same file, keyed by the notification id, so a
retried panel delivery can never show the same message twice.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, Final

import aiosqlite

from hub.core.json import json_dumps, json_loads
from hub.sqlite import async_open_database

from .const import STATUS_PENDING
from .models import Notification

__all__ = ["OutboxStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    notifier TEXT NOT NULL,
    target TEXT NOT NULL,
    title TEXT,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    attachments TEXT NOT NULL,
    created REAL NOT NULL,
    tries INTEGER NOT NULL,
    next_attempt REAL NOT NULL,
    status TEXT NOT NULL,
    context_id TEXT,
    last_error TEXT,
    finished REAL
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, finished);
CREATE TABLE IF NOT EXISTS panel (
    id TEXT PRIMARY KEY,
    notifier TEXT NOT NULL,
    title TEXT,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    created REAL NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
);
"""
# Schema changes after version 1 (SCHEMA), in order, one SQL script each; never edit one
# that has shipped (hub/sqlite.py runs them and keeps PRAGMA user_version).
MIGRATIONS: Final[tuple[str, ...]] = (
    # 2: who a panel notification is for ('' = the staff).
    "ALTER TABLE panel ADD COLUMN target TEXT NOT NULL DEFAULT '';",
)

_COLUMNS: Final = (
    "id, notifier, target, title, message, data, attachments, created, tries, next_attempt,"
    " context_id, last_error"
)


def _note(row: Any) -> Notification:
    return Notification(
        id=row[0],
        notifier=row[1],
        target=row[2],
        title=row[3],
        message=row[4],
        data=json_loads(row[5]),
        attachments=[Path(path) for path in json_loads(row[6])],
        created=row[7],
        tries=row[8],
        next_attempt=row[9],
        context_id=row[10],
        last_error=row[11],
    )


def _panel_item(row: Any) -> dict[str, Any]:
    return {
        "id": row[0],
        "notifier": row[1],
        "title": row[2],
        "message": row[3],
        "data": json_loads(row[4]),
        "created": row[5],
        "read": bool(row[6]),
    }


class OutboxStore:
    """The one connection to `notify.db`; each write is its own committed transaction."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def async_open(cls, path: Path) -> OutboxStore:
        return cls(await async_open_database(path, SCHEMA, MIGRATIONS))

    async def async_close(self) -> None:
        await self._db.close()

    # -- the outbox ------------------------------------------------------------------------

    async def async_add(self, notes: list[Notification]) -> list[Notification]:
        """Store new notifications in one transaction, before anyone tries to send them.

        Returns those that were new: an id already stored (a caller's idempotency key
        used again) is left as it was.
        """
        added: list[Notification] = []
        for note in notes:
            cursor = await self._db.execute(
                f"INSERT OR IGNORE INTO outbox ({_COLUMNS}, status)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    note.id,
                    note.notifier,
                    note.target,
                    note.title,
                    note.message,
                    json_dumps(note.data),
                    json_dumps([str(path) for path in note.attachments]),
                    note.created,
                    note.tries,
                    note.next_attempt,
                    note.context_id,
                    note.last_error,
                    STATUS_PENDING,
                ),
            )
            if cursor.rowcount:
                added.append(note)
        await self._db.commit()
        return added

    async def async_pending(self) -> list[Notification]:
        """Everything not yet sent or given up on, oldest first (a restart resumes these)."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = ? ORDER BY created, id",
            (STATUS_PENDING,),
        ) as cursor:
            return [_note(row) async for row in cursor]

    async def async_reschedule(self, note: Notification) -> None:
        """Record a failed try and when the next one is due."""
        await self._db.execute(
            "UPDATE outbox SET tries = ?, next_attempt = ?, last_error = ? WHERE id = ?",
            (note.tries, note.next_attempt, note.last_error, note.id),
        )
        await self._db.commit()

    async def async_finish(self, note: Notification, status: str, at: float) -> None:
        """Mark a notification sent or failed; it is never attempted again."""
        await self._db.execute(
            "UPDATE outbox SET status = ?, tries = ?, last_error = ?, finished = ? WHERE id = ?",
            (status, note.tries, note.last_error, at, note.id),
        )
        await self._db.commit()

    async def async_status(self, note_id: str) -> tuple[str, int] | None:
        """(status, tries) of one notification, for the API and tests."""
        async with self._db.execute(
            "SELECT status, tries FROM outbox WHERE id = ?", (note_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else (row[0], row[1])

    async def async_purge(self, before: float) -> None:
        """Forget sent and failed notifications finished before `before`."""
        await self._db.execute(
            "DELETE FROM outbox WHERE status != ? AND finished < ?", (STATUS_PENDING, before)
        )
        await self._db.commit()

    # -- the panel's inbox -----------------------------------------------------------------

    async def async_panel_add(self, note: Notification) -> None:
        """Store a panel notification; the same id twice is one notification.

        Not committed here: the outbox marks the note sent right after, and that commit
        carries this row too (one disk sync per panel message, not two). A crash in
        between leaves the note pending, and its retry inserts the same id again.
        The note's target (a user name, or '' for the staff) says who may see it.
        """
        await self._db.execute(
            "INSERT OR IGNORE INTO panel (id, notifier, title, message, data, created, target)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                note.id,
                note.notifier,
                note.title,
                note.message,
                json_dumps(note.data),
                note.created,
                note.target or "",
            ),
        )

    @staticmethod
    def _audience(audience: Collection[str] | None, where: list[str], args: list[Any]) -> None:
        """Limit a query to notifications for `audience` (targets); None: everyone's."""
        if audience is not None:
            where.append(f"target IN ({','.join('?' * len(audience))})" if audience else "0")
            args.extend(audience)

    async def async_panel_list(
        self, unread_only: bool = False, audience: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """Panel notifications for `audience` (None: all), newest first."""
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if unread_only:
            where.append("read = 0")
        self._audience(audience, where, args)
        async with self._db.execute(
            "SELECT id, notifier, title, message, data, created, read FROM panel"
            f" WHERE {' AND '.join(where)} ORDER BY created DESC, id DESC",
            args,
        ) as cursor:
            return [_panel_item(row) async for row in cursor]

    async def async_panel_mark(
        self, note_id: str | None, read: bool, audience: Collection[str] | None = None
    ) -> int:
        """Mark one (or, with None, every) panel notification of `audience` read or
        unread; rows changed."""
        where: list[str] = ["1=1"]
        args: list[Any] = [int(read)]
        if note_id is not None:
            where.append("id = ?")
            args.append(note_id)
        self._audience(audience, where, args)
        cursor = await self._db.execute(
            f"UPDATE panel SET read = ? WHERE {' AND '.join(where)}", args
        )
        await self._db.commit()
        return int(cursor.rowcount)

    async def async_panel_delete(
        self, note_id: str, audience: Collection[str] | None = None
    ) -> bool:
        where, args = ["id = ?"], [note_id]
        self._audience(audience, where, args)
        cursor = await self._db.execute(f"DELETE FROM panel WHERE {' AND '.join(where)}", args)
        await self._db.commit()
        return bool(cursor.rowcount)
