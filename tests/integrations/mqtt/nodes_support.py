"""What the worker-node tests share: hubs in this process, and `parkhub run` processes.

`make_hub` (a fixture, registered in conftest.py) builds hubs here, as two boxes would;
`HubProcess` runs a real `parkhub run` on a config, with its log in a file (a pipe that
nobody reads would stall a long-running hub), and can kill it with -9 and start it again
on the same data directory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.entity import EntityRegistry
from hub.integrations import mqtt
from hub.web import create_token
from tests.conftest import LogGuard
from tests.mqtt_broker import free_port

__all__ = ["HubProcess", "MakeHub", "make_hub", "state_of"]

MakeHub = Callable[..., Awaitable[Hub]]
START_WITHIN = 60.0


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


@pytest.fixture
async def make_hub(tmp_path: Path, log_guard: LogGuard) -> AsyncIterator[MakeHub]:
    """Build hubs with mqtt set up (before start, as bootstrap does); all stopped after,
    and the test fails on any exception they logged."""
    hubs: list[Hub] = []

    async def make(name: str, mqtt_conf: dict[str, Any], node: str | None = None) -> Hub:
        folder = tmp_path / name
        await asyncio.to_thread(ZoneInfo, "UTC")  # load the zone off the loop
        hub = Hub(HubConfig(name=name, node=node), config_dir=folder, data_dir=folder / "data")
        await hub.async_add_executor_job(lambda: hub.data_dir.mkdir(parents=True, exist_ok=True))
        hub.entity_registry = EntityRegistry(hub)
        await hub.entity_registry.async_load()
        hubs.append(hub)
        await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA(mqtt_conf))
        return hub

    yield make
    for hub in reversed(hubs):
        if hub.state.value not in ("STOPPING", "STOPPED"):
            await hub.async_stop()


class HubProcess:
    """`parkhub run` on `folder/config.yaml`, data in `folder/data`, web on `port`."""

    def __init__(self, folder: Path, config: str) -> None:
        self.folder = folder
        self.port = free_port()
        self.log = folder / "log.txt"
        self.process: asyncio.subprocess.Process | None = None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text(config)
        self.token = create_token(folder / "data", "nodes test")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def async_start(self) -> None:
        """Start it and wait until it serves."""
        offset = await asyncio.to_thread(self._log_size)
        log = await asyncio.to_thread(self.log.open, "ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hub", "run", "--config", str(self.folder / "config.yaml"),
                "--data", str(self.folder / "data"), "--host", "127.0.0.1",
                "--port", str(self.port),
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        finally:
            await asyncio.to_thread(log.close)
        process = self.process
        async with asyncio.timeout(START_WITHIN):
            while b"Serving on" not in await asyncio.to_thread(self._log_since, offset):
                assert process.returncode is None, f"it exited: {self.log_text()[-3000:]}"
                await asyncio.sleep(0.1)

    def _log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def _log_since(self, offset: int) -> bytes:
        with self.log.open("rb") as file:
            file.seek(offset)
            return file.read()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    async def async_kill(self) -> None:
        """kill -9."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def async_stop(self) -> None:
        """SIGTERM, as a service manager stops it; -9 if it hangs."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await self.process.wait()
            except TimeoutError:
                await self.async_kill()

    async def async_request(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.request(method, f"{self.url}{path}", json=body) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()
