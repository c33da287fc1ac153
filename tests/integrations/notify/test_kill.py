"""A real `kill -9` with notifications pending: the next start delivers each exactly once."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.hub import Hub
from tests.postgres import count_rows

from .conftest import SetupNotify, notify_store
from .receivers import Receiver

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]
ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import asyncio, sys
from pathlib import Path
from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations.notify import CONFIG_SCHEMA, async_setup

async def main() -> None:
    data_dir, held_url, busy_url = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
    await async_setup(hub, CONFIG_SCHEMA({
        **({"db_url": sys.argv[4]} if len(sys.argv) > 4 else {}),
        "retry_delay": 3600,
        "notifiers": [
            {"name": "held", "platform": "webhook", "url": held_url, "timeout": 600},
            {"name": "busy", "platform": "webhook", "url": busy_url},
        ],
    }))
    await hub.async_start()
    for name in ("held", "busy"):
        result = await hub.services.async_call("notify", name, {"message": f"to {name}"})
        print(result["ids"][0], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def wait_for_tries(target: str | Path, note_id: str, tries: int) -> None:
    """Wait until the outbox (file or PostgreSQL) records `tries` failed attempts."""
    for _ in range(500):
        if await count_rows(target, "outbox", f"id = '{note_id}' AND tries >= {tries}"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{note_id} never reached {tries} tries")


def config(held_url: str, busy_url: str) -> dict[str, object]:
    return {
        "retry_delay": 3600,
        "notifiers": [
            {"name": "held", "platform": "webhook", "url": held_url},
            {"name": "busy", "platform": "webhook", "url": busy_url},
        ],
    }


async def test_pending_notifications_survive_kill_9(
    hub: Hub, setup_notify: SetupNotify, aiohttp_server: AiohttpServer, db_url: str | None
) -> None:
    hold = asyncio.Event()
    held = Receiver(hold=hold)  # the first attempt never gets an answer
    busy = Receiver(statuses=[503])  # the first attempt is told to come back later
    held_server = await aiohttp_server(held.app())
    busy_server = await aiohttp_server(busy.app())
    held_url, busy_url = str(held_server.make_url("/hook")), str(busy_server.make_url("/hook"))

    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", SCRIPT, str(hub.data_dir), held_url, busy_url),
        *([db_url] if db_url is not None else []),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        held_id = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        busy_id = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        await asyncio.wait_for(held.arrived.wait(), 10)
        await asyncio.wait_for(busy.arrived.wait(), 10)
        await wait_for_tries(notify_store(hub, db_url), busy_id, 1)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    hold.set()
    assert held.accepted == []
    assert busy.accepted == []

    # The next start, with the clock frozen at the real now so the 1 h retry can be reached.
    hub.scheduler.freeze(datetime.now(UTC))
    sent: list[Event] = []
    hub.bus.async_listen("notification_sent", sent.append)
    await setup_notify(config(held_url, busy_url))
    await hub.async_block_till_done()
    # Cut off mid-attempt: resumed at once, with the same idempotency key.
    assert [event.data["id"] for event in sent] == [held_id]
    assert [request["headers"]["Idempotency-Key"] for request in held.requests] == [held_id] * 2
    assert held.accepted == [held_id]
    # Told to retry in an hour: retried in an hour, not before.
    await hub.scheduler.async_advance(3599)
    assert len(busy.requests) == 1
    await hub.scheduler.async_advance(1)
    assert busy.accepted == [busy_id]
    assert [event.data["id"] for event in sent] == [held_id, busy_id]
    assert sent[1].data["tries"] == 2
    await hub.scheduler.async_advance(86400)
    assert len(held.requests) == 2
    assert len(busy.requests) == 2
