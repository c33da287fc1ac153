"""Worker nodes as real `parkhub run` processes on one Mosquitto (with persistence).

- A worker killed with -9 while the broker is away for 30 s, and started again: every
  plate read reaches the central once, in order, when the broker is back.
- Three processes: a central and two workers, each worker with its own demo lane read by
  its own plate reader. A resident arrives at each; the central's automations open that
  worker's barrier (not the other's), and the central's parking records both sessions.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.integrations import mqtt
from tests.mqtt_broker import MosquittoBroker, MqttTestClient, wait_until

from .nodes_support import HubProcess, MakeHub, state_of

OUTAGE = 30.0  # seconds the broker is away (the "dropped for 30 s")
RESIDENT = "KA01AB1234"  # the demo's first arrival with seed 7: a resident

WORKER_CONFIG = """\
hub: {{name: {node}, time_zone: UTC, node: {node}}}
mqtt: {{broker: "{broker}", discovery: {{enabled: false}}}}
gate:
  - {{id: entry, backend: demo, travel_time: 0.2}}
"""

# A lane as the bundled config has it: the demo's entry camera, read by rapidocr. The
# first car (seed 7) is the resident; `time_scale` says how soon it comes (60: ~4 s).
LANE_CONFIG = """\
demo: {{seed: 7, time_scale: {time_scale}, plates: [KA01AB1234, NL42RES, PH12CAR]}}
camera:
  cameras:
    - {{id: entry, source: demo, view: entry, fps: 5}}
lpr:
  formats: [in, uk]
  cameras:
    - {{camera: camera.entry, role: entry, zone: [[260, 0], [700, 0], [700, 400], [260, 400]]}}
  lists:
    residents: {{kind: allow, max_distance: 1, plates: [KA01AB1234]}}
"""

CENTRAL_CONFIG = """\
hub: {{name: Central, time_zone: UTC}}
mqtt:
  broker: "{broker}"
  nodes: [west_gate, east_gate]
  discovery: {{enabled: false}}
parking:
  lots:
    west: {{cameras: {{camera.west_gate_entry: entry}}, tariff: {{rate: 250}}}}
    east: {{cameras: {{camera.east_gate_entry: entry}}, tariff: {{rate: 250}}}}
automation:
{automations}
"""

AUTOMATION = """\
  - id: open_{node}
    triggers:
      - {{trigger: event, event_type: plate_detected,
          event_data: {{camera: camera.{node}_entry, listed: allow}}}}
    actions:
      - {{action: gate.open, target: {{entity_id: gate.{node}_entry}},
          data: {{plate: "{{{{ trigger.event.data.plate }}}}"}}}}
"""


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    """Mosquitto with persistence: the central's session outlives a graceful stop."""
    folder = tmp_path / "mosquitto"
    await asyncio.to_thread(folder.mkdir)
    found = await asyncio.to_thread(MosquittoBroker, folder, None, True)
    await asyncio.to_thread(found.start)
    yield found
    await asyncio.to_thread(found.stop)


def _read(plate: str) -> dict[str, str]:
    """What the worker's plate reader fires for a resident at its entry camera."""
    return {"plate": plate, "camera": "camera.entry", "direction": "entry", "listed": "allow"}


async def test_a_worker_killed_while_the_broker_is_away_for_30_s_loses_no_read(
    make_hub: MakeHub, broker: MosquittoBroker, tmp_path: Path
) -> None:
    central = await make_hub("central", {"broker": broker.url, "nodes": ["west_gate"]})
    reads: list[str] = []
    central.bus.async_listen("plate_detected", lambda event: reads.append(event.data["plate"]))
    await central.async_start()
    config = WORKER_CONFIG.format(node="west_gate", broker=broker.url)
    worker = await asyncio.to_thread(HubProcess, tmp_path / "worker", config)
    plates = [f"KA01AB{n:04d}" for n in range(6)]
    try:
        await worker.async_start()
        await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed", 10)
        await worker.async_request("POST", "/api/events/plate_detected", _read(plates[0]))
        await wait_until(lambda: reads == plates[:1])

        # The broker goes away (gracefully: it keeps the central's session).
        await asyncio.to_thread(broker.stop, True)
        away = time.monotonic()
        await wait_until(lambda: not mqtt.is_connected(central))
        for plate in plates[1:3]:
            await worker.async_request("POST", "/api/events/plate_detected", _read(plate))
        # Killed with -9 with those reads waiting, and started again, still without broker.
        await worker.async_kill()
        await worker.async_start()
        for plate in plates[3:]:
            await worker.async_request("POST", "/api/events/plate_detected", _read(plate))
        await asyncio.sleep(OUTAGE - (time.monotonic() - away))
        await asyncio.to_thread(broker.start)

        await wait_until(lambda: len(reads) >= len(plates), 20)
        await asyncio.sleep(0.5)  # time for a double to show
        assert reads == plates
        await wait_until(lambda: state_of(central, "sensor.west_gate_outbox_dropped") == "0")
    finally:
        await worker.async_kill()


