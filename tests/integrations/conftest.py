"""Fixtures for integration tests: set one up from its config block, and restart the hub
(same data directory, registry and recorder) to check what comes back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.entity import EntityRegistry
from hub.loader import find_integrations, import_integration
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder

FROZEN_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

StartHub = Callable[..., Awaitable[Hub]]
SetupIntegration = Callable[[Hub, str, Any], Awaitable[None]]


@pytest.fixture
async def start_hub(tmp_path: Path) -> AsyncIterator[StartHub]:
    """`await start_hub(at=...)`: a hub as bootstrap builds it (registry, recorder) on
    tmp_path, its clock frozen; call again after stopping the first to "restart"."""
    started: list[Hub] = []
    await asyncio.to_thread(ZoneLoad.load)

    async def start(at: datetime = FROZEN_AT) -> Hub:
        hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path / "data")
        hub.scheduler.freeze(at)
        await hub.async_add_executor_job(lambda: hub.data_dir.mkdir(exist_ok=True))
        hub.entity_registry = EntityRegistry(hub)
        await hub.entity_registry.async_load()
        recorder = RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir)
        await async_setup_recorder(hub, recorder)
        await hub.async_start()
        started.append(hub)
        return hub

    yield start
    for hub in started:
        await hub.async_stop()


class ZoneLoad:
    @staticmethod
    def load() -> None:
        from zoneinfo import ZoneInfo

        ZoneInfo("UTC")


@pytest.fixture
def setup_integration() -> SetupIntegration:
    """`await setup_integration(hub, "counter", {...})`: validate the block, set it up."""

    async def setup(hub: Hub, domain: str, config: Any) -> None:
        manifest = (await asyncio.to_thread(find_integrations))[domain]
        module: Any = await asyncio.to_thread(import_integration, manifest)
        await module.async_setup(hub, module.CONFIG_SCHEMA(config))

    return setup
