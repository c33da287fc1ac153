"""Automation speed: how soon a state change starts the service call, and what a thousand
automations cost every other state change.

    python bench/automations.py --n 20000 --runs 5

Prints one JSON object:
- `trigger_to_service_us`: median microseconds from `states.async_set` on a watched entity
  to the first line of the called service's handler (state trigger, one condition,
  templated data), over `--n` changes;
- `changes_per_s`: state changes per CPU second of this process (the machine is shared;
  on an idle one this is the wall-clock rate) with no automations and with 1,000
  automations each watching its own entity (`to: alarm`), for changes of entities nobody
  watches (`unwatched`), of watched entities whose trigger does not match
  (`watched_no_match`: the state machine turns them away before building an event), and
  the same with a `state_changed` listener present as in a real run (`..._with_listener`).
  In `watched_no_match_for` the triggers wait for the alarm to hold 5 minutes (`for:`), so
  every change reaches its trigger, as one could end a pending match (and
  `watched_no_match_for_with_listener` with the listener). `cost_pct` is the
  throughput lost to the 1,000 automations. The two hubs live side by side and take
  turns of one change per entity (`--runs` x `--n` changes each); rates are medians over
  the turns, `cost_pct` the median of each turn's loss against the bare turn beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import peak_rss_mb

from hub import __version__
from hub.automations import AUTOMATIONS_SCHEMA, async_setup_automations
from hub.config import HubConfig
from hub.core.hub import Hub
from hub.core.services import ServiceCall

AUTOMATIONS = 1000


async def _new_hub(folder: Path) -> Hub:
    hub = Hub(HubConfig(), config_dir=folder, data_dir=folder)
    await hub.async_start()
    return hub


async def latency(n: int) -> float:
    """Median µs from a state change to the service handler starting."""
    with tempfile.TemporaryDirectory() as folder:
        hub = await _new_hub(Path(folder))
        started: list[float] = []

        def handler(_call: ServiceCall) -> None:
            started.append(time.perf_counter())

        hub.services.async_register("barrier", "open", handler)
        hub.states.async_set("input_boolean.auto", "on")
        config = [
            {
                "id": "open_on_arrival",
                "triggers": [{"trigger": "state", "entity_id": "binary_sensor.lane", "to": "on"}],
                "conditions": [
                    {"condition": "state", "entity_id": "input_boolean.auto", "state": "on"}
                ],
                "actions": [
                    {
                        "action": "barrier.open",
                        "target": {"entity_id": "gate.entry"},
                        "data": {"reason": "car on {{ trigger.entity_id }}"},
                    }
                ],
                "mode": "parallel",
                "max": 1000,
            }
        ]
        await async_setup_automations(hub, AUTOMATIONS_SCHEMA(config), Path(folder) / "x.yaml")
        samples: list[float] = []
        set_state = hub.states.async_set
        gc.collect()
        for _ in range(n):
            set_state("binary_sensor.lane", "off")
            before = time.perf_counter()
            set_state("binary_sensor.lane", "on")
            samples.append((started[-1] - before) * 1e6)
            if len(started) > 1000:
                started.clear()
                await hub.async_block_till_done()
        await hub.async_stop()
        return statistics.median(samples)


async def _watching_hub(folder: Path, automations: int, listener: bool, hold: bool) -> Hub:
    """A hub with `automations` automations, each waiting for its own entity's alarm.

    With `listener`, a `state_changed` listener is there too, as the recorder, the
    WebSocket API and MQTT always are in a real run: every change then builds its event
    anyway, with or without automations. Each trigger waits for `to: alarm`, which the
    state machine checks for it before building an event; with `hold` it waits for the
    alarm to hold for 5 minutes, so every change reaches the trigger (one might end a
    pending match), which rejects it.
    """
    hub = await _new_hub(folder)
    if listener:
        hub.bus.async_listen("state_changed", lambda _event: None)
    hub.services.async_register("bench", "noop", lambda _call: None)
    if automations:
        config = [
            {
                "id": f"watch_{i}",
                "triggers": [
                    {"trigger": "state", "entity_id": f"sensor.watched_{i}", "to": "alarm"}
                    | ({"for": {"minutes": 5}} if hold else {})
                ],
                "actions": [{"action": "bench.noop"}],
            }
            for i in range(automations)
        ]
        await async_setup_automations(hub, AUTOMATIONS_SCHEMA(config), folder / "x.yaml")
    return hub


async def throughput(
    n: int, runs: int, watched: bool, listener: bool, hold: bool
) -> dict[str, Any]:
    """State changes per CPU second without automations and with 1,000, and what they cost.

    Both hubs live side by side and take turns, a round of one change per entity each
    (who goes first alternates), `runs * n` changes per side in all; a first untimed round
    creates the entities. Rates are the medians over the rounds, and the cost is the
    median over the rounds of what the loaded hub lost against the bare one in the same
    round: rounds of a few milliseconds put both sides under the same load from other
    jobs, and the medians drop the rounds another job disturbed. The clock is the
    process's CPU time, not the wall: time other jobs take from this process is not time
    the hub spent (on an idle machine the two agree, as the loop never waits here).
    """
    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as loaded_dir:
        bare = await _watching_hub(Path(bare_dir), 0, listener, hold)
        loaded = await _watching_hub(Path(loaded_dir), AUTOMATIONS, listener, hold)
        prefix = "sensor.watched_" if watched else "sensor.other_"
        entity_ids = [f"{prefix}{i}" for i in range(AUTOMATIONS)]
        rates: dict[Hub, list[float]] = {bare: [], loaded: []}
        gc.collect()
        for turn in range(max(1, runs * n // AUTOMATIONS) + 1):
            offset = turn * AUTOMATIONS  # every set is a change: the value is new each time
            for hub in (bare, loaded) if turn % 2 == 0 else (loaded, bare):
                set_state = hub.states.async_set
                start = time.process_time()
                for index, entity_id in enumerate(entity_ids, offset):
                    set_state(entity_id, str(index))
                await hub.async_block_till_done()
                if turn:
                    rates[hub].append(AUTOMATIONS / (time.process_time() - start))
        await bare.async_stop()
        await loaded.async_stop()
        losses = [1 - many / none for none, many in zip(rates[bare], rates[loaded], strict=True)]
        return {
            "no_automations": round(statistics.median(rates[bare])),
            f"{AUTOMATIONS}_automations": round(statistics.median(rates[loaded])),
            "cost_pct": round(statistics.median(losses) * 100, 1),
        }


async def main(n: int, runs: int) -> dict[str, Any]:
    latencies = [await latency(n) for _ in range(runs)]
    figures: dict[str, Any] = {}
    cases = (
        ("unwatched", False, False, False),
        ("watched_no_match", True, False, False),
        ("watched_no_match_with_listener", True, True, False),
        ("watched_no_match_for", True, False, True),
        ("watched_no_match_for_with_listener", True, True, True),
    )
    for kind, watched, listener, hold in cases:
        figures[kind] = await throughput(n, runs, watched, listener, hold)
    return {
        "parkhub": __version__,
        "n": n,
        "runs": runs,
        "trigger_to_service_us": round(statistics.median(latencies), 1),
        "trigger_to_service_us_runs": [round(value, 1) for value in latencies],
        "changes_per_s": figures,
        "targets": {"trigger_to_service_us": "< 100", "cost_pct": "< 20"},
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n",
        type=int,
        default=20000,
        help="state changes per latency run, and per side and run of a throughput case",
    )
    parser.add_argument("--runs", type=int, default=5, help="repetitions (medians reported)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.n, args.runs)), indent=2))
