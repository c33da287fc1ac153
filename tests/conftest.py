"""Fixtures every test may use: a running hub on a temporary folder, and its frozen clock.

After each test the hub is stopped and the test fails on any task, timer or worker
thread left behind, and on any exception that was logged (HA's verify_cleanup and
fail_on_log_exception, in small).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.entity import EntityRegistry
from tests.mqtt_broker import mosquitto  # noqa: F401  (a fixture any test may request)
from tests.postgres import db_url, postgres_server, postgres_url  # noqa: F401  (fixtures)

FROZEN_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class LogGuard(logging.Handler):
    """Collects ERROR records with an exception, which a test must not leave behind."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.allowed = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fails a test whose code blocks the event loop (file I/O, sleep, sqlite3 on the loop)."""
    with blockbuster_ctx() as detector:
        # Deliberate: a node event's id goes on record in one unsynced append before the
        # event is fired, on the loop (hub/integrations/mqtt/node_seen.py says why).
        detector.functions["os.write"].can_block_in("hub/integrations/mqtt/node_seen.py", "add")
        detector.functions["os.write"].can_block_in("hub/integrations/mqtt/node_outbox.py", "add")
        yield detector


@pytest.fixture
def log_guard() -> Iterator[LogGuard]:
    """Fails the test on a logged error unless it sets `log_guard.allowed = True`."""
    guard = LogGuard()
    logging.getLogger().addHandler(guard)
    yield guard
    logging.getLogger().removeHandler(guard)
    if not guard.allowed and guard.records:
        messages = "\n".join(record.getMessage() for record in guard.records)
        pytest.fail(f"errors were logged:\n{messages}")


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig()


@pytest.fixture
async def hub(tmp_path: Path, hub_config: HubConfig, log_guard: LogGuard) -> AsyncIterator[Hub]:
    """A started hub with its data in `tmp_path`; stopped and checked for leftovers after."""
    threads_before = set(threading.enumerate())
    await asyncio.to_thread(ZoneInfo, hub_config.time_zone)  # load the zone off the loop
    hub = Hub(hub_config, config_dir=tmp_path, data_dir=tmp_path / "data")
    await hub.async_add_executor_job(hub.data_dir.mkdir)
    hub.entity_registry = EntityRegistry(hub)
    await hub.entity_registry.async_load()
    await hub.async_start()
    yield hub
    await hub.async_stop()
    assert hub.scheduler.pending == 0, "timers left after stop"
    leftover = [task for task in hub._tasks if not task.done()]
    assert not leftover, f"tasks left after stop: {leftover}"
    threads = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert not [t for t in threads if t.name.startswith("hub-worker")], threads


class Clock:
    """The hub's clock frozen at FROZEN_AT; `await clock.advance(seconds=90)` moves it."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        hub.scheduler.freeze(FROZEN_AT)

    def now(self) -> datetime:
        return self._hub.scheduler.utcnow()

    async def advance(self, seconds: float = 0, **kwargs: float) -> None:
        await self._hub.scheduler.async_advance(timedelta(seconds=seconds, **kwargs))


@pytest.fixture
def clock(hub: Hub) -> Clock:
    return Clock(hub)
