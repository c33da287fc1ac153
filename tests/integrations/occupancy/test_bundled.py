"""The bundled config.yaml: the demo lot's spaces show up as occupancy entities, live."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from hub.bootstrap import async_build_hub, load

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_bundled_config_watches_the_demo_lot(tmp_path: Path, log_guard: object) -> None:
    loaded = await asyncio.to_thread(load, REPO / "config.yaml")
    hub = await async_build_hub(loaded, data_dir=tmp_path, host="127.0.0.1", port=_free_port())
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
        assert hub.states.get("camera.overhead").state == "streaming"  # type: ignore[union-attr]
    finally:
        await hub.async_stop()
