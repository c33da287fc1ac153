"""One way of talking to SQLite and PostgreSQL: a thin dialect layer, one set of queries.

The stores write their SQL once, in the common subset both engines understand (`INSERT
... ON CONFLICT`, correlated subqueries, `"end"` quoted), with SQLite's parameter styles
(`?` or `:name`). `Database` runs it on either engine:

- `SqliteDatabase` hands the text to aiosqlite unchanged (autocommit mode: a statement
  outside `transaction()` is committed when it returns).
- `PostgresDatabase` rewrites it once per statement text (cached) for asyncpg:
  placeholders become `$1..$n`, `json_each(x)` (how a list of ids is passed as one JSON
  array) becomes `json_array_elements_text(CAST(x AS json))`, and DDL types are widened
  (`INTEGER PRIMARY KEY` -> an identity column, `REAL` -> `DOUBLE PRECISION`).

Why not SQLAlchemy: see ARCHITECTURE.md ("Databases"). In short, the queries already
exist and are tuned for SQLite; the layer is ~250 lines, adds no dependency for a single
box, and keeps the recorder's hot path (one `executemany` per table per batch) as cheap
as before.

Schema versions: `SCHEMA` is always the *latest* schema (a fresh database gets it whole);
`MIGRATIONS[i]` upgrades version `i + 1` to `i + 2` (only existing databases run them).
SQLite keeps the version in `PRAGMA user_version`; PostgreSQL in the table
`parkhub_schema (store, version)`, changed under an advisory lock so that several hubs
starting against one database migrate it once.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiosqlite
import voluptuous as vol

from hub import validation as cv
from hub.core.exceptions import HubError

if TYPE_CHECKING:
    import asyncpg

    from hub.config import HubConfig
    from hub.core.hub import Hub

__all__ = [
    "Database",
    "DatabaseError",
    "NewerSchemaError",
    "PostgresDatabase",
    "SqliteDatabase",
    "async_adopt",
    "async_connect",
    "config_node",
    "hub_node",
    "is_postgres_url",
    "postgres_url",
    "redacted",
]

Params = Sequence[Any] | Mapping[str, Any]
Row = Sequence[Any]

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")


class NewerSchemaError(HubError):
    """The database was written by a newer ParkHub than this one: refused, not misread
    (one error for every store's version check)."""


class DatabaseError(HubError):
    """A statement failed (either engine's error, wrapped so callers catch one type)."""


def is_postgres_url(value: str) -> bool:
    return value.startswith(POSTGRES_SCHEMES)


def postgres_url(value: Any) -> str:
    """Config validator for `db_url:`: a `postgresql://user@host:port/db` URL."""
    text = cv.string(value).strip()
    if not is_postgres_url(text):
        raise vol.Invalid(
            f"invalid db_url {cv.describe_value(value)} (expected postgresql://user@host/db;"
            " leave it out for the SQLite file)"
        )
    return text


def hub_node(hub: Hub) -> str:
    """The id this hub's rows carry in a shared database: `hub: node:` if configured,
    else the slug of the hub's name (worker nodes, issue 18, add the `node` option)."""
    return config_node(hub.config)


def config_node(config: HubConfig) -> str:
    """`hub_node` from the `hub:` section alone (the CLI has no Hub)."""
    return config.node or cv.slugify(config.name, default="parkhub")


class Database(ABC):
    """One store's connection(s). Rows come back as sequences, in the SELECT's order."""

    dialect: str
    label: str  # for log messages: the file, or the URL without its password

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the rows it changed (0 for DDL)."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement per row (inside the caller's transaction, if any)."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    def transaction(self) -> Any:
        """`async with db.transaction():` BEGIN ... COMMIT, rolled back on any error."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def _async_migrate(self, store: str, schema: str, migrations: Sequence[str]) -> None:
        """Bring the store's tables to version `1 + len(migrations)`."""


# -- SQLite ---------------------------------------------------------------------------------


class SqliteDatabase(Database):
    """aiosqlite in autocommit mode; the SQL goes through unchanged.

    One connection serves every task, so while one task's `transaction()` is open the
    other tasks' calls wait (a fair lock, so calls still run in the order made): else
    they would run inside it, be reported done before its COMMIT, and go with its
    ROLLBACK. Calls of the task holding the transaction (a context variable, as in
    PostgresDatabase) go straight in."""

    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.label = str(path)
        self._lock = asyncio.Lock()
        self._owner: ContextVar[bool] = ContextVar(f"sqlite_{id(self)}", default=False)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._owner.get():
            yield
        else:
            async with self._lock:
                yield

    # One hop to aiosqlite's thread per call (each hop is a thread switch, and the small
    # stores make several per save): no separate cursor close, fetches in the same hop.
    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            async with self._turn():
                cursor = await self._db.execute(sql, params)
            return max(cursor.rowcount, 0)
        except aiosqlite.Error as err:
            raise DatabaseError(f"{self.label}: {err}") from err

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            async with self._turn():
                await self._db.executemany(sql, rows)
        except aiosqlite.Error as err:
            raise DatabaseError(f"{self.label}: {err}") from err

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            async with self._turn():
                return list(await self._db.execute_fetchall(sql, params))
        except aiosqlite.Error as err:
            raise DatabaseError(f"{self.label}: {err}") from err

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self._owner.get():
            raise RuntimeError("transactions do not nest")
        async with self._lock:
            # The owner mark is set only after BEGIN's real wait: a coroutine the hub
            # runs inline until its first wait (Hub.async_run_coroutine) is in its own
            # task's context from then on, where the mark must live and be reset.
            await self._raw("BEGIN")
            token = self._owner.set(True)
            try:
                yield
                await self._raw("COMMIT")
            except BaseException:
                # Only if still open: a failed COMMIT may have ended it already, and a
                # ROLLBACK then would raise and hide the error that matters.
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
            finally:
                self._owner.reset(token)

    async def _raw(self, sql: str) -> None:
        try:
            await self._db.execute(sql)
        except aiosqlite.Error as err:
            raise DatabaseError(f"{self.label}: {err}") from err

    async def close(self) -> None:
        await self._db.close()

    async def _async_migrate(self, store: str, schema: str, migrations: Sequence[str]) -> None:
        latest = 1 + len(migrations)
        row = await self.fetchone("PRAGMA user_version")
        version = int(row[0]) if row else 0
        if version == 0 and await self.fetchone("SELECT 1 FROM sqlite_master WHERE type = 'table'"):
            version = 1  # a file from before schema versions: it holds version 1
        if version > latest:
            raise NewerSchemaError(
                f"{self.label} has {store} schema version {version}, newer than this ParkHub"
                f" knows ({latest}): upgrade ParkHub, or restore a backup of the file"
            )
        if version == 0:
            await self._db.executescript(
                f"BEGIN;\n{schema}\nPRAGMA user_version = {latest};\nCOMMIT;"
            )
            return
        for number, script in enumerate(migrations[version - 1 :], start=version + 1):
            # executescript commits first; the script and its bump are one transaction.
            await self._db.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )


