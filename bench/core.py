"""Core throughput: events, new states and tracked state changes per second.

    python bench/core.py --n 20000

Prints one JSON object. The four cases mirror bench/ha_core.py on Home Assistant's core
(run both side by side with bench/compare.py); each timer stops only once the hub is
idle (`async_block_till_done`), so every listener has really run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _common import peak_rss_mb

from hub import __version__
from hub.config import HubConfig
from hub.core.bus import Event, EventListener
from hub.core.hub import Hub

Case = Callable[[Hub, int], Awaitable[float]]


async def _fire_events(hub: Hub, n: int, listener: EventListener) -> float:
    """N event types with one listener each, each type fired once."""
    event_types = [f"bench_event_{i}" for i in range(n)]
    for event_type in event_types:
        hub.bus.async_listen(event_type, listener)
    fire = hub.bus.async_fire
    gc.collect()
    start = time.perf_counter()
    for event_type in event_types:
        fire(event_type)
    await hub.async_block_till_done()
    return time.perf_counter() - start


async def fire_event_callback(hub: Hub, n: int) -> float:
    count = 0

    def listener(event: Event) -> None:
        nonlocal count
        count += 1

    elapsed = await _fire_events(hub, n, listener)
    assert count == n, count
    return elapsed


async def fire_event_coroutine(hub: Hub, n: int) -> float:
    count = 0

    async def listener(event: Event) -> None:
        nonlocal count
        count += 1

    elapsed = await _fire_events(hub, n, listener)
    assert count == n, count
    return elapsed


async def set_new_state(hub: Hub, n: int) -> float:
    entity_ids = [f"sensor.bench_{i}" for i in range(n)]
    set_state = hub.states.async_set
    gc.collect()
    start = time.perf_counter()
    for i, entity_id in enumerate(entity_ids):
        set_state(entity_id, "on", {"i": i})
    await hub.async_block_till_done()
    elapsed = time.perf_counter() - start
    assert len(hub.states) == n
    return elapsed


async def tracked_state_change(hub: Hub, n: int) -> float:
    count = 0

    def listener(event: Event) -> None:
        nonlocal count
        count += 1

    entity_ids = [f"sensor.bench_{i}" for i in range(n)]
    for entity_id in entity_ids:
        hub.states.async_set(entity_id, "off")
        hub.states.async_track(entity_id, listener)
    await hub.async_block_till_done()
    set_state = hub.states.async_set
    gc.collect()
    start = time.perf_counter()
    for entity_id in entity_ids:
        set_state(entity_id, "on")
    await hub.async_block_till_done()
    elapsed = time.perf_counter() - start
    assert count == n, count
    return elapsed


CASES: dict[str, Case] = {
    "fire_event_callback": fire_event_callback,
    "fire_event_coroutine": fire_event_coroutine,
    "set_new_state": set_new_state,
    "tracked_state_change": tracked_state_change,
}


async def run_case(case: Case, n: int) -> float:
    """One case on a fresh hub, so no case pays for another's listeners."""
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(HubConfig(), config_dir=Path(tmp), data_dir=Path(tmp))
        await hub.async_start()
        try:
            return n / await case(hub, n)
        finally:
            await hub.async_stop()


async def main(n: int, repeat: int) -> dict[str, object]:
    result: dict[str, object] = {"impl": "parkhub", "version": __version__, "n": n}
    for name, case in CASES.items():
        result[name] = round(statistics.median([await run_case(case, n) for _ in range(repeat)]))
    result["peak_rss_mb"] = peak_rss_mb()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.n, args.repeat))))
