"""Recorder fixtures in layers: `recorder_options` (override with parametrize) ->
`recorder_config` -> `recorder` (set up on the frozen-clock `hub`), plus `restart`, which
builds a second hub on the same data directory, as the next run of ParkHub would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.recorder import CONFIG_SCHEMA, Recorder, RecorderConfig, async_setup_recorder
from tests.conftest import Clock
from tests.postgres import count_rows as _count_rows

Restart = Callable[[], Awaitable[Hub]]


@pytest.fixture
def recorder_options() -> dict[str, Any]:
    """The `recorder:` block of config.yaml."""
    return {}


@pytest.fixture
def recorder_config(
    hub: Hub, recorder_options: dict[str, Any], db_url: str | None
) -> RecorderConfig:
    """On both engines: every test using the recorder runs on SQLite and on PostgreSQL."""
    options = recorder_options if db_url is None else {**recorder_options, "db_url": db_url}
    return RecorderConfig.from_dict(CONFIG_SCHEMA(options), hub.data_dir)


@pytest.fixture
async def recorder(hub: Hub, clock: Clock, recorder_config: RecorderConfig) -> Recorder:
    """The recorder on the hub, set up after the clock is frozen so its timers use hub time."""
    return await async_setup_recorder(hub, recorder_config)


@pytest.fixture
async def restart(hub: Hub, recorder_config: RecorderConfig) -> AsyncIterator[Restart]:
    """Start another hub and recorder on `hub`'s data dir, its clock frozen where `hub`'s is."""
    started: list[Hub] = []

    async def start() -> Hub:
        new = Hub(hub.config, config_dir=hub.config_dir, data_dir=hub.data_dir)
        new.scheduler.freeze(hub.scheduler.utcnow())
        await async_setup_recorder(new, recorder_config)
        await new.async_start()
        started.append(new)
        return new

    yield start
    for new in started:
        await new.async_stop()


async def count_rows(config: RecorderConfig, table: str, where: str = "1 = 1") -> int:
    """Rows in the recorder's `table`, read through a second connection."""
    return await _count_rows(config.db_url or config.db_path, table, where)