async def _async_open_sqlite(path: Path, pragmas: Sequence[str]) -> SqliteDatabase:
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in pragmas:
            await db.execute(pragma)
    except BaseException:
        await db.close()
        raise
    return SqliteDatabase(db, path)


# -- PostgreSQL -----------------------------------------------------------------------------

_NAMED: Final = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)|\?")
_JSON_EACH: Final = re.compile(r"json_each\(([^)]*)\)")
_DDL_TYPES: Final = re.compile(
    r"\bINTEGER PRIMARY KEY( AUTOINCREMENT)?\b|\bINTEGER\b|\bREAL\b|\bWITHOUT ROWID\b"
)
_DDL_MAP: Final = {
    "INTEGER PRIMARY KEY": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    # An identity column never reuses a number either: what AUTOINCREMENT adds in SQLite.
    "INTEGER PRIMARY KEY AUTOINCREMENT": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    "INTEGER": "BIGINT",
    "REAL": "DOUBLE PRECISION",
    "WITHOUT ROWID": "",
}
_VERSION_TABLE: Final = """
CREATE TABLE IF NOT EXISTS parkhub_schema (store TEXT PRIMARY KEY, version INTEGER NOT NULL)
"""


@lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """SQLite-style SQL -> asyncpg's: the text, and the parameter names in `$n` order
    (or, for `?` placeholders, how many there are)."""
    names: list[str] = []
    positional = 0

    def placeholder(match: re.Match[str]) -> str:
        nonlocal positional
        name = match.group(1)
        if name is None:
            positional += 1
            return f"${positional}"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    text = _JSON_EACH.sub(r"json_array_elements_text(CAST(\1 AS json))", sql)
    text = _NAMED.sub(placeholder, text)
    if names and positional:
        raise ValueError(f"mixed ? and :name placeholders in {sql!r}")
    return text, tuple(names) if names else positional


def translate_ddl(script: str) -> str:
    """A SQLite schema script -> PostgreSQL's (types widened, PRAGMAs dropped)."""
    lines = [line for line in script.splitlines() if not line.lstrip().upper().startswith("PRAGMA")]
    return _DDL_TYPES.sub(lambda match: _DDL_MAP[match.group(0)], "\n".join(lines))


def _args(shape: tuple[str, ...] | int, params: Params) -> Sequence[Any]:
    if isinstance(shape, int):  # `?` placeholders (or none: then a mapping binds nothing)
        return params if isinstance(params, Sequence) else ()
    assert isinstance(params, Mapping), "named placeholders need a mapping"
    return [params[name] for name in shape]


