"""The parking store's schema versions and its rows' node: an old parking.db is migrated
with its sessions, and hubs sharing one PostgreSQL database keep their sessions apart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.integrations.parking.models import Session
from hub.integrations.parking.store import ParkingStore
from tests.sqlite_files import async_script

# parking.db as version 1 had it (the columns before `node`), with one open session.
_V1 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, lot TEXT NOT NULL, plate TEXT NOT NULL, entry_time REAL NOT NULL,
    list TEXT, listed TEXT NOT NULL, entry_camera TEXT, entry_snapshot TEXT,
    status TEXT NOT NULL, exit_time REAL, exit_camera TEXT, exit_snapshot TEXT,
    exit_plate TEXT, end_reason TEXT, fee INTEGER, multiplier REAL NOT NULL,
    paid_amount INTEGER NOT NULL, payment_method TEXT, paid_at REAL, paid_flag INTEGER,
    extended_s REAL NOT NULL, overstay_fired INTEGER NOT NULL,
    long_stay_fired INTEGER NOT NULL, reservation_id TEXT, context_id TEXT);
CREATE TABLE reservations (
    id TEXT PRIMARY KEY, lot TEXT NOT NULL, plate TEXT NOT NULL, start REAL NOT NULL,
    "end" REAL NOT NULL, slot TEXT, status TEXT NOT NULL, note TEXT, created REAL NOT NULL);
INSERT INTO sessions VALUES ('s1', 'demo', 'KA01AB1234', 1000.0, NULL, 'none', NULL, NULL,
    'open', NULL, NULL, NULL, NULL, NULL, NULL, 1.0, 0, NULL, NULL, NULL, 0.0, 0, 0, NULL, NULL);
PRAGMA user_version = 1;
"""


async def test_a_version_1_parking_db_keeps_its_open_sessions(tmp_path: Path) -> None:
    path = tmp_path / "parking.db"
    await async_script(path, _V1)
    store = await ParkingStore.async_open(path, "west_lot")
    try:
        [session] = await store.async_open_sessions()
        assert (session.id, session.plate) == ("s1", "KA01AB1234")
        session.status = "closed"
        await store.async_save_session(session.row())
        assert await store.async_open_sessions() == []
    finally:
        await store.async_close()


async def test_two_hubs_share_one_postgres_database_without_mixing(postgres_url: str) -> None:
    west = await ParkingStore.async_open(postgres_url, "west_lot")
    east = await ParkingStore.async_open(postgres_url, "east_lot")
    try:
        await west.async_save_session(Session("w1", "main", "KA01AB1234", 1000.0).row())
        await east.async_save_session(Session("e1", "main", "MH12CD5678", 2000.0).row())
        assert [s.id for s in await west.async_open_sessions()] == ["w1"]
        assert [s.id for s in await east.async_sessions("main", None, None, 10)] == ["e1"]
        assert await east.async_session("w1") is None
    finally:
        await west.async_close()
        await east.async_close()


async def test_saves_made_at_once_are_all_kept_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    """A backlog of reads saves many sessions at once: they share commits, every caller
    returns once its own row is committed, a read made after them sees them all, and a
    row the database refuses fails only its own caller."""
    store = await ParkingStore.async_open(tmp_path / "parking.db", "west_lot")
    try:
        good = [Session(f"s{n}", "main", f"KA01AB{n:04d}", 1000.0 + n) for n in range(200)]
        bad = Session("broken", "main", None, 5.0)  # type: ignore[arg-type]
        saves = [store.async_save_session(session.row()) for session in good[:100]]
        saves.append(store.async_save_session(bad.row()))
        saves += [store.async_save_session(session.row()) for session in good[100:]]
        results = await asyncio.gather(*saves, return_exceptions=True)
        errors = [result for result in results if isinstance(result, Exception)]
        assert len(errors) == 1
        assert "NOT NULL" in str(errors[0])
        assert results.index(errors[0]) == 100
        assert len(await store.async_open_sessions()) == 200
    finally:
        await store.async_close()
    again = await ParkingStore.async_open(tmp_path / "parking.db", "west_lot")
    try:
        assert {s.id for s in await again.async_open_sessions()} == {s.id for s in good}
    finally:
        await again.async_close()
