"""Worker nodes over Mosquitto: two hubs in one process, as two boxes on one broker.

The worker (`hub: node: west_gate`) has the lane's barrier; the central hub
(`mqtt: nodes: [west_gate]`) runs the automation. A plate read on the worker opens the
worker's barrier through the central's automation; a gate command that went stale in a
queue is never executed; a central hub that was down gets every plate read exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import voluptuous as vol

from hub.automations import AUTOMATIONS_SCHEMA, async_setup_automations
from hub.core.bus import Event
from hub.core.context import Context
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.integrations import gate, mqtt
from hub.integrations.mqtt import node_worker
from hub.integrations.mqtt.config import MqttConfig
from hub.web import create_token
from tests.mqtt_broker import TEST_ACCOUNT, MosquittoBroker, MqttTestClient, free_port, wait_until

from .nodes_support import MakeHub, state_of

NODE = "west_gate"
ROOT = f"parkhub/nodes/{NODE}"
NODE_ACCOUNT = {"username": NODE, "password": "west-gate-password", "role": "node"}
DEMO_ENTRY = {"id": "entry", "name": "West entry", "backend": "demo", "travel_time": 0.2}
OPEN_FOR_RESIDENTS = {
    "id": "open_for_residents",
    "triggers": [
        {
            "trigger": "event",
            "event_type": "plate_detected",
            "event_data": {"camera": "camera.west_gate_entry", "listed": "allow"},
        }
    ],
    "actions": [
        {
            "action": "gate.open",
            "target": {"entity_id": "gate.west_gate_entry"},
            "data": {"plate": "{{ trigger.event.data.plate }}"},
        }
    ],
}


async def _worker(make_hub: MakeHub, broker: MosquittoBroker) -> Hub:
    worker = await make_hub("worker", {"broker": broker.url}, node=NODE)
    await gate.async_setup(worker, gate.CONFIG_SCHEMA([DEMO_ENTRY]))
    await worker.async_start()
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(worker)
    return worker


async def _central(make_hub: MakeHub, broker: MosquittoBroker, **extra: Any) -> Hub:
    central = await make_hub("central", {"broker": broker.url, "nodes": [NODE], **extra})
    await central.async_start()
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(central)
    return central


def _plates_fired(hub: Hub) -> list[str]:
    """The plates of every `plate_detected` the hub fires from now on, in order."""
    plates: list[str] = []
    hub.bus.async_listen("plate_detected", lambda event: plates.append(event.data["plate"]))
    return plates


@contextlib.asynccontextmanager
async def _persistent_mosquitto(tmp_path: Path) -> AsyncIterator[MosquittoBroker]:
    """A Mosquitto that keeps sessions across its own restarts (persistence on disk)."""
    broker = await asyncio.to_thread(MosquittoBroker, tmp_path, None, True)
    await asyncio.to_thread(broker.start)
    try:
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


def _read(worker: Hub, plate: str, context: Context | None = None) -> None:
    """What the worker's plate reader fires for a resident at its entry camera."""
    worker.bus.async_fire(
        "plate_detected",
        {"plate": plate, "camera": "camera.entry", "direction": "entry", "listed": "allow"},
        context=context,
    )


