"""Fixtures for the parking tests: the demo-like lot's config and a setup factory."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations.parking import CONFIG_SCHEMA, DOMAIN, ParkingData, async_setup
from tests.web.conftest import app, auth_header, token  # noqa: F401 (fixtures)

SetupParking = Callable[..., Awaitable[ParkingData]]

LOT: dict[str, Any] = {
    "lots": {
        "demo": {
            "cameras": {"camera.entry": "entry", "camera.exit": "exit"},
            "gates": {"gate.entry": "entry", "gate.exit": "exit"},
            "tariff": {
                "rate": 250,
                "grace": "15m",
                "daily_max": 1500,
                "free_lists": ["residents"],
            },
            "max_stay": "4h",
            "max_stay_lists": {"staff": "12h"},
        }
    }
}


@pytest.fixture
def parking_config() -> dict[str, Any]:
    return copy.deepcopy(LOT)


@pytest.fixture
def setup_parking(hub: Hub, parking_config: dict[str, Any], db_url: str | None) -> SetupParking:
    """`await setup_parking()` (the fixture's config) or `setup_parking({...})`; every test
    using it runs on SQLite and on PostgreSQL (`db_url`)."""

    async def setup(config: dict[str, Any] | None = None) -> ParkingData:
        chosen = dict(parking_config if config is None else config)
        if db_url is not None:
            chosen["db_url"] = db_url
        await async_setup(hub, CONFIG_SCHEMA(chosen))
        data: ParkingData = hub.data[DOMAIN]
        return data

    return setup


def recorded(hub: Hub, event_type: str) -> list[Event]:
    events: list[Event] = []
    hub.bus.async_listen(event_type, events.append)
    return events


def _rows(path: Path, sql: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute(sql)]
    finally:
        db.close()


async def db_rows(hub: Hub, sql: str = "SELECT * FROM sessions") -> list[dict[str, Any]]:
    """Rows of the parking store through a separate connection: what a crash would leave."""
    data: ParkingData | None = hub.data.get(DOMAIN)
    if data is not None and data.config.db_url is not None:
        connection = await asyncpg.connect(data.config.db_url)
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()
    return await asyncio.to_thread(_rows, hub.data_dir / "parking.db", sql)


def state(hub: Hub, entity_id: str) -> str | None:
    found = hub.states.get(entity_id)
    return found.state if found is not None else None
