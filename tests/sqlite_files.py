"""Reading and writing a SQLite file behind a store's back, as an older version of
ParkHub or an operator with the sqlite3 shell would (off the loop: each call opens,
commits and closes its own connection)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path


def _run(path: Path, sql: str, script: bool) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        with db:
            if script:
                db.executescript(sql)
                return []
            return db.execute(sql).fetchall()
    finally:
        db.close()


async def async_sql(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Run one statement in its own transaction; its rows."""
    return await asyncio.to_thread(_run, path, sql, False)


async def async_script(path: Path, script: str) -> None:
    """Run several statements (an old schema and its rows)."""
    await asyncio.to_thread(_run, path, script, True)