async def test_the_centrals_automation_opens_the_workers_barrier(
    make_hub: MakeHub, mosquitto: MosquittoBroker
) -> None:
    central = await _central(make_hub, mosquitto)
    worker = await _worker(make_hub, mosquitto)
    worker.states.async_set("binary_sensor.slot_a01", "off", {"friendly_name": "A01"})
    # The worker's entities appear on the central, under the node's prefix.
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed")
    await wait_until(lambda: state_of(central, "binary_sensor.west_gate_slot_a01") == "off")
    slot = central.states.get("binary_sensor.west_gate_slot_a01")
    assert slot is not None
    assert (slot.attributes["friendly_name"], slot.attributes["node"]) == ("A01", NODE)
    await async_setup_automations(central, AUTOMATIONS_SCHEMA([OPEN_FOR_RESIDENTS]))
    reads: list[Event] = []
    commands: list[Event] = []
    central.bus.async_listen("plate_detected", reads.append)
    central.bus.async_listen("gate_command", commands.append)

    camera_saw_a_car = Context()
    _read(worker, "KA01AB1234", camera_saw_a_car)

    # The worker's barrier opens, and the central sees it open.
    await wait_until(lambda: state_of(worker, "gate.entry") == "open")
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "open")
    [read] = reads
    assert read.data["camera"] == "camera.west_gate_entry"
    assert (read.data["plate"], read.data["node"]) == ("KA01AB1234", NODE)
    assert read.context.parent_id == camera_saw_a_car.id  # the worker's context is its cause
    # Announced once, by the central; the worker's own announcement is not echoed back.
    await asyncio.sleep(0.2)
    [command] = commands
    assert (command.data["entity_id"], command.data["plate"]) == (
        "gate.west_gate_entry",
        "KA01AB1234",
    )
    opened = worker.states.get("gate.entry")
    assert opened is not None
    assert opened.attributes["last_plate"] == "KA01AB1234"

    # The slot changes on the worker; then the worker goes away and its entities with it.
    worker.states.async_set("binary_sensor.slot_a01", "on", {"friendly_name": "A01"})
    await wait_until(lambda: state_of(central, "binary_sensor.west_gate_slot_a01") == "on")
    await worker.async_stop()
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "unavailable")
    assert state_of(central, "binary_sensor.west_gate_slot_a01") == "unavailable"
    with pytest.raises(HubError, match="node west_gate is offline"):
        await central.services.async_call("gate", "open", {"entity_id": "gate.west_gate_entry"})


async def test_a_stale_gate_command_is_never_executed(
    make_hub: MakeHub, mosquitto: MosquittoBroker
) -> None:
    central = await _central(make_hub, mosquitto, node_command_timeout=0.5)
    worker = await _worker(make_hub, mosquitto)
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed")

    # A command held somewhere past its deadline reaches the worker: refused, with a reply.
    async with MqttTestClient(mosquitto.port) as device:
        await device.subscribe(f"{ROOT}/gate/entry/reply")
        stale = {"id": "c1", "command": "open", "deadline": time.time() - 30}
        await device.publish(f"{ROOT}/gate/entry/command", json.dumps(stale))
        [reply] = await device.wait_for(f"{ROOT}/gate/entry/reply")
    assert json.loads(reply.payload) == {
        "id": "c1",
        "executed": False,
        "error": "expired",
        "state": "closed",
    }

    # The central loses the broker: the command waits in its queue and the call fails at
    # the deadline; sent when the broker is back, it has expired and the barrier stays shut.
    await asyncio.to_thread(mosquitto.stop)
    await wait_until(lambda: not mqtt.is_connected(central))
    with pytest.raises(HubError, match=r"did not answer within 0\.5 s"):
        await central.services.async_call("gate", "open", {"entity_id": "gate.west_gate_entry"})
    await asyncio.to_thread(mosquitto.start)
    await wait_until(lambda: mqtt.is_connected(central) and mqtt.is_connected(worker), 10)
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed")
    await asyncio.sleep(0.5)
    assert state_of(worker, "gate.entry") == "closed"

    # A fresh command, in time, is executed.
    await central.services.async_call("gate", "open", {"entity_id": "gate.west_gate_entry"})
    await wait_until(lambda: state_of(worker, "gate.entry") == "open")


async def test_a_central_that_was_down_gets_every_read_exactly_once(
    make_hub: MakeHub, mosquitto: MosquittoBroker
) -> None:
    central = await _central(make_hub, mosquitto)
    worker = await _worker(make_hub, mosquitto)
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed")
    await central.async_stop()

    # Read while the central is down: the broker keeps them in its persistent session.
    plates = [f"KA01AB{n:04d}" for n in range(5)]
    for plate in plates:
        _read(worker, plate)
    await asyncio.sleep(0.3)

    # The central comes back (a new process would build a new hub the same way).
    restarted = await make_hub("central2", {"broker": mosquitto.url, "nodes": [NODE]})
    reads = _plates_fired(restarted)
    await restarted.async_start()
    await wait_until(lambda: len(reads) == len(plates))
    _read(worker, "KA01AB9999")
    await wait_until(lambda: len(reads) == len(plates) + 1)
    await asyncio.sleep(0.2)
    assert reads == [*plates, "KA01AB9999"]