async def test_a_central_and_two_workers_each_lane_opens_its_own_barrier(
    broker: MosquittoBroker, tmp_path: Path
) -> None:
    automations = "".join(AUTOMATION.format(node=node) for node in ("west_gate", "east_gate"))
    central_config = CENTRAL_CONFIG.format(broker=broker.url, automations=automations)
    central = await asyncio.to_thread(HubProcess, tmp_path / "central", central_config)
    workers = {
        # The resident comes to the west lane first (~4 s after start), then to the east.
        node: await asyncio.to_thread(
            HubProcess,
            tmp_path / node,
            WORKER_CONFIG.format(node=node, broker=broker.url)
            + LANE_CONFIG.format(time_scale=time_scale),
        )
        for node, time_scale in (("west_gate", 60), ("east_gate", 25))
    }
    processes = [central, *workers.values()]
    try:
        async with MqttTestClient(broker.port) as watcher:
            await watcher.subscribe("parkhub/nodes/+/events")
            await watcher.subscribe("parkhub/nodes/+/gate/entry/state")
            await central.async_start()
            await asyncio.gather(*(worker.async_start() for worker in workers.values()))

            async def sessions() -> list[dict[str, str]]:
                found = await central.async_request("GET", "/api/parking/sessions")
                return list(found["sessions"])

            async with asyncio.timeout(60):
                while len(await sessions()) < 2:  # noqa: ASYNC110  (over HTTP)
                    await asyncio.sleep(0.2)
            for node in workers:
                await watcher.wait_for(f"parkhub/nodes/{node}/gate/entry/state", "open", within=10)
            messages = list(watcher.messages)

        found = await sessions()
        assert sorted((s["lot"], s["plate"], s["entry_camera"]) for s in found) == [
            ("east", RESIDENT, "camera.east_gate_entry"),
            ("west", RESIDENT, "camera.west_gate_entry"),
        ]
        # Each barrier moved only after its own lane read the resident: the central's
        # automation for a lane opened that lane's barrier, not the other's.
        for node in workers:
            read = next(
                index
                for index, message in enumerate(messages)
                if message.topic == f"parkhub/nodes/{node}/events"
                and json.loads(message.payload)["data"].get("plate") == RESIDENT
            )
            moved = [
                index
                for index, message in enumerate(messages)
                if message.topic == f"parkhub/nodes/{node}/gate/entry/state"
                and message.payload in ("opening", "open")
            ]
            assert moved, node
            assert min(moved) > read, node
    finally:
        for process in processes:
            await process.async_kill()


def _kill_when_grown(path: Path, size: int, pid: int) -> None:
    """kill -9 `pid` as soon as `path` grows past `size` (polled every 0.2 ms)."""
    deadline = time.monotonic() + 20
    while path.stat().st_size <= size:
        assert time.monotonic() < deadline, "no session was written"
        time.sleep(0.0002)
    os.kill(pid, signal.SIGKILL)


BURST_CENTRAL = """\
hub: {{name: Central, time_zone: UTC}}
mqtt: {{broker: "{broker}", nodes: [west_gate], discovery: {{enabled: false}}}}
parking:
  lots:
    west:
      cameras: {{camera.west_gate_entry: entry, camera.west_gate_exit: exit}}
      tariff: {{rate: 250}}
"""


async def test_a_central_killed_during_a_burst_of_reads_parks_each_car_once(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """40 reads (30 entries, then 10 of those cars leaving) sent at once; the central is
    killed with -9 while it works through them and started again: every car has exactly
    one session, the 10 closed, and no read was applied twice (no anomaly). The kill
    comes as the first session row is committed, before that read's id is on record:
    the read comes again, and parking must recognise it (without that, this test sees a
    `duplicate_entry` anomaly every time)."""
    config = BURST_CENTRAL.format(broker=mosquitto.url)
    central = await asyncio.to_thread(HubProcess, tmp_path / "central", config)
    plates = [f"KA01AB{n:04d}" for n in range(30)]
    reads = [(plate, "entry") for plate in plates] + [(plate, "exit") for plate in plates[:10]]
    try:
        await central.async_start()
        async with MqttTestClient(mosquitto.port) as worker:
            await worker.publish("parkhub/nodes/west_gate/status", "online", retain=True)
            # Killed the moment the first session rows are committed (parking.db's WAL
            # grows), while the ids of those reads are still being gathered for an fsync.
            wal = central.folder / "data" / "parking.db-wal"
            size = await asyncio.to_thread(lambda: wal.stat().st_size)
            for n, (plate, direction) in enumerate(reads):
                envelope = {
                    "id": f"{n:032x}",
                    "event_type": "plate_detected",
                    "data": {"plate": plate, "camera": f"camera.{direction}"},
                }
                worker.publish_now("parkhub/nodes/west_gate/events", json.dumps(envelope))

            async def sessions() -> list[dict[str, Any]]:
                found = await central.async_request("GET", "/api/parking/sessions")
                return list(found["sessions"])

            assert central.process is not None
            await asyncio.to_thread(_kill_when_grown, wal, size, central.process.pid)
            await central.async_kill()
            await central.async_start()
            async with asyncio.timeout(30):
                while sum(s["status"] == "closed" for s in await sessions()) < 10:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)  # the recorder commits each second: anomalies show
            found = await sessions()
            anomalies = await central.async_request("GET", "/api/parking/anomalies")
        assert sorted(s["plate"] for s in found) == plates
        assert sorted(s["plate"] for s in found if s["status"] == "closed") == plates[:10]
        assert anomalies["anomalies"] == []
    finally:
        await central.async_kill()


pytestmark = pytest.mark.timeout(150)
