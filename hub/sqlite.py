"""Opening the small SQLite files whose rows must be on disk when a call returns.

Notify's outbox, the plate lists and parking sessions each keep one aiosqlite connection
and commit every change at once (the recorder, which batches history, has its own).

Each file carries its schema version in `PRAGMA user_version`. A store's `SCHEMA` is
version 1 (what every file held before versions existed, so such a file, at 0, is
simply stamped 1); each later change is one SQL script appended to its `MIGRATIONS`,
run once, in order, with the version bump in the same transaction. A file from a newer
ParkHub is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from hub.core.exceptions import HubError

__all__ = ["NewerSchemaError", "async_open_database"]


class NewerSchemaError(HubError):
    """The file was written by a newer ParkHub than this one."""


async def async_open_database(
    path: Path, schema: str, migrations: Sequence[str] = ()
) -> aiosqlite.Connection:
    """Connect, with WAL and `synchronous=FULL` (a committed row survives a power cut),
    create the tables `schema` declares with `IF NOT EXISTS` (version 1), then bring the
    file up to version `1 + len(migrations)`."""
    latest = 1 + len(migrations)
    db = await aiosqlite.connect(path)
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        version = await _user_version(db)
        if version > latest:
            raise NewerSchemaError(
                f"{path.name} has schema version {version}, newer than this ParkHub knows"
                f" ({latest}): upgrade ParkHub, or restore a backup of the file"
            )
        if version == 0:
            await db.executescript(f"BEGIN;\n{schema}\nPRAGMA user_version = 1;\nCOMMIT;")
            version = 1
        for number, script in enumerate(migrations[version - 1 :], start=version + 1):
            # executescript commits first; the script and its bump are one transaction.
            await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    except BaseException:
        await db.close()
        raise
    return db


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
