"""Finding 12: a parking answer means committed. A real `parkhub run` in a subprocess
ends sessions over REST and is killed with SIGKILL the moment the answers arrive; the
hub started again on the same data directory has every change."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.web import create_token
from tests.mqtt_broker import free_port

SESSIONS = 20
CONFIG = """\
hub:
  name: Committed
  time_zone: UTC
recorder:
  commit_interval: 30
parking:
  lots:
    demo:
      cameras: {camera.entry: entry, camera.exit: exit}
      tariff: {rate: 250}
"""


class RunningHub:
    def __init__(self, folder: Path, port: int, token: str) -> None:
        self.folder = folder
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub", "run", "--config", str(self.folder / "config.yaml"),
            "--data", str(self.folder / "data"), "--host", "127.0.0.1", "--port", str(self.port),
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert self.process.stderr is not None
        log = b""
        async with asyncio.timeout(60):
            while b"Serving on" not in log:
                line = await self.process.stderr.readline()
                assert line, f"the hub exited: {log.decode()}"
                log += line

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.process.communicate()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[RunningHub]:
    await asyncio.to_thread((tmp_path / "config.yaml").write_text, CONFIG)
    token = await asyncio.to_thread(create_token, tmp_path / "data", "committed test")
    hub = RunningHub(tmp_path, free_port(), token)
    try:
        yield hub
    finally:
        if hub.process is not None and hub.process.returncode is None:
            hub.kill()
        await hub.wait()


async def call(
    session: aiohttp.ClientSession, hub: RunningHub, service: str, data: dict[str, Any]
) -> Any:
    async with session.post(
        f"{hub.url}/api/services/parking/{service}", json=data, headers=hub.headers
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_ended_sessions_survive_a_kill_right_after_the_answer(
    running: RunningHub,
) -> None:
    plates = [f"KA01AB{n:04d}" for n in range(SESSIONS)]
    await running.start()
    async with aiohttp.ClientSession() as session:
        for plate in plates:
            await call(session, running, "start_session", {"plate": plate})
        # All ends at once; SIGKILL as soon as the last answer is in: nothing after it
        # (no graceful stop, no flush) may be needed for the changes to be on disk.
        await asyncio.gather(
            *(call(session, running, "end_session", {"plate": plate}) for plate in plates)
        )
        running.kill()
    await running.wait()

    await running.start()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{running.url}/api/parking/sessions?limit=100", headers=running.headers
        ) as response,
    ):
        assert response.status == 200
        sessions = (await response.json())["sessions"]
    statuses = {row["plate"]: row["status"] for row in sessions}
    assert statuses == dict.fromkeys(plates, "closed")


async def test_an_acknowledged_anomaly_survives_a_kill_right_after_the_answer(
    running: RunningHub, tmp_path: Path
) -> None:
    """The panel's parking.acknowledge_anomaly keeps its answer in the recorder, whose
    batches wait commit_interval (30 s here): the answer must wait for the write."""
    await running.start()
    async with aiohttp.ClientSession() as session:
        data = {"anomaly_id": "anomaly-1", "note": "seen"}
        await call(session, running, "acknowledge_anomaly", data)
        running.kill()
    await running.wait()

    def acknowledged() -> list[str]:
        with contextlib.closing(sqlite3.connect(tmp_path / "data" / "parkhub.db")) as db:
            rows = db.execute(
                "SELECT event_data FROM events WHERE event_type = ?",
                ("parking_anomaly_acknowledged",),
            )
            return [row[0] for row in rows]

    [stored] = await asyncio.to_thread(acknowledged)
    assert "anomaly-1" in stored
