"""Schema versions of the SQLite files (notify.db, lpr.db, parking.db, audit.db) through
hub/database.py: stamped, migrated once, in order, with their rows adopted by the node."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from pathlib import Path

import pytest

from hub.database import NewerSchemaError, async_connect
from hub.integrations.lpr.store import ListStore
from hub.integrations.notify.store import OutboxStore
from hub.integrations.parking.store import ParkingStore
from tests.sqlite_files import async_sql

SCHEMA = "CREATE TABLE IF NOT EXISTS plates (plate TEXT PRIMARY KEY);"


@pytest.mark.parametrize(
    ("store", "name"),
    [(ListStore, "lpr.db"), (OutboxStore, "notify.db"), (ParkingStore, "parking.db")],
)
async def test_each_store_stamps_its_version(
    tmp_path: Path, store: type[ListStore | OutboxStore | ParkingStore], name: str
) -> None:
    opened = await store.async_open(tmp_path / name)
    await opened.async_close()
    latest = 1 + len(importlib.import_module(store.__module__).MIGRATIONS)
    assert await async_sql(tmp_path / name, "PRAGMA user_version") == [(latest,)]


async def test_a_file_from_before_versions_keeps_its_rows_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "lpr.db"
    await async_sql(path, SCHEMA)  # an old file: tables, user_version 0
    await async_sql(path, "INSERT INTO plates VALUES ('KA01AB1234')")
    migrations = ["ALTER TABLE plates ADD COLUMN note TEXT;", "UPDATE plates SET note = 'v3';"]
    db = await async_connect(path, "test", SCHEMA, migrations)
    await db.close()
    assert await async_sql(path, "PRAGMA user_version") == [(3,)]
    assert await async_sql(path, "SELECT plate, note FROM plates") == [("KA01AB1234", "v3")]
    # Opening again runs nothing twice (the UPDATE would not show, an ALTER would fail).
    await async_sql(path, "UPDATE plates SET note = 'kept'")
    db = await async_connect(path, "test", SCHEMA, migrations)
    await db.close()
    assert await async_sql(path, "SELECT note FROM plates") == [("kept",)]


async def test_a_failed_migration_leaves_the_file_at_its_old_version(tmp_path: Path) -> None:
    path = tmp_path / "parking.db"
    db = await async_connect(path, "test", SCHEMA)
    await db.close()
    with pytest.raises(sqlite3.OperationalError):
        await async_connect(path, "test", SCHEMA, ["ALTER TABLE plates ADD COLUMN x; BROKEN;"])
    assert await async_sql(path, "PRAGMA user_version") == [(1,)]
    assert await async_sql(path, "SELECT name FROM pragma_table_info('plates')") == [("plate",)]


async def test_a_file_from_a_newer_parkhub_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notify.db"
    await async_sql(path, "PRAGMA user_version = 7")
    with pytest.raises(NewerSchemaError, match="schema version 7, newer than this ParkHub knows"):
        await async_connect(path, "test", SCHEMA)


async def test_another_tasks_statement_waits_for_an_open_transaction(tmp_path: Path) -> None:
    """One connection, many tasks: a statement made while another task's transaction is
    open runs after it, so that transaction's ROLLBACK cannot take it along."""
    path = tmp_path / "lpr.db"
    db = await async_connect(path, "test", SCHEMA)
    inside = asyncio.Event()

    async def other() -> None:
        await inside.wait()
        await db.execute("INSERT INTO plates VALUES ('OTHER')")

    async def mine() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO plates VALUES ('MINE')")
            inside.set()
            await asyncio.sleep(0.05)
            assert not task.done()
            raise RuntimeError("changed my mind")

    task = asyncio.create_task(other())
    try:
        with pytest.raises(RuntimeError, match="changed my mind"):
            await mine()
        await task
    finally:
        await db.close()
    assert await async_sql(path, "SELECT plate FROM plates") == [("OTHER",)]
