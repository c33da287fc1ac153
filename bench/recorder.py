"""Recorder throughput: state changes per second from the first set until they are on disk.

    python bench/recorder.py --n 20000
    python bench/recorder.py --n 20000 --postgres     # and on PostgreSQL, beside SQLite
    python bench/recorder.py --db-url postgresql://... # on a server of your own

Prints one JSON object. `--postgres` starts a throwaway cluster of Debian's server on a
loopback port (tests/postgres.py, with PostgreSQL's durable defaults: fsync and
synchronous commit on) and adds a "postgresql" object of the same shape.

Each case starts a fresh hub and recorder on a temporary SQLite file (WAL, real clock, the
default 1 s commit interval), sets `n` states over 200 entities, yielding to the loop
every 100 sets as a busy hub would, and stops the timer only when `async_flush` returns,
i.e. when every row is committed. "stable" keeps each entity's attributes fixed (the usual
case: one stored blob per entity); "unique" changes them on every set (a new blob per row,
the worst case for attribute deduplication).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
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


async def _pg_size_mb(url: str) -> float:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    return int(size) / 1e6


async def run_case(
    n: int, unique_attributes: bool, server_url: str | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
        db_url = None
        if server_url is not None:
            from tests.postgres import async_create_database

            db_url = await async_create_database(server_url, "bench")
        config = RecorderConfig(db_path=data_dir / "bench.db", db_url=db_url)
        recorder = await async_setup_recorder(hub, config)
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
        db_mb = _size_mb(data_dir) if db_url is None else await _pg_size_mb(db_url)
    return {
        "states_per_s": round(n / elapsed),
        "seconds": round(elapsed, 3),
        "set_seconds": round(set_done - start, 3),
        "db_mb": round(db_mb, 2),
    }


async def main(n: int, server_url: str | None) -> dict[str, Any]:
    stable = await run_case(n, unique_attributes=False)
    unique = await run_case(n, unique_attributes=True)
    result: dict[str, Any] = {
        "bench": "recorder",
        "n": n,
        "states_per_s": stable["states_per_s"],
        "stable_attributes": stable,
        "unique_attributes": unique,
    }
    if server_url is not None:
        pg_stable = await run_case(n, unique_attributes=False, server_url=server_url)
        pg_unique = await run_case(n, unique_attributes=True, server_url=server_url)
        result["postgresql"] = {
            "states_per_s": pg_stable["states_per_s"],
            "stable_attributes": pg_stable,
            "unique_attributes": pg_unique,
        }
    result["peak_rss_mb"] = peak_rss_mb()  # of this process (PostgreSQL's server is apart)
    return result


def _run_with_cluster(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.postgres import find_bindir, postgres_cluster

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server installed (apt-get install postgresql)")
    with postgres_cluster(bindir, durable=True) as url:
        return asyncio.run(main(n, url))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="state changes per case")
    parser.add_argument(
        "--postgres", action="store_true", help="also on a throwaway local PostgreSQL cluster"
    )
    parser.add_argument("--db-url", help="also on this PostgreSQL server (a database is created)")
    args = parser.parse_args()
    output = _run_with_cluster(args.n) if args.postgres else asyncio.run(main(args.n, args.db_url))
    print(json.dumps(output))
