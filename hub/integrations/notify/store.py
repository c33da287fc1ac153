"""The outbox's store: notifications waiting or done, and the panel's inbox, in
`notify.db` (or PostgreSQL with `notify: db_url:`, through hub/database.py).

Every notification is committed here before its first attempt, so a crash or a kill
never loses one; on start the pending ones are read back and resumed. The panel's
persistent notifications live in the same file, keyed by the notification id, so a
retried panel delivery can never show the same message twice. Rows carry the hub's
node, and each hub reads and resumes only its own: several hubs may share one database.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Final

from hub.core.json import json_dumps, json_loads
from hub.database import Database, async_connect

from .const import STATUS_PENDING
from .models import Notification

__all__ = ["OutboxStore"]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    node TEXT NOT NULL DEFAULT '',
    id TEXT NOT NULL,
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
    finished REAL,
    PRIMARY KEY (node, id)
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (node, status, finished);
CREATE TABLE IF NOT EXISTS panel (
    node TEXT NOT NULL DEFAULT '',
    id TEXT NOT NULL,
    notifier TEXT NOT NULL,
    title TEXT,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    created REAL NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    target TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (node, id)
);
"""
# SCHEMA is the latest version, for a new database; MIGRATIONS[i] upgrades an existing one
# from version i + 1, in order; never edit one that has shipped (see hub/database.py).
MIGRATIONS: Final[tuple[str, ...]] = (
    # 1 -> 2: who a panel notification is for ('' = the staff).
    "ALTER TABLE panel ADD COLUMN target TEXT NOT NULL DEFAULT '';",
    # 2 -> 3: rows carry the hub's node, part of the key (hubs sharing one database may
    # use the same idempotency key for different notifications).
    """
    CREATE TABLE outbox_v3 (
        node TEXT NOT NULL DEFAULT '',
        id TEXT NOT NULL,
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
        finished REAL,
        PRIMARY KEY (node, id)
    );
    INSERT INTO outbox_v3 (id, notifier, target, title, message, data, attachments, created,
        tries, next_attempt, status, context_id, last_error, finished)
        SELECT id, notifier, target, title, message, data, attachments, created, tries,
            next_attempt, status, context_id, last_error, finished FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v3 RENAME TO outbox;
    CREATE INDEX outbox_status ON outbox (node, status, finished);
    CREATE TABLE panel_v3 (
        node TEXT NOT NULL DEFAULT '',
        id TEXT NOT NULL,
        notifier TEXT NOT NULL,
        title TEXT,
        message TEXT NOT NULL,
        data TEXT NOT NULL,
        created REAL NOT NULL,
        read INTEGER NOT NULL DEFAULT 0,
        target TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (node, id)
    );
    INSERT INTO panel_v3 (id, notifier, title, message, data, created, read, target)
        SELECT id, notifier, title, message, data, created, read, target FROM panel;
    DROP TABLE panel;
    ALTER TABLE panel_v3 RENAME TO panel;
    """,
)
_PRAGMAS: Final = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")

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
    """The connection to `notify.db` (or PostgreSQL); each write is its own committed
    transaction, and every read and write keeps to this hub's `node`."""

    def __init__(self, db: Database, node: str) -> None:
        self._db = db
        self.node = node

    @classmethod
    async def async_open(cls, target: Path | str, node: str = "") -> OutboxStore:
        """Open `target` (the SQLite file, or a postgresql:// URL) as `node`'s outbox."""
        db = await async_connect(
            target, "notify", SCHEMA, MIGRATIONS, _PRAGMAS, node=node, adopt=("outbox", "panel")
        )
        return cls(db, node)

    async def async_close(self) -> None:
        await self._db.close()

    # -- the outbox ------------------------------------------------------------------------

    async def async_add(self, notes: list[Notification]) -> list[Notification]:
        """Store new notifications in one transaction, before anyone tries to send them.

        Returns those that were new: an id already stored (a caller's idempotency key
        used again) is left as it was.
        """
        added: list[Notification] = []
        # One note (the usual call) needs no BEGIN/COMMIT around its one statement.
        async with self._db.transaction() if len(notes) > 1 else nullcontext():
            for note in notes:
                changed = await self._db.execute(
                    f"INSERT INTO outbox (node, {_COLUMNS}, status)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (node, id) DO NOTHING",
                    (
                        self.node,
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
                if changed:
                    added.append(note)
        return added

    async def async_pending(self) -> list[Notification]:
        """Everything not yet sent or given up on, oldest first (a restart resumes these)."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE node = ? AND status = ? ORDER BY created, id",
            (self.node, STATUS_PENDING),
        )
        return [_note(row) for row in rows]

    async def async_reschedule(self, note: Notification) -> None:
        """Record a failed try and when the next one is due."""
        await self._db.execute(
            "UPDATE outbox SET tries = ?, next_attempt = ?, last_error = ?"
            " WHERE node = ? AND id = ?",
            (note.tries, note.next_attempt, note.last_error, self.node, note.id),
        )

    async def async_finish(self, note: Notification, status: str, at: float) -> None:
        """Mark a notification sent or failed; it is never attempted again."""
        await self._db.execute(
            "UPDATE outbox SET status = ?, tries = ?, last_error = ?, finished = ?"
            " WHERE node = ? AND id = ?",
            (status, note.tries, note.last_error, at, self.node, note.id),
        )

    async def async_status(self, note_id: str) -> tuple[str, int] | None:
        """(status, tries) of one notification, for the API and tests."""
        row = await self._db.fetchone(
            "SELECT status, tries FROM outbox WHERE node = ? AND id = ?", (self.node, note_id)
        )
        return None if row is None else (row[0], int(row[1]))

    async def async_purge(self, before: float) -> None:
        """Forget sent and failed notifications finished before `before`."""
        await self._db.execute(
            "DELETE FROM outbox WHERE node = ? AND status != ? AND finished < ?",
            (self.node, STATUS_PENDING, before),
        )

    # -- the panel's inbox -----------------------------------------------------------------

    async def async_panel_add(self, note: Notification) -> None:
        """Store a panel notification; the same id twice is one notification (a retry,
        or a resume after a crash between this commit and the outbox's, inserts nothing).
        The note's target (a user name, or '' for the staff) says who may see it.
        """
        await self._db.execute(
            "INSERT INTO panel (node, id, notifier, title, message, data, created, target)"
            " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (node, id) DO NOTHING",
            (
                self.node,
                note.id,
                note.notifier,
                note.title,
                note.message,
                json_dumps(note.data),
                note.created,
                note.target or "",
            ),
        )

    def _where(self, audience: Collection[str] | None) -> tuple[list[str], list[Any]]:
        """This node's rows, for `audience` (targets; None: everyone's)."""
        where: list[str] = ["node = ?"]
        args: list[Any] = [self.node]
        if audience is not None:
            where.append(f"target IN ({','.join('?' * len(audience))})" if audience else "1 = 0")
            args.extend(audience)
        return where, args

    async def async_panel_list(
        self, unread_only: bool = False, audience: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """Panel notifications for `audience` (None: all), newest first."""
        where, args = self._where(audience)
        if unread_only:
            where.append("read = 0")
        rows = await self._db.fetchall(
            "SELECT id, notifier, title, message, data, created, read FROM panel"
            f" WHERE {' AND '.join(where)} ORDER BY created DESC, id DESC",
            args,
        )
        return [_panel_item(row) for row in rows]

    async def async_panel_mark(
        self, note_id: str | None, read: bool, audience: Collection[str] | None = None
    ) -> int:
        """Mark one (or, with None, every) panel notification of `audience` read or
        unread; rows changed."""
        where, args = self._where(audience)
        if note_id is not None:
            where.append("id = ?")
            args.append(note_id)
        return await self._db.execute(
            f"UPDATE panel SET read = ? WHERE {' AND '.join(where)}", [int(read), *args]
        )

    async def async_panel_delete(
        self, note_id: str, audience: Collection[str] | None = None
    ) -> bool:
        where, args = self._where(audience)
        where.append("id = ?")
        args.append(note_id)
        return bool(await self._db.execute(f"DELETE FROM panel WHERE {' AND '.join(where)}", args))
