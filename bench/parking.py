"""Parking: what writing the session before the gate opens costs, and what a fee costs.

    python bench/parking.py --n 200 --burst 400

Prints one JSON object. A fresh hub on a temporary data directory (real SQLite file,
synchronous=FULL, real clock) with a demo gate and the resident automation; each pass
fires `plate_detected` at the entry and times until the barrier has been told to open
(`gate_command`), with the parking integration set up ("with_parking": the session row
is committed first) and without it ("gate_only": the floor). Then a burst: `--burst`
different residents' plates fired at once (a worker's backlog after an outage), timed
until every barrier has been told to open, which with parking waits for every session
row. Then the median time of `compute_fee` for a week-long stay with a night rate and a
daily maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import peak_rss_mb

from hub.config import HubConfig
from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations.parking.tariff import Tariff, TimeRate, compute_fee
from hub.loader import async_setup_integrations, config_schema, find_integrations

AUTOMATION = {
    "id": "open_for_residents",
    "triggers": [{"trigger": "plate", "camera": "camera.entry", "list": "residents"}],
    "actions": [{"action": "gate.open", "target": {"entity_id": "gate.entry"}}],
    "mode": "parallel",
    "max": 10_000,  # the burst: every resident's run at once
}
PARKING = {"lots": {"demo": {"cameras": {"camera.entry": "entry", "camera.exit": "exit"}}}}


def _read(i: int) -> dict[str, Any]:
    return {
        "plate": f"KA01AB{i:04d}",
        "camera": "camera.entry",
        "direction": "entry",
        "list": "residents",
        "listed": "allow",
        "confidence": 0.9,
    }


async def run_case(n: int, with_parking: bool, burst: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
        raw: dict[str, Any] = {
            "automation": [AUTOMATION],
            "gate": [{"id": "entry", "backend": "demo"}],
        }
        if with_parking:
            raw["parking"] = PARKING
        manifests = find_integrations()
        config = {}
        for domain, section in raw.items():
            schema = config_schema(manifests[domain])
            config[domain] = schema(section) if schema is not None else section
        await async_setup_integrations(hub, config, manifests)
        await hub.async_start()
        opened = asyncio.Event()

        hub.bus.async_listen("gate_command", lambda _event: opened.set())
        times = []
        for i in range(n):
            opened.clear()
            before = time.perf_counter()
            hub.bus.async_fire("plate_detected", _read(i), context=Context())
            await opened.wait()
            times.append(time.perf_counter() - before)
            await hub.async_block_till_done()
        commands = 0
        all_open = asyncio.Event()

        def count(_event: Any) -> None:
            nonlocal commands
            commands += 1
            if commands == burst:
                all_open.set()

        hub.bus.async_listen("gate_command", count)
        before = time.perf_counter()
        for i in range(n, n + burst):
            hub.bus.async_fire("plate_detected", _read(i), context=Context())
        await all_open.wait()
        burst_s = time.perf_counter() - before
        await hub.async_block_till_done()
        await hub.async_stop()
    return {
        "plate_to_gate_ms_median": round(statistics.median(times) * 1000, 3),
        "plate_to_gate_ms_p95": round(sorted(times)[int(len(times) * 0.95) - 1] * 1000, 3),
        "burst_gates_per_s": round(burst / burst_s, 1),
    }


def fee_us(n: int) -> float:
    zone = ZoneInfo("Europe/Amsterdam")
    tariff = Tariff(
        rate=250, daily_max=1500, time_rates=(TimeRate(_clock("22:00"), _clock("06:00"), 100),)
    )
    entry = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)
    exit = entry + timedelta(days=7, minutes=5)
    times = []
    for _ in range(n):
        before = time.perf_counter()
        compute_fee(tariff, entry, exit, zone)
        times.append(time.perf_counter() - before)
    return round(statistics.median(times) * 1e6, 1)


def _clock(text: str) -> Any:
    return datetime.strptime(text, "%H:%M").time()


async def main(n: int, burst: int) -> None:
    result = {
        "passes": n,
        "burst": burst,
        "gate_only": await run_case(n, with_parking=False, burst=burst),
        "with_parking": await run_case(n, with_parking=True, burst=burst),
        "fee_week_stay_us_median": fee_us(200),
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--burst", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.burst))
