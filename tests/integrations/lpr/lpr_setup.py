"""Helpers for the lpr integration tests: the demo lot, its cameras and the plate reader
set up as the bundled config does, and a wait for `plate_detected`."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import pytest

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations import camera, demo, lpr
from hub.integrations.demo import DemoLot
from hub.integrations.lpr.const import DOMAIN as LPR_DOMAIN
from hub.integrations.lpr.engines import OcrEngine, create_engine
from tests.mqtt_broker import wait_until

RESIDENT = "KA01AB1234"  # the demo's first arrival with seed 7, a resident
# The entry lane where plates show, less the frame's timestamp (bottom left).
LANE_ZONE = [[260, 0], [700, 0], [700, 400], [260, 400]]
LISTS = {
    "residents": {
        "kind": "allow",
        "max_distance": 1,
        "plates": [{"plate": RESIDENT, "note": "flat 4"}, "NL42RES"],
    },
    "banned": {"kind": "block", "plates": ["PH12CAR"]},
}


@cache
def shared_engine() -> OcrEngine:
    """One real rapidocr engine for the whole run (building one takes a second)."""
    return create_engine("rapidocr")


async def use_shared_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = await asyncio.to_thread(shared_engine)
    monkeypatch.setattr(lpr, "create_engine", lambda name, folder=None: engine)


async def setup_demo_lpr(hub: Hub, **lpr_options: Any) -> DemoLot:
    """Demo lot (seed 7), its entry and exit lane cameras, and lpr watching both."""
    await demo.async_setup(
        hub,
        demo.CONFIG_SCHEMA({"seed": 7, "plates": ["KA01AB1234", "NL42RES", "PH12CAR"]}),
    )
    await camera.async_setup(
        hub,
        camera.CONFIG_SCHEMA(
            {
                "cameras": [
                    {"id": "entry", "source": "demo", "view": "entry", "fps": 5},
                    {"id": "exit", "source": "demo", "view": "exit", "fps": 5},
                ]
            }
        ),
    )
    config = {
        "formats": ["in", "uk"],
        "cameras": [
            {"camera": "camera.entry", "role": "entry", "zone": LANE_ZONE},
            {"camera": "camera.exit", "role": "exit", "zone": LANE_ZONE},
        ],
        "lists": LISTS,
        **lpr_options,
    }
    assert await lpr.async_setup(hub, lpr.CONFIG_SCHEMA(config))
    await wait_for_reference_frames(hub)
    data: demo.DemoData = hub.data["demo"]
    return data.lot


async def wait_for_reference_frames(hub: Hub, within: float = 30.0) -> None:
    """Wait until every lane's motion detector holds its first frame.

    The first frame is only the reference. A test that moves the frozen clock before it
    arrives makes the car's frame the reference, and the frames after it are the same
    picture: no motion, no read. (On a loaded machine the first frame comes late.)
    """
    runtime = hub.data[LPR_DOMAIN]
    await wait_until(
        lambda: all(w._motion._previous is not None for w in runtime.watchers.values()), within
    )


class Recorded(list[Event]):
    """Events of one type as they come, and a way to wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def add(self, event: Event) -> None:
        self.append(event)
        self.changed.set()


def record(hub: Hub, event_type: str = "plate_detected") -> Recorded:
    events = Recorded()
    hub.bus.async_listen(event_type, events.add)
    return events


async def wait_for(events: Recorded, count: int = 1, within: float = 40.0) -> None:
    """Wait in real time (the reader works in a thread) until `count` events came."""
    async with asyncio.timeout(within):
        while len(events) < count:
            events.changed.clear()
            await events.changed.wait()