def _rowcount(status: str) -> int:
    """asyncpg's command tag ("DELETE 3", "INSERT 0 1") -> the row count."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class PostgresDatabase(Database):
    """An asyncpg pool. Inside `transaction()` every call of the same task uses that
    transaction's connection (a context variable); outside, each call borrows one.

    `ordered`: calls run one at a time in the order they were made (a fair lock), as
    aiosqlite's single thread runs them. Stores that fire saves as tasks need that, or
    two saves of the same record could commit in the wrong order."""

    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, label: str, *, ordered: bool = False) -> None:
        self._pool = pool
        self.label = label
        self._order = asyncio.Lock() if ordered else None
        self._current: ContextVar[asyncpg.Connection | None] = ContextVar(
            f"pg_{id(self)}", default=None
        )

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        import asyncpg

        current = self._current.get()
        try:
            if current is not None:
                yield current
            elif self._order is not None:
                async with self._order, self._pool.acquire() as connection:
                    yield connection
            else:
                async with self._pool.acquire() as connection:
                    yield connection
        except asyncpg.PostgresError as err:
            raise DatabaseError(f"{self.label}: {err}") from err

    async def execute(self, sql: str, params: Params = ()) -> int:
        text, shape = translate(sql)
        async with self._connection() as connection:
            return _rowcount(await connection.execute(text, *_args(shape, params)))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        text, shape = translate(sql)
        args = [_args(shape, row) for row in rows]
        if args:
            async with self._connection() as connection:
                await connection.executemany(text, args)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, shape = translate(sql)
        async with self._connection() as connection:
            return list(await connection.fetch(text, *_args(shape, params)))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self._current.get() is not None:
            raise RuntimeError("transactions do not nest")
        async with self._connection() as connection, connection.transaction():
            token = self._current.set(connection)
            try:
                yield
            finally:
                self._current.reset(token)

    async def close(self) -> None:
        await self._pool.close()

    async def _async_migrate(self, store: str, schema: str, migrations: Sequence[str]) -> None:
        latest = 1 + len(migrations)
        async with self.transaction():
            await self.execute(_VERSION_TABLE)
            # Serialise hubs migrating the same store at the same moment.
            await self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (store,))
            row = await self.fetchone(
                "SELECT version FROM parkhub_schema WHERE store = ?", (store,)
            )
            version = int(row[0]) if row else 0
            if version > latest:
                raise NewerSchemaError(
                    f"{self.label} has {store} schema version {version}, newer than this"
                    f" ParkHub knows ({latest}): upgrade ParkHub"
                )
            scripts = [schema] if version == 0 else list(migrations[version - 1 :])
            async with self._connection() as connection:
                for script in scripts:
                    await connection.execute(translate_ddl(script))
            if version < latest:
                await self.execute(
                    "INSERT INTO parkhub_schema VALUES (?, ?)"
                    " ON CONFLICT (store) DO UPDATE SET version = excluded.version",
                    (store, latest),
                )


def redacted(url: str) -> str:
    """The URL without its password, for logs and errors."""
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


async def _async_open_postgres(url: str, *, ordered: bool) -> PostgresDatabase:
    try:
        import asyncpg
    except ImportError as err:  # pragma: no cover - a packaging error
        raise HubError("db_url needs the asyncpg package: pip install asyncpg") from err
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    except (OSError, asyncpg.PostgresError) as err:
        raise HubError(f"could not connect to {redacted(url)}: {err}") from err
    return PostgresDatabase(pool, redacted(url), ordered=ordered)


async def async_adopt(db: Database, node: str, tables: Sequence[str]) -> None:
    """A SQLite file holds one hub's rows by definition: it takes them all under `node`
    (rows from before nodes existed, or from before the hub was renamed). On PostgreSQL
    rows of other nodes are other hubs' and stay theirs."""
    if db.dialect != "sqlite":
        return
    async with db.transaction():
        for table in tables:
            await db.execute(f"UPDATE {table} SET node = ? WHERE node <> ?", (node, node))


# -- opening --------------------------------------------------------------------------------


async def async_connect(
    target: str | Path,
    store: str,
    schema: str,
    migrations: Sequence[str] = (),
    pragmas: Sequence[str] = (),
    *,
    ordered: bool = False,
    node: str = "",
    adopt: Sequence[str] = (),
) -> Database:
    """Open `target` (a SQLite path, or a postgresql:// URL) with `store`'s tables at
    their latest version. `pragmas` apply to SQLite only; `ordered` to PostgreSQL only
    (see PostgresDatabase: SQLite's calls are always in order); a SQLite file's `adopt`
    tables take their rows under `node` (see async_adopt)."""
    if isinstance(target, str) and is_postgres_url(target):
        db: Database = await _async_open_postgres(target, ordered=ordered)
    else:
        db = await _async_open_sqlite(Path(target), pragmas)
    try:
        await db._async_migrate(store, schema, migrations)
        await async_adopt(db, node, adopt)
    except BaseException:
        await db.close()
        raise
    return db
