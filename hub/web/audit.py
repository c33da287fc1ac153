"""The audit log: who did what to the lot, from where, and how it went.

One row per state-changing request over REST or WebSocket (gate commands, session edits,
payments, list changes, user and token changes, config reloads: they are all service
calls or writes), per login and onboarding attempt, and per CLI change of users and
tokens, in `<data_dir>/audit.db`:

    time, user, role, address, action, target, result, context_id

Rows are queued and written in one transaction a moment later (never on the request's
path); `GET /api/audit` (admin) flushes first, so it always shows the latest. Rows older
than `hub: audit_days` (default 90) are purged at start and daily.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiosqlite
import voluptuous as vol
from aiohttp import web

from hub.sqlite import async_open_database

from .api_doc import api_doc
from .helpers import json_response, validate

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .auth import TokenInfo

__all__ = ["AUDIT_FILE", "AuditLog", "async_register_audit_api", "record_cli"]

AUDIT_FILE: Final = "audit.db"
DEFAULT_AUDIT_DAYS: Final = 90
MAX_TEXT: Final = 512
MAX_PENDING: Final = 10_000

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    user TEXT,
    role TEXT,
    address TEXT,
    action TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL,
    context_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
"""
_INSERT: Final = (
    "INSERT INTO audit (time, user, role, address, action, target, result, context_id)"
    " VALUES (?,?,?,?,?,?,?,?)"
)
_Row = tuple[float, str | None, str | None, str, str, str, str, str | None]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


class AuditLog:
    """Queue rows on the loop, write them in batches through aiosqlite."""

    def __init__(self, hub: Hub, db: aiosqlite.Connection, keep_days: int) -> None:
        self._hub = hub
        self._db = db
        self._keep_days = keep_days
        self._pending: list[_Row] = []
        self._flush: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def async_open(cls, hub: Hub, keep_days: int = DEFAULT_AUDIT_DAYS) -> AuditLog:
        db = await async_open_database(hub.data_dir / AUDIT_FILE, SCHEMA)
        log = cls(hub, db, keep_days)
        await log.async_purge()
        return log

    def record_row(
        self,
        user: str | None,
        role: str | None,
        address: str,
        action: str,
        target: str,
        result: str,
        context_id: str | None = None,
    ) -> None:
        """Queue one row as given (for what no request caused: automations, MQTT)."""
        if len(self._pending) >= MAX_PENDING:
            return
        row = (self._hub.scheduler.timestamp(), user, role, address, _clip(action))
        self._pending.append((*row, _clip(target), _clip(result), context_id))
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self.async_flush())

    def record(
        self,
        principal: TokenInfo | None,
        address: str,
        action: str,
        target: str,
        result: str,
        context_id: str | None = None,
    ) -> None:
        """Queue one row; it is on disk within a moment (or at close). A flood of
        requests past MAX_PENDING rows waiting is not logged: the log must not eat the
        hub's memory."""
        self.record_row(
            None if principal is None else (principal.user or f"token:{principal.name}"),
            None if principal is None else principal.role,
            address,
            action,
            target,
            result,
            context_id,
        )

    async def async_flush(self) -> None:
        async with self._lock:
            rows, self._pending = self._pending, []
            if rows:
                await self._db.executemany(_INSERT, rows)
                await self._db.commit()

    async def async_purge(self) -> int:
        cutoff = self._hub.scheduler.timestamp() - self._keep_days * 86400
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM audit WHERE time < ?", (cutoff,))
            await self._db.commit()
        return int(cursor.rowcount)

    async def async_query(
        self, since: float | None, user: str | None, limit: int
    ) -> list[dict[str, Any]]:
        await self.async_flush()
        where: list[str] = ["1=1"]
        args: list[Any] = []
        if since is not None:
            where.append("time >= ?")
            args.append(since)
        if user is not None:
            where.append("user = ?")
            args.append(user)
        sql = (
            "SELECT time, user, role, address, action, target, result, context_id FROM audit"
            f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        )
        async with self._db.execute(sql, (*args, limit)) as cursor:
            rows = await cursor.fetchall()
        keys = ("time", "user", "role", "address", "action", "target", "result", "context_id")
        found = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["time"] = datetime.fromtimestamp(row[0], UTC).isoformat()
            found.append(item)
        return found

    async def async_close(self) -> None:
        if self._flush is not None:
            await asyncio.wait([self._flush])
        await self.async_flush()
        await self._db.close()


def record_cli(data_dir: Path, action: str, target: str, result: str = "ok") -> None:
    """A row for a CLI change (no hub, no loop): plain sqlite3, blocking, one commit."""
    path = Path(data_dir) / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.execute(_INSERT, (time.time(), "cli", "admin", "local", action, target, result, None))
    db.close()


def _since(value: Any) -> float:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise vol.Invalid(f"expected an ISO 8601 time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9999:
        raise vol.Invalid("expected a year from 1970 to 9999")
    return moment.timestamp()


QUERY_SCHEMA: Final = vol.Schema(
    {
        vol.Optional("since"): _since,
        vol.Optional("user"): vol.All(str, vol.Length(max=64)),
        vol.Optional("limit", default=200): vol.All(
            vol.Coerce(int, msg="expected a whole number"), vol.Range(min=1, max=5000)
        ),
    }
)


@api_doc(
    "Who did what, newest first",
    tag="auth",
    query=QUERY_SCHEMA.schema,
    response={"type": "object"},
    errors=(400,),
    role="admin",
)
async def _get_audit(request: web.Request) -> web.Response:
    """`GET /api/audit?since=ISO&user=NAME&limit=200`: newest first."""
    query = validate(QUERY_SCHEMA, dict(request.query), "query")
    from .access import ACCESS_KEY  # access.py names this module only for typing

    audit = request.app[ACCESS_KEY].audit
    if audit is None:
        return json_response({"entries": []})
    rows = await audit.async_query(query.get("since"), query.get("user"), query["limit"])
    return json_response({"entries": rows})


def async_register_audit_api(app: web.Application) -> None:
    app.router.add_get("/api/audit", _get_audit)