async def test_an_event_delivered_again_after_a_restart_is_not_fired_twice(
    make_hub: MakeHub, mosquitto: MosquittoBroker
) -> None:
    """What a central killed between firing a read and acknowledging it sees: the broker
    delivers the same envelope again to the restarted central (same data directory)."""
    envelope = {
        "id": "read-1",
        "event_type": "plate_detected",
        "data": {"plate": "KA01AB0001", "camera": "camera.entry"},
    }
    async with MqttTestClient(mosquitto.port) as worker:
        central = await _central(make_hub, mosquitto)
        reads = _plates_fired(central)
        await worker.publish(f"{ROOT}/events", json.dumps(envelope), qos=1)
        await wait_until(lambda: reads == ["KA01AB0001"])
        await central.async_stop()

        restarted = await _central(make_hub, mosquitto)
        restarted.bus.async_listen("plate_detected", lambda e: reads.append(e.data["plate"]))
        await worker.publish(f"{ROOT}/events", json.dumps(envelope), qos=1)
        envelope = {**envelope, "id": "read-2", "data": {"plate": "KA01AB0002"}}
        await worker.publish(f"{ROOT}/events", json.dumps(envelope), qos=1)
        await wait_until(lambda: "KA01AB0002" in reads)
        await asyncio.sleep(0.2)
    assert reads == ["KA01AB0001", "KA01AB0002"]


