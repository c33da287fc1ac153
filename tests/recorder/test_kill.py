"""A real `kill -9`: what was set more than one commit interval before the kill is on disk."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.recorder import RecorderConfig, async_setup_recorder

ROOT = Path(__file__).resolve().parents[2]
COMMIT_INTERVAL = 0.2
RUN_FOR = 1.5
# Time a commit may take after its timer fires, on a slow machine.
WRITE_SLACK = 0.15

SCRIPT = f"""
import asyncio, sys
from pathlib import Path
from hub.config import HubConfig
from hub.core.hub import Hub
from hub.recorder import RecorderConfig, async_setup_recorder

async def main() -> None:
    data_dir = Path(sys.argv[1])
    hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
    config = RecorderConfig(db_path=data_dir / "parkhub.db", commit_interval={COMMIT_INTERVAL})
    await async_setup_recorder(hub, config)
    await hub.async_start()
    counter = 0
    while True:
        counter += 1
        hub.states.async_set("sensor.counter", str(counter))
        print(counter, flush=True)
        await asyncio.sleep(0.002)

asyncio.run(main())
"""


async def _run_and_kill(data_dir: Path) -> tuple[list[tuple[float, int]], float, int]:
    """Run the script, SIGKILL it after RUN_FOR; (read time, counter) pairs, kill time, last."""
    loop = asyncio.get_running_loop()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, str(data_dir), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    seen: list[tuple[float, int]] = []
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        seen.append((loop.time(), int(first)))
        started = loop.time()
        while loop.time() - started < RUN_FOR:
            line = await asyncio.wait_for(proc.stdout.readline(), 5)
            seen.append((loop.time(), int(line)))
    finally:
        proc.send_signal(signal.SIGKILL)
        killed_at = loop.time()
        rest = await proc.stdout.read()
        await proc.wait()
    last = int(rest.split()[-1]) if rest.split() else seen[-1][1]
    assert proc.returncode == -signal.SIGKILL
    return seen, killed_at, last


async def test_kill_9_loses_at_most_one_commit_interval(tmp_path: Path) -> None:
    seen, killed_at, last_printed = await _run_and_kill(tmp_path)

    async with (
        aiosqlite.connect(tmp_path / "parkhub.db") as db,
        db.execute("PRAGMA integrity_check") as cursor,
    ):
        assert await cursor.fetchone() == ("ok",)
    hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path)
    recorder = await async_setup_recorder(hub, RecorderConfig(db_path=tmp_path / "parkhub.db"))
    try:
        history = await recorder.async_history(["sensor.counter"], datetime(2000, 1, 1, tzinfo=UTC))
        restored = recorder.last_state("sensor.counter")
    finally:
        await hub.async_stop()

    stored = [int(entry["state"]) for entry in history["sensor.counter"]]
    assert stored == list(range(1, len(stored) + 1)), "stored counters have gaps"
    assert stored[-1] <= last_printed
    # Printed (hence set) a commit interval plus slack before the kill: must be on disk.
    deadline = killed_at - COMMIT_INTERVAL - WRITE_SLACK
    must_have = max((counter for read_at, counter in seen if read_at <= deadline), default=0)
    assert must_have > 100, "the script set too few states to judge"
    assert stored[-1] >= must_have
    assert restored is not None
    assert restored.state == str(stored[-1])
