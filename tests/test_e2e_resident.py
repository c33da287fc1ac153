"""A resident drives in, from the lane camera to a parked car, through every real part.

The bundled config as a user runs it, with two changes a real lot would make: the hub
talks to a Mosquitto broker instead of its embedded one, and the entry barrier is a
controller on MQTT (Home Assistant's cover convention) instead of the demo's own. The demo
lot draws the frames; the plate reader reads them; the `open_for_residents` automation
calls `gate.open`; the command goes over Mosquitto to a simulated barrier controller,
whose `open` brings the demo's car through; parking keeps the session; occupancy sees the
car in its space. The test watches only what a user can: MQTT, REST and the SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml

from hub.bootstrap import async_build_hub, load
from hub.core.hub import Hub
from hub.web import create_token
from tests.bundled_config import write_test_config
from tests.conftest import LogGuard
from tests.mqtt_broker import MosquittoBroker, MqttTestClient, Received, free_port, wait_until

BARRIER = "barrier/entry"


class BarrierController:
    """A relay board made for Home Assistant's MQTT cover: OPEN -> opening, open.

    When a command arrives it also looks in the hub's parking database, as a crash right
    then would leave it: the session of the car it lets in must already be on disk.
    """

    def __init__(self, port: int, parking_db: Path) -> None:
        self.device = MqttTestClient(port, on_message=self._on_message)
        self.parking_db = parking_db
        self.commands: list[tuple[str, list[str]]] = []

    async def start(self) -> None:
        await self.device.subscribe(f"{BARRIER}/set")
        await self.device.publish(f"{BARRIER}/availability", "online", retain=True)
        await self.device.publish(f"{BARRIER}/state", "closed", retain=True)

    def _on_message(self, message: Received) -> None:  # paho's thread: blocking is fine
        if message.topic != f"{BARRIER}/set":
            return
        self.commands.append((message.payload, self._plates_on_disk()))
        if message.payload == "OPEN":
            for state in ("opening", "open"):
                self.device.publish_now(f"{BARRIER}/state", state, retain=True)

    def _plates_on_disk(self) -> list[str]:
        if not self.parking_db.exists():
            return []
        with sqlite3.connect(self.parking_db) as db:
            return [plate for (plate,) in db.execute("SELECT plate FROM sessions")]


def _config(folder: Path, web_port: int, broker_port: int) -> Path:
    """The bundled config on test ports, on Mosquitto, with an MQTT entry barrier."""
    path = write_test_config(folder, web_port, free_port())
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    config["mqtt"] = {"broker": f"mqtt://127.0.0.1:{broker_port}"}
    # The same seed's first car (a resident) comes after 10 s instead of 24 s.
    config["demo"]["arrivals_per_hour"] = 60
    config["gate"] = [
        {
            "id": "entry",
            "name": "Entry barrier",
            "backend": "mqtt",
            "command_topic": f"{BARRIER}/set",
            "state_topic": f"{BARRIER}/state",
            "availability_topic": f"{BARRIER}/availability",
        },
        *(gate for gate in config["gate"] if gate["id"] != "entry"),
    ]
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest_asyncio.fixture
async def lot(
    tmp_path: Path, mosquitto: MosquittoBroker, log_guard: LogGuard
) -> AsyncIterator[tuple[Hub, str, str]]:
    web_port = free_port()
    path = await asyncio.to_thread(_config, tmp_path, web_port, mosquitto.port)
    loaded = await asyncio.to_thread(load, path)
    token = await asyncio.to_thread(create_token, loaded.data_dir(), "e2e")
    hub = await async_build_hub(loaded, host="127.0.0.1")
    try:
        yield hub, f"http://127.0.0.1:{web_port}", token
    finally:
        await hub.async_stop()


async def test_a_resident_drives_in_and_parks(
    lot: tuple[Hub, str, str], mosquitto: MosquittoBroker
) -> None:
    hub, url, token = lot
    demo = hub.data["demo"].lot
    # The demo's first arrival (seed 7) is KA01AB1234, on the bundled `residents` list.
    first = next(v for v in demo.visits(hub.scheduler.timestamp() + 120) if v.arrive > 0)
    plate, slot = first.car.plate, first.slot
    arrives = demo.hub_time(first.arrive)  # when it stops at the barrier
    controller = BarrierController(mosquitto.port, hub.data_dir / "parking.db")

    async with controller.device, MqttTestClient(mosquitto.port) as watcher:
        await controller.start()
        for topic in (
            "parkhub/event/plate_detected",
            "parkhub/event/parking_session_started",
            "parkhub/gate/entry/state",
            f"parkhub/binary_sensor/demo_slot_{slot}/state",
        ):
            await watcher.subscribe(topic)
        await watcher.wait_for("parkhub/gate/entry/state", "closed", retained=True)
        assert not demo.occupied_slots().get(slot), "the space is taken before the car came"

        # The lane camera sees the car; one plate_detected for its pass.
        within = arrives - hub.scheduler.timestamp() + 20
        [read] = await watcher.wait_for("parkhub/event/plate_detected", within=within)
        event = json.loads(read.payload)
        assert event["plate"] == plate
        assert (event["camera"], event["direction"]) == ("camera.entry", "entry")
        assert (event["list"], event["listed"]) == ("residents", "allow")

        # The automation opens the barrier over MQTT; the controller's report comes back.
        await watcher.wait_for("parkhub/gate/entry/state", "open", within=10)
        assert controller.commands[0] == ("OPEN", [plate]), "the session was not on disk"

        [started] = await watcher.wait_for("parkhub/event/parking_session_started")
        session = json.loads(started.payload)
        assert (session["plate"], session["lot"], session["list"]) == (plate, "demo", "residents")
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http,
            http.get(f"{url}/api/parking/sessions", params={"active": "1"}) as response,
        ):
            assert response.status == 200
            [active] = (await response.json())["sessions"]
        assert (active["id"], active["status"], active["fee"]) == (session["id"], "open", None)

        # The car drives through, parks, and occupancy reports its space taken.
        await wait_until(lambda: demo.occupied_slots().get(slot) == plate, within=60)
        await watcher.wait_for(f"parkhub/binary_sensor/demo_slot_{slot}/state", "on", within=20)
    active_sessions = hub.states.get("sensor.demo_active_sessions")
    assert active_sessions is not None
    assert active_sessions.state == "1"


pytestmark = pytest.mark.timeout(120)
