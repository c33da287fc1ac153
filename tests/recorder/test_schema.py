"""Opening the database: WAL mode, the schema version, and a database from a newer ParkHub."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from hub.recorder import SCHEMA_VERSION, SchemaTooNew
from hub.recorder.schema import async_open


async def test_a_new_database_is_in_wal_mode_with_the_schema(tmp_path: Path) -> None:
    db = await async_open(tmp_path / "nested" / "parkhub.db")
    try:
        async with db.execute("PRAGMA journal_mode") as cursor:
            assert await cursor.fetchone() == ("wal",)
        async with db.execute("PRAGMA user_version") as cursor:
            assert await cursor.fetchone() == (SCHEMA_VERSION,)
    finally:
        await db.close()
    # Opening it again leaves it as it is.
    await (await async_open(tmp_path / "nested" / "parkhub.db")).close()


async def test_a_database_from_a_newer_parkhub_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "parkhub.db"
    async with aiosqlite.connect(path) as db:
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew, match="knows up to"):
        await async_open(path)
