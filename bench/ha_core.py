"""Home Assistant side of the ParkHub-vs-HA core benchmark.

Measures four core operations of ``homeassistant.core.HomeAssistant`` (2024.3.3):

- fire_event_callback:  N event types, one ``@callback`` listener each, each fired once.
- fire_event_coroutine: the same with ``async def`` listeners.
- set_new_state:        ``hass.states.async_set`` on N new entities ``sensor.bench_<i>``.
- tracked_state_change: N entities tracked one-to-one with
  ``async_track_state_change_event``; each is changed off -> on once.

Each case runs on a fresh ``hass`` built as HA's own ``scripts/benchmark`` does
(``HassEventLoopPolicy`` + ``core.HomeAssistant("")`` inside ``asyncio.run``) and is
stopped with ``async_stop(force=True)`` afterwards. The timer covers the firing/setting
loop plus ``await hass.async_block_till_done()``. Nothing touches the network or disk.

Prints one JSON object (ops/s per case, median of --repeat runs, and peak RSS in MiB).

Run (needs the HA venv from bench/setup_ha_venv.sh):
    .venv-ha/bin/python bench/ha_core.py --n 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _common import peak_rss_mb
from homeassistant import core, runner
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.helpers.event import async_track_state_change_event

Case = Callable[[core.HomeAssistant, int], Awaitable[float]]


async def _fire_events(hass: core.HomeAssistant, n: int, listener: Any) -> float:
    """N event types with one listener each; fire each once."""
    event_types = [f"bench_event_{i}" for i in range(n)]
    for event_type in event_types:
        hass.bus.async_listen(event_type, listener)
    fire = hass.bus.async_fire
    gc.collect()
    start = time.perf_counter()
    for event_type in event_types:
        fire(event_type)
    await hass.async_block_till_done()
    return time.perf_counter() - start


async def fire_event_callback(hass: core.HomeAssistant, n: int) -> float:
    """N event types with one @callback listener each; fire each once."""
    count = 0

    @core.callback  # type: ignore[untyped-decorator]  # HA is not installed for mypy
    def listener(_event: core.Event) -> None:
        nonlocal count
        count += 1

    elapsed = await _fire_events(hass, n, listener)
    assert count == n, (count, n)
    return elapsed


async def fire_event_coroutine(hass: core.HomeAssistant, n: int) -> float:
    """N event types with one coroutine listener each; fire each once."""
    count = 0

    async def listener(_event: core.Event) -> None:
        nonlocal count
        count += 1

    elapsed = await _fire_events(hass, n, listener)
    assert count == n, (count, n)
    return elapsed


async def set_new_state(hass: core.HomeAssistant, n: int) -> float:
    """Create N new entities with one async_set each."""
    entity_ids = [f"sensor.bench_{i}" for i in range(n)]
    async_set = hass.states.async_set
    gc.collect()
    start = time.perf_counter()
    for i, entity_id in enumerate(entity_ids):
        async_set(entity_id, "on", {"i": i})
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - start
    assert hass.states.async_entity_ids_count() == n
    return elapsed


async def tracked_state_change(hass: core.HomeAssistant, n: int) -> float:
    """N pre-created entities, one state-change tracker each; change each once."""
    count = 0

    @core.callback  # type: ignore[untyped-decorator]  # HA is not installed for mypy
    def listener(_event: core.Event) -> None:
        nonlocal count
        count += 1

    entity_ids = [f"sensor.bench_{i}" for i in range(n)]
    async_set = hass.states.async_set
    for entity_id in entity_ids:
        async_set(entity_id, "off")
    for entity_id in entity_ids:
        async_track_state_change_event(hass, [entity_id], listener)
    await hass.async_block_till_done()
    gc.collect()
    start = time.perf_counter()
    for entity_id in entity_ids:
        async_set(entity_id, "on")
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - start
    assert count == n, (count, n)
    return elapsed


CASES: dict[str, Case] = {
    "fire_event_callback": fire_event_callback,
    "fire_event_coroutine": fire_event_coroutine,
    "set_new_state": set_new_state,
    "tracked_state_change": tracked_state_change,
}


async def run_case(case: Case, n: int) -> float:
    """Run one case on a fresh hass (as HA's scripts/benchmark does) and stop it."""
    hass = core.HomeAssistant("")
    try:
        return await case(hass, n)
    finally:
        await hass.async_stop(force=True)


def main() -> None:
    """Parse args, run every case --repeat times, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    logging.getLogger("homeassistant.core").setLevel(logging.CRITICAL)
    asyncio.set_event_loop_policy(runner.HassEventLoopPolicy(False))

    result: dict[str, object] = {"impl": "homeassistant", "version": HA_VERSION, "n": args.n}
    for name, case in CASES.items():
        times = [asyncio.run(run_case(case, args.n)) for _ in range(args.repeat)]
        result[name] = round(args.n / statistics.median(times), 1)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
