"""Recorder throughput: state changes per second from the first set until they are on disk.

    python bench/recorder.py --n 20000

Prints one JSON object. Each case starts a fresh hub and recorder on a temporary SQLite
file (WAL, real clock, the default 1 s commit interval), sets `n` states over 200
entities, yielding to the loop every 100 sets as a busy hub would, and stops the timer
only when `async_flush` returns, i.e. when every row is committed. "stable" keeps each
entity's attributes fixed (the usual case: one stored blob per entity); "unique" changes
them on every set (a new blob per row, the worst case for attribute deduplication).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import peak_rss_mb

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.recorder import RecorderConfig, async_setup_recorder

ENTITIES = 200


def _size_mb(data_dir: Path) -> float:
    """The database with its WAL, after the hub is stopped."""
    return sum(f.stat().st_size for f in data_dir.glob("bench.db*")) / 1e6


async def run_case(n: int, unique_attributes: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
        recorder = await async_setup_recorder(hub, RecorderConfig(db_path=data_dir / "bench.db"))
        await hub.async_start()
        await recorder.async_flush()
        entity_ids = [f"sensor.bench_{i}" for i in range(ENTITIES)]
        set_state = hub.states.async_set
        start = time.perf_counter()
        for i in range(n):
            attributes: dict[str, Any] = {"unit_of_measurement": "cars", "total": 50}
            if unique_attributes:
                attributes["seq"] = i
            set_state(entity_ids[i % ENTITIES], str(i), attributes)
            if i % 100 == 99:
                await asyncio.sleep(0)
        set_done = time.perf_counter()
        await recorder.async_flush()
        elapsed = time.perf_counter() - start
        await hub.async_stop()
        db_mb = _size_mb(data_dir)
    return {
        "states_per_s": round(n / elapsed),
        "seconds": round(elapsed, 3),
        "set_seconds": round(set_done - start, 3),
        "db_mb": round(db_mb, 2),
    }


async def main(n: int) -> dict[str, Any]:
    stable = await run_case(n, unique_attributes=False)
    unique = await run_case(n, unique_attributes=True)
    return {
        "bench": "recorder",
        "n": n,
        "states_per_s": stable["states_per_s"],
        "stable_attributes": stable,
        "unique_attributes": unique,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="state changes per case")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.n))))
