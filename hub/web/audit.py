"""The audit log: who did what to the lot, from where, and how it went.

One row per state-changing request over REST or WebSocket (gate commands, session edits,
payments, list changes, user and token changes, config reloads: they are all service
calls or writes), per login and onboarding attempt, and per CLI change of users and
tokens, in `<data_dir>/audit.db` (or PostgreSQL with `hub: audit_db_url:`):

    node, time, user, role, address, action, target, result, context_id

Each hub reads and purges only its own node's rows, so hubs may share one database.
Rows are queued and written in one transaction a moment later (never on the request's
path); `GET /api/audit` (admin) flushes first, so it always shows the latest. Rows older
than `hub: audit_days` (default 90) are purged at start and daily.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from hub.config import HubConfig
from hub.database import Database, async_connect, config_node, hub_node

from .api_doc import api_doc
from .helpers import json_response, validate

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .auth import TokenInfo

__all__ = [
    "AUDIT_FILE",
    "AuditLog",
    "async_open_audit",
    "async_register_audit_api",
    "record_cli",
]

AUDIT_FILE: Final = "audit.db"
DEFAULT_AUDIT_DAYS: Final = 90
MAX_TEXT: Final = 512
MAX_PENDING: Final = 10_000

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node TEXT NOT NULL DEFAULT '',
    time REAL NOT NULL,
    "user" TEXT,
    role TEXT,
    address TEXT,
    action TEXT NOT NULL,
    target TEXT,
    result TEXT NOT NULL,
    context_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_node_time ON audit (node, time);
"""
# SCHEMA is the latest version, for a new database; MIGRATIONS[i] upgrades an existing one
# from version i + 1, in order; never edit one that has shipped (see hub/database.py).
MIGRATIONS: Final[tuple[str, ...]] = (
    # 1 -> 2: rows carry the hub's node (several hubs may share one PostgreSQL database).
    """
    ALTER TABLE audit ADD COLUMN node TEXT NOT NULL DEFAULT '';
    DROP INDEX IF EXISTS audit_time;
    CREATE INDEX audit_node_time ON audit (node, time);
    """,
)
# `user` is quoted: PostgreSQL reserves the word (unquoted it means the session's user).
_INSERT: Final = (
    'INSERT INTO audit (node, time, "user", role, address, action, target, result, context_id)'
    " VALUES (?,?,?,?,?,?,?,?,?)"
)
_PRAGMAS: Final = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")
_Row = tuple[float, str | None, str | None, str, str, str, str, str | None]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


class AuditLog:
    """Queue rows on the loop, write them in batches (this hub's node's rows only)."""

    def __init__(self, hub: Hub, db: Database, keep_days: int) -> None:
        self._hub = hub
        self._db = db
        self.node = hub_node(hub)
        self._keep_days = keep_days
        self._pending: list[_Row] = []
        self._flush: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def async_open(cls, hub: Hub, keep_days: int = DEFAULT_AUDIT_DAYS) -> AuditLog:
        db = await async_open_audit(hub.config.audit_db_url, hub.data_dir, hub_node(hub))
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
                async with self._db.transaction():
                    await self._db.executemany(_INSERT, [(self.node, *row) for row in rows])

    async def async_purge(self) -> int:
        cutoff = self._hub.scheduler.timestamp() - self._keep_days * 86400
        async with self._lock:
            return await self._db.execute(
                "DELETE FROM audit WHERE node = ? AND time < ?", (self.node, cutoff)
            )

    async def async_query(
        self, since: float | None, user: str | None, limit: int
    ) -> list[dict[str, Any]]:
        await self.async_flush()
        where: list[str] = ["node = ?"]
        args: list[Any] = [self.node]
        if since is not None:
            where.append("time >= ?")
            args.append(since)
        if user is not None:
            where.append('"user" = ?')
            args.append(user)
        sql = (
            'SELECT time, "user", role, address, action, target, result, context_id FROM audit'
            f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        )
        rows = await self._db.fetchall(sql, (*args, limit))
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


async def async_open_audit(db_url: str | None, data_dir: Path, node: str) -> Database:
    """The audit log's database: `hub: audit_db_url:` (PostgreSQL) or `audit.db`."""
    return await async_connect(
        db_url or Path(data_dir) / AUDIT_FILE,
        "audit",
        SCHEMA,
        MIGRATIONS,
        _PRAGMAS,
        node=node,
        adopt=("audit",),
    )


def record_cli(
    data_dir: Path,
    action: str,
    target: str,
    result: str = "ok",
    config: HubConfig | None = None,
) -> None:
    """A row for a CLI change (no hub, no loop): one short-lived connection of its own,
    blocking until the row is committed. `config`: the `hub:` section (which database,
    which node); None: the defaults."""
    config = config or HubConfig()

    async def write() -> None:
        db = await async_open_audit(config.audit_db_url, data_dir, config_node(config))
        try:
            row = ("cli", "admin", "local", action, target, result, None)
            await db.execute(_INSERT, (config_node(config), time.time(), *row))
        finally:
            await db.close()

    asyncio.run(write())


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
