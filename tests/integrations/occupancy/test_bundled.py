"""The bundled config.yaml: the demo lot's spaces show up as occupancy entities, live.

(Run from the copy a test machine can run: loopback ports, no announcing.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from hub.bootstrap import async_build_hub, load
from tests.bundled_config import write_test_config
from tests.mqtt_broker import free_port
from tests.states import get_state


async def test_bundled_config_watches_the_demo_lot(tmp_path: Path, log_guard: object) -> None:
    path = await asyncio.to_thread(write_test_config, tmp_path, free_port(), free_port())
    loaded = await asyncio.to_thread(load, path)
    hub = await async_build_hub(loaded, data_dir=tmp_path / "data", host="127.0.0.1")
    try:
        deadline = time.monotonic() + 20
        while (free := hub.states.get("sensor.demo_free_spaces")) is None or free.state in (
            "unknown",
            "unavailable",
        ):
            assert time.monotonic() < deadline, free
            await asyncio.sleep(0.05)
        assert free.attributes["total"] == 24
        slots = [
            hub.states.get(f"binary_sensor.demo_slot_{row}{n:02d}")
            for row in "ab"
            for n in range(1, 13)
        ]
        assert all(slot is not None and slot.state in ("on", "off") for slot in slots)
        assert int(free.state) == sum(slot.state == "off" for slot in slots if slot is not None)
        assert get_state(hub, "camera.overhead").state == "streaming"
    finally:
        await hub.async_stop()
