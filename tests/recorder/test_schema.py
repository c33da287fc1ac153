"""Opening the database: WAL mode, schema versions and migrations, a database from a newer
ParkHub, and several hubs sharing one PostgreSQL database."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from hub.config import HubConfig
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.recorder import SCHEMA_VERSION, RecorderConfig, SchemaTooNew, async_setup_recorder
from hub.recorder.schema import async_open
from tests.postgres import count_rows

# Version 1 of the recorder's tables, as ParkHub shipped them before nodes.
_V1 = """
CREATE TABLE states_meta (metadata_id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL UNIQUE);
CREATE TABLE state_attributes (attributes_id INTEGER PRIMARY KEY, shared_attrs TEXT NOT NULL);
CREATE TABLE states (
    state_id INTEGER PRIMARY KEY, metadata_id INTEGER NOT NULL, state TEXT,
    attributes_id INTEGER, last_changed_ts REAL NOT NULL, last_updated_ts REAL NOT NULL,
    context_id TEXT, context_parent_id TEXT, context_user_id TEXT);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY, event_type TEXT NOT NULL, event_data TEXT NOT NULL,
    origin TEXT NOT NULL, time_fired_ts REAL NOT NULL, context_id TEXT,
    context_parent_id TEXT, context_user_id TEXT);
CREATE TABLE statistics (
    statistic_id TEXT NOT NULL, start_ts REAL NOT NULL, mean REAL NOT NULL,
    min REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (statistic_id, start_ts)) WITHOUT ROWID;
CREATE TABLE statistics_runs (start_ts REAL PRIMARY KEY);
INSERT INTO states_meta VALUES (1, 'sensor.demo_free_spaces');
INSERT INTO states VALUES (1, 1, '17', NULL, 1000.0, 1000.0, 'c1', NULL, NULL);
INSERT INTO statistics VALUES ('sensor.demo_free_spaces', 0.0, 17.0, 17.0, 17.0);
INSERT INTO statistics_runs VALUES (0.0);
PRAGMA user_version = 1;
"""


async def test_a_new_database_is_in_wal_mode_with_the_schema(tmp_path: Path) -> None:
    db = await async_open(tmp_path / "nested" / "parkhub.db")
    try:
        assert await db.fetchone("PRAGMA journal_mode") == ("wal",)
        assert await db.fetchone("PRAGMA user_version") == (SCHEMA_VERSION,)
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


def _write_v1(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(_V1)
    db.close()


async def test_a_version_1_file_is_migrated_and_its_history_kept(hub: Hub) -> None:
    path = hub.data_dir / "parkhub.db"
    await hub.async_add_executor_job(_write_v1, path)
    recorder = await async_setup_recorder(hub, RecorderConfig(db_path=path))
    restored = recorder.last_state("sensor.demo_free_spaces")
    assert restored is not None
    assert restored.state == "17"
    history = await recorder.async_history(None, hub.scheduler.utcnow() - timedelta(days=1))
    assert [s["state"] for s in history["sensor.demo_free_spaces"]] == ["17"]
    db = recorder._require_db()
    assert await db.fetchone("PRAGMA user_version") == (SCHEMA_VERSION,)
    assert await db.fetchall("SELECT DISTINCT node FROM statistics") == [("parkhub",)]


async def test_postgres_keeps_the_version_in_a_table(postgres_url: str) -> None:
    await (await async_open(postgres_url)).close()
    await (await async_open(postgres_url)).close()  # and a second open changes nothing
    connection = await asyncpg.connect(postgres_url)
    try:
        rows = await connection.fetch("SELECT store, version FROM parkhub_schema")
        assert [tuple(row) for row in rows] == [("recorder", SCHEMA_VERSION)]
        await connection.execute("UPDATE parkhub_schema SET version = version + 1")
    finally:
        await connection.close()
    with pytest.raises(SchemaTooNew, match="knows up to"):
        await async_open(postgres_url)


async def test_two_hubs_share_one_postgres_database_without_mixing(
    tmp_path: Path, postgres_url: str
) -> None:
    hubs: list[Hub] = []
    for name in ("West lot", "East lot"):
        data_dir = tmp_path / name
        await asyncio.to_thread(data_dir.mkdir)
        hub = Hub(HubConfig(name=name), config_dir=data_dir, data_dir=data_dir)
        config = RecorderConfig(db_path=data_dir / "unused.db", db_url=postgres_url)
        recorder = await async_setup_recorder(hub, config)
        await hub.async_start()
        hub.states.async_set("sensor.free_spaces", "3" if name == "West lot" else "40")
        await recorder.async_flush()
        hubs.append(hub)
    west, east = hubs
    assert west.recorder is not None
    assert east.recorder is not None
    since = west.scheduler.utcnow() - timedelta(hours=1)
    west_history = await west.recorder.async_history(["sensor.free_spaces"], since)
    assert [s["state"] for s in west_history["sensor.free_spaces"]] == ["3"]
    east_history = await east.recorder.async_history(["sensor.free_spaces"], since)
    assert [s["state"] for s in east_history["sensor.free_spaces"]] == ["40"]
    east_events = await count_rows(postgres_url, "events", "node = 'east_lot'")
    assert east_events > 0
    await west.recorder.async_purge(0)  # one hub's purge leaves the other's rows alone
    assert await count_rows(postgres_url, "events", "node = 'west_lot'") == 0
    assert await count_rows(postgres_url, "events", "node = 'east_lot'") == east_events
    for hub in hubs:
        await hub.async_stop()
    # Restarted, each hub restores its own state.
    again = Hub(HubConfig(name="East lot"), config_dir=tmp_path, data_dir=tmp_path)
    recorder = await async_setup_recorder(
        again, RecorderConfig(db_path=tmp_path / "unused.db", db_url=postgres_url)
    )
    restored = recorder.last_state("sensor.free_spaces")
    assert restored is not None
    assert restored.state == "40"
    await again.async_stop()


async def test_an_unreachable_server_is_a_clear_error_without_the_password(hub: Hub) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://parkhub:secret@127.0.0.1:{port}/parkhub?sslmode=disable"
    config = RecorderConfig(db_path=hub.data_dir / "unused.db", db_url=url)
    with pytest.raises(
        HubError, match="could not connect to postgresql://parkhub:\\*\\*\\*@"
    ) as err:
        await async_setup_recorder(hub, config)
    assert "secret" not in str(err.value)