async def test_reads_made_without_a_broker_survive_a_worker_restart(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    """The broker is down while the worker reads plates and is restarted: the central
    gets each read once, in order, when the broker is back."""
    async with _persistent_mosquitto(tmp_path) as broker:
        central = await _central(make_hub, broker)
        reads = _plates_fired(central)
        worker = await _worker(make_hub, broker)
        _read(worker, "KA01AB0000")
        await wait_until(lambda: reads == ["KA01AB0000"])

        # Graceful: a persistent Mosquitto keeps the central's session for the reads.
        await asyncio.to_thread(broker.stop, True)
        await wait_until(lambda: not mqtt.is_connected(worker))
        plates = [f"KA01AB{n:04d}" for n in range(1, 4)]
        for plate in plates[:2]:
            _read(worker, plate)
        await worker.async_stop()
        worker = await _worker_without_broker(make_hub, broker)
        _read(worker, plates[2])
        await asyncio.to_thread(broker.start)

        await wait_until(lambda: len(reads) == 4, within=15)
        await asyncio.sleep(0.3)
        assert reads == ["KA01AB0000", *plates]


async def test_a_full_outbox_drops_the_newest_reads_and_says_so(
    make_hub: MakeHub,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bound 3: of five reads made while the broker is away, the first three arrive, in
    order; the drops are counted in an entity the central mirrors, and logged."""
    monkeypatch.setattr(node_worker, "OUTBOX_SIZE", 3)
    async with _persistent_mosquitto(tmp_path) as broker:
        central = await _central(make_hub, broker)
        reads = _plates_fired(central)
        worker = await _worker(make_hub, broker)
        await wait_until(lambda: state_of(central, "sensor.west_gate_outbox_dropped") == "0")
        await asyncio.to_thread(broker.stop, True)
        await wait_until(lambda: not mqtt.is_connected(worker))
        plates = [f"KA01AB{n:04d}" for n in range(5)]
        for plate in plates:
            _read(worker, plate)
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("west_gate: outbox full" in w and "1 dropped so far" in w for w in warnings)
        await wait_until(lambda: state_of(worker, "sensor.outbox_dropped") == "2")
        await asyncio.to_thread(broker.start)
        await wait_until(lambda: len(reads) == 3, within=15)
        await wait_until(lambda: state_of(central, "sensor.west_gate_outbox_dropped") == "2")
        await asyncio.sleep(0.2)
        assert reads == plates[:3]


async def _worker_without_broker(make_hub: MakeHub, broker: MosquittoBroker) -> Hub:
    worker = await make_hub("worker", {"broker": broker.url}, node=NODE)
    await gate.async_setup(worker, gate.CONFIG_SCHEMA([DEMO_ENTRY]))
    await worker.async_start()
    return worker


async def test_a_node_account_publishes_only_under_its_own_prefix(make_hub: MakeHub) -> None:
    """The central's embedded broker: the worker logs in with its node account."""
    port = free_port()
    central = await make_hub(
        "central",
        {
            "broker": "embedded",
            "embedded": {"port": port, "users": [TEST_ACCOUNT, NODE_ACCOUNT]},
            "nodes": [NODE],
        },
    )
    await central.async_start()
    worker = await make_hub(
        "worker",
        {"broker": f"mqtt://{NODE}:{NODE_ACCOUNT['password']}@127.0.0.1:{port}"},
        node=NODE,
    )
    await gate.async_setup(worker, gate.CONFIG_SCHEMA([DEMO_ENTRY]))
    await worker.async_start()
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "closed")
    await central.services.async_call("gate", "open", {"entity_id": "gate.west_gate_entry"})
    await wait_until(lambda: state_of(central, "gate.west_gate_entry") == "open")

    # Logged in as the node: its own topics pass, another node's and the central's do not.
    async with (
        MqttTestClient(port, username=NODE, password=NODE_ACCOUNT["password"]) as node,
        MqttTestClient(port) as admin,
    ):
        await admin.subscribe("parkhub/#")
        await node.subscribe("parkhub/#")
        await node.publish("parkhub/nodes/east_gate/sensor/x/state", "forged")
        await node.publish("parkhub/gate/entry/set", "OPEN")
        await node.publish(f"{ROOT}/sensor/probe/state", "ok")
        await admin.wait_for(f"{ROOT}/sensor/probe/state", "ok")
        central.states.async_set("sensor.central_only", "secret")
        await admin.wait_for("parkhub/sensor/central_only/state", "secret")
        await asyncio.sleep(0.2)
        assert admin.received("parkhub/nodes/east_gate/#") == []
        assert admin.received("parkhub/gate/entry/set") == []
        assert node.received("parkhub/sensor/central_only/state") == []
        assert node.received(f"{ROOT}/sensor/probe/state") != []


async def test_a_central_accepts_nodes_that_announce_themselves(make_hub: MakeHub) -> None:
    """`accept_nodes: true` and no list: a worker with its own node account is mirrored
    when its birth status appears; what it publishes as another node is refused by the
    broker, so that node is never mirrored."""
    port = free_port()
    east = {"username": "east_gate", "password": "east-gate-password", "role": "node"}
    central = await make_hub(
        "central",
        {
            "broker": "embedded",
            "embedded": {"port": port, "users": [TEST_ACCOUNT, NODE_ACCOUNT, east]},
            "accept_nodes": True,
        },
    )
    reads: list[Event] = []
    central.bus.async_listen("plate_detected", reads.append)
    await central.async_start()
    worker = await make_hub(
        "worker",
        {"broker": f"mqtt://east_gate:{east['password']}@127.0.0.1:{port}"},
        node="east_gate",
    )
    await gate.async_setup(worker, gate.CONFIG_SCHEMA([DEMO_ENTRY]))
    await worker.async_start()
    await wait_until(lambda: state_of(central, "gate.east_gate_entry") == "closed")
    _read(worker, "KA01AB1234")
    await wait_until(lambda: len(reads) == 1)
    assert (reads[0].data["camera"], reads[0].data["node"]) == (
        "camera.east_gate_entry",
        "east_gate",
    )
    await central.services.async_call("gate", "open", {"entity_id": "gate.east_gate_entry"})
    await wait_until(lambda: state_of(worker, "gate.entry") == "open")

    # The east account speaking as west_gate: the broker drops it, nothing is mirrored.
    async with MqttTestClient(port, username="east_gate", password=east["password"]) as forger:
        await forger.publish(f"{ROOT}/status", "online", retain=True)
        await forger.publish(f"{ROOT}/sensor/x/state", "forged", retain=True)
        await forger.publish("parkhub/nodes/east_gate/sensor/probe/state", "ok", retain=True)
    await wait_until(lambda: state_of(central, "sensor.east_gate_probe") == "ok")
    assert [e for e in central.states.async_entity_ids() if "west_gate" in e] == []
    assert state_of(central, "sensor.east_gate_outbox_dropped") == "0"


def test_accept_nodes_is_a_boolean() -> None:
    with pytest.raises(vol.Invalid, match="accept_nodes must be true or false"):
        mqtt.CONFIG_SCHEMA({"accept_nodes": "sometimes"})
    conf = MqttConfig.from_dict(mqtt.CONFIG_SCHEMA({"accept_nodes": True}))
    # A central keeps a persistent session, as with a list of nodes.
    assert (conf.accept_nodes, conf.connection.clean_session) == (True, False)


def test_a_node_account_is_named_by_its_node_id() -> None:
    with pytest.raises(vol.Invalid, match="node account's username is its node id"):
        mqtt.CONFIG_SCHEMA(
            {
                "embedded": {
                    "users": [{"username": "West Gate", "password": "x" * 8, "role": "node"}]
                }
            }
        )


CENTRAL_CONFIG = """\
hub: {{name: Central, time_zone: UTC}}
mqtt:
  broker: {broker}
  nodes: [west_gate]
  discovery: {{enabled: false}}
parking:
  lots:
    demo:
      cameras: {{camera.west_gate_entry: entry}}
      tariff: {{rate: 250}}
"""


async def _run_central(folder: Path, port: int) -> asyncio.subprocess.Process:
    """`parkhub run` on the central's config, once it serves."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--config", str(folder / "config.yaml"),
        "--data", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None
    log = b""
    async with asyncio.timeout(60):
        while b"Serving on" not in log:
            line = await process.stderr.readline()
            assert line, f"the central exited: {log.decode()}"
            log += line
    return process


async def test_a_central_killed_with_sigkill_misses_no_read_and_doubles_none(
    make_hub: MakeHub, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """The central is a real `parkhub run`, killed with -9 and started again; parking
    runs on it, from the worker's reads."""
    folder = tmp_path / "central-process"
    port = free_port()
    await asyncio.to_thread(folder.mkdir)
    text = CENTRAL_CONFIG.format(broker=mosquitto.url)
    await asyncio.to_thread((folder / "config.yaml").write_text, text)
    token = await asyncio.to_thread(create_token, folder / "data", "nodes test")
    worker = await _worker(make_hub, mosquitto)
    plates = [f"KA01AB{n:04d}" for n in range(6)]
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with MqttTestClient(mosquitto.port) as watcher:
            await watcher.subscribe("parkhub/event/plate_detected")
            processes.append(await _run_central(folder, port))
            _read(worker, plates[0])
            await watcher.wait_for("parkhub/event/plate_detected")
            # Killed once idle. Killed between handling a read and acknowledging it, the
            # broker sends that read again and the restarted central drops it by its id
            # (on disk: test_an_event_delivered_again_after_a_restart_is_not_fired_twice).
            await asyncio.sleep(0.2)
            processes[0].send_signal(signal.SIGKILL)
            await processes[0].wait()
            for plate in plates[1:]:
                _read(worker, plate)
            await asyncio.sleep(0.3)
            processes.append(await _run_central(folder, port))

            seen = await watcher.wait_for("parkhub/event/plate_detected", count=len(plates))
            await asyncio.sleep(0.5)
            seen = watcher.received("parkhub/event/plate_detected")
        assert [json.loads(m.payload)["plate"] for m in seen] == plates
        assert {json.loads(m.payload)["node"] for m in seen} == {NODE}
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.get(
                f"http://127.0.0.1:{port}/api/parking/sessions", params={"active": "1"}
            ) as response,
        ):
            assert response.status == 200
            sessions = (await response.json())["sessions"]
        assert sorted(session["plate"] for session in sessions) == plates
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.communicate()


pytestmark = pytest.mark.timeout(90)
