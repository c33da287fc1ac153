"""The notify, lpr and audit stores of two hubs in one PostgreSQL database keep apart by
node; their SQLite files from before nodes are migrated with every row kept."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import voluptuous as vol

from hub.config import HUB_SCHEMA, HubConfig
from hub.core.hub import Hub
from hub.integrations import lpr, notify
from hub.integrations.lpr.config import LprConfig
from hub.integrations.lpr.lists import ListEntry
from hub.integrations.lpr.store import ListStore
from hub.integrations.notify.config import NotifyConfig
from hub.integrations.notify.models import Notification
from hub.integrations.notify.store import OutboxStore
from hub.web.audit import AuditLog, record_cli
from tests.postgres import count_rows
from tests.sqlite_files import async_script, async_sql


async def _hub(config: HubConfig, folder: Path) -> Hub:
    """A bare hub (not started) for the audit log: its config, clock and data folder."""
    await asyncio.to_thread(ZoneInfo, config.time_zone)  # load the zone off the loop
    return Hub(config, config_dir=folder, data_dir=folder)


def _note(note_id: str, message: str) -> Notification:
    return Notification(note_id, "panel", "", message, created=1000.0, next_attempt=1000.0)


async def test_two_hubs_outboxes_share_one_database_without_mixing(postgres_url: str) -> None:
    west = await OutboxStore.async_open(postgres_url, "west_lot")
    east = await OutboxStore.async_open(postgres_url, "east_lot")
    try:
        # The same idempotency key on two hubs is two notifications, not one.
        assert len(await west.async_add([_note("key-1", "west")])) == 1
        assert len(await east.async_add([_note("key-1", "east")])) == 1
        assert len(await east.async_add([_note("key-1", "east again")])) == 0
        await east.async_finish(_note("key-1", "east"), "sent", 2000.0)
        # West resumes only its own pending one; east's finish did not touch it.
        assert [(n.id, n.message) for n in await west.async_pending()] == [("key-1", "west")]
        assert await east.async_pending() == []
        await west.async_panel_add(_note("p1", "west panel"))
        await east.async_panel_add(_note("p1", "east panel"))
        assert [i["message"] for i in await west.async_panel_list()] == ["west panel"]
        assert await east.async_panel_delete("p1")
        assert [i["message"] for i in await west.async_panel_list()] == ["west panel"]
        await west.async_purge(10_000.0)  # west has nothing finished: east's sent row stays
        assert await count_rows(postgres_url, "outbox") == 2
    finally:
        await west.async_close()
        await east.async_close()


async def test_two_hubs_plate_lists_share_one_database_without_mixing(postgres_url: str) -> None:
    west = await ListStore.async_open(postgres_url, "west_lot")
    east = await ListStore.async_open(postgres_url, "east_lot")
    try:
        await west.async_put(ListEntry("residents", "KA01AB1234", "flat 4"), 1000.0)
        await east.async_put(ListEntry("residents", "KA01AB1234", "bay 9"), 1000.0)
        await west.async_put(ListEntry("residents", "KA01AB1234", "flat 5"), 1001.0)  # replaces
        assert [e.note for e in await west.async_entries()] == ["flat 5"]
        assert await east.async_delete("residents", "KA01AB1234")
        assert await east.async_entries() == []
        assert [e.plate for e in await west.async_entries()] == ["KA01AB1234"]
    finally:
        await west.async_close()
        await east.async_close()


async def test_two_hubs_audit_logs_share_one_database(postgres_url: str, tmp_path: Path) -> None:
    west_conf = HubConfig(name="West lot", audit_db_url=postgres_url)
    east_conf = HubConfig(name="East", node="east_gate", audit_db_url=postgres_url)
    await asyncio.to_thread(record_cli, tmp_path, "user.add", "rita", config=west_conf)
    await asyncio.to_thread(record_cli, tmp_path, "user.add", "omar", config=east_conf)
    log = await AuditLog.async_open(await _hub(west_conf, tmp_path), keep_days=30)
    try:
        log.record_row("ada", "admin", "127.0.0.1", "gate.open", "entity_id=gate.entry", "200")
        entries = await log.async_query(None, None, 10)
        assert [(e["user"], e["target"]) for e in entries] == [
            ("ada", "entity_id=gate.entry"),
            ("cli", "rita"),
        ]
    finally:
        await log.async_close()
    assert await count_rows(postgres_url, "audit", "node = 'east_gate'") == 1
    assert not await asyncio.to_thread((tmp_path / "audit.db").exists)


async def test_lpr_and_audit_files_from_before_nodes_keep_their_rows(tmp_path: Path) -> None:
    lpr_db, audit_db = tmp_path / "lpr.db", tmp_path / "audit.db"
    await async_script(
        lpr_db,
        "CREATE TABLE plates (list TEXT NOT NULL, plate TEXT NOT NULL, note TEXT,"
        " valid_from REAL, valid_until REAL, added REAL NOT NULL, PRIMARY KEY (list, plate));"
        "INSERT INTO plates VALUES ('residents', 'KA01AB1234', 'flat 4', NULL, NULL, 1.0);"
        "PRAGMA user_version = 1;",
    )
    await async_script(
        audit_db,
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
        " user TEXT, role TEXT, address TEXT, action TEXT NOT NULL, target TEXT,"
        " result TEXT NOT NULL, context_id TEXT);"
        "CREATE INDEX audit_time ON audit (time);"
        "INSERT INTO audit VALUES (1, 9e9, 'ada', 'admin', '::1', 'login', 'ada', 'ok', NULL);"
        "PRAGMA user_version = 1;",
    )
    store = await ListStore.async_open(lpr_db, "west_lot")
    try:
        assert [(e.plate, e.note) for e in await store.async_entries()] == [
            ("KA01AB1234", "flat 4")
        ]
    finally:
        await store.async_close()
    log = await AuditLog.async_open(await _hub(HubConfig(name="West lot"), tmp_path))
    try:
        assert [e["user"] for e in await log.async_query(None, None, 10)] == ["ada"]
    finally:
        await log.async_close()
    assert await async_sql(lpr_db, "SELECT node FROM plates") == [("west_lot",)]
    assert await async_sql(audit_db, "PRAGMA user_version") == [(2,)]


def test_db_url_options_take_only_postgresql_urls() -> None:
    url = "postgresql://parkhub:secret@db.example/parkhub"
    assert HubConfig.from_dict(HUB_SCHEMA({"audit_db_url": url})).audit_db_url == url
    assert NotifyConfig.from_dict(notify.CONFIG_SCHEMA({"db_url": url})).db_url == url
    assert LprConfig.from_config(lpr.CONFIG_SCHEMA({"db_url": url}), UTC).db_url == url
    assert NotifyConfig.from_dict(notify.CONFIG_SCHEMA({})).db_url is None
    for schema, key in ((HUB_SCHEMA, "audit_db_url"), (notify.CONFIG_SCHEMA, "db_url")):
        with pytest.raises(vol.Invalid, match=r"invalid db_url 'sqlite:///x\.db'"):
            schema({key: "sqlite:///x.db"})
    with pytest.raises(vol.Invalid, match="expected postgresql://"):
        lpr.CONFIG_SCHEMA({"db_url": "mysql://db/parkhub"})
