"""Notify outbox: how fast calls are stored and delivered, and what a call costs.

    python bench/notify.py --n 2000

Prints one JSON object. A fresh hub with a `panel` notifier and a `webhook` notifier
posting to a local aiohttp receiver, on a temporary data directory (real SQLite file,
synchronous=FULL, real clock). "call_ms" is the median time of one `notify.<name>` call,
i.e. until the notification is committed to disk; "per_s" is notifications per second
from the first call until every one is delivered and marked sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import peak_rss_mb
from aiohttp import web

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations.notify import CONFIG_SCHEMA, async_setup


async def _receiver() -> tuple[web.AppRunner, str, list[int]]:
    received: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        received.append(1)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/hook", received


async def run_case(n: int, platform: str) -> dict[str, float]:
    runner, url, _received = await _receiver()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
        notifier: dict[str, Any] = {"name": "bench", "platform": platform}
        if platform == "webhook":
            notifier["url"] = url
        await async_setup(
            hub,
            CONFIG_SCHEMA({"notifiers": [notifier], "rate_limit": {"count": n, "period": 60}}),
        )
        await hub.async_start()
        sent = 0

        def count(_event: Any) -> None:
            nonlocal sent
            sent += 1

        hub.bus.async_listen("notification_sent", count)
        call_times = []
        start = time.perf_counter()
        for i in range(n):
            before = time.perf_counter()
            await hub.services.async_call("notify", "bench", {"message": f"car {i} overstayed"})
            call_times.append(time.perf_counter() - before)
        await hub.async_block_till_done()
        elapsed = time.perf_counter() - start
        assert sent == n, (sent, n)
        await hub.async_stop()
    await runner.cleanup()
    return {
        "per_s": round(n / elapsed),
        "call_ms_median": round(statistics.median(call_times) * 1000, 3),
        "call_ms_p95": round(sorted(call_times)[int(n * 0.95)] * 1000, 3),
        "seconds": round(elapsed, 3),
    }


async def main(n: int) -> dict[str, Any]:
    return {
        "bench": "notify",
        "n": n,
        "panel": await run_case(n, "panel"),
        "webhook": await run_case(n, "webhook"),
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="notifications per case")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.n))))
