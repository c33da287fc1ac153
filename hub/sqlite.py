"""Opening the small SQLite files whose rows must be on disk when a call returns.

Notify's outbox, the plate lists and parking sessions each keep one aiosqlite connection
and commit every change at once (the recorder, which batches history, has its own).
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

__all__ = ["async_open_database"]


async def async_open_database(path: Path, schema: str) -> aiosqlite.Connection:
    """Connect, with WAL and `synchronous=FULL` (a committed row survives a power cut),
    and create the tables `schema` declares with `IF NOT EXISTS`."""
    db = await aiosqlite.connect(path)
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.executescript(schema)
        await db.commit()
    except BaseException:
        await db.close()
        raise
    return db
