"""The bundled config.yaml's example automations, running in the demo through the real parts.

The hub is built from the bundled config the way `parkhub run` builds it (`load`, then
`async_build_hub`), from a copy changed only where a test machine needs it
(tests/bundled_config.py). Everything else (demo gates, demo cameras, occupancy, the
notify panel, the automations) is as a user gets it, and the test looks from outside:
MQTT topics on the embedded broker, REST, the WebSocket, camera snapshots.

The plate reader runs for real (the last test waits for the first demo car to be read
and let in); the first test also fires a `plate_detected` itself, to check the chain
from a read to the barrier and its trace. The parking integration is stood in for (it
does not exist yet): its `overstay` event is fired on the bus as it will be.
The lot-full example is not here: the demo lot does not fill up, and the warning waits a
minute of hub time; tests/automations/test_examples.py moves the clock for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import cv2
import homeassistant_api as ha_api
import numpy as np
import pytest
import pytest_asyncio

from hub.bootstrap import async_build_hub, load
from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations.demo.lane import ANGLES, ARM_LENGTH, ARM_Y, POST_X
from hub.web import create_token
from tests.bundled_config import write_test_config
from tests.conftest import LogGuard
from tests.mqtt_broker import MqttTestClient, free_port, wait_until
from tests.web.openapi_check import check_openapi
from tests.web.test_metrics import samples, value

pytestmark = pytest.mark.asyncio(loop_scope="module")

RESIDENT = "NL42RES"  # one of the demo's `plates:`, a resident who comes back now and then


class DemoHub:
    """The running hub and the ways in that a user has: web, WebSocket, MQTT."""

    def __init__(self, hub: Hub, web_port: int, mqtt_port: int, token: str) -> None:
        self.hub = hub
        self.url = f"http://127.0.0.1:{web_port}"
        self.mqtt_port = mqtt_port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token

    async def get_json(self, path: str) -> Any:
        async with (
            aiohttp.ClientSession(headers=self.headers) as session,
            session.get(self.url + path) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    async def get_bytes(self, path: str) -> bytes:
        async with (
            aiohttp.ClientSession(headers=self.headers) as session,
            session.get(self.url + path) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.read()


@pytest.fixture(scope="module")
def module_log_guard() -> Iterator[LogGuard]:
    """Errors logged anywhere in the module fail it (the hub runs across its tests)."""
    guard = LogGuard()
    logging.getLogger().addHandler(guard)
    yield guard
    logging.getLogger().removeHandler(guard)
    if guard.records:
        pytest.fail("errors were logged:\n" + "\n".join(r.getMessage() for r in guard.records))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(
    tmp_path_factory: pytest.TempPathFactory, module_log_guard: LogGuard
) -> AsyncIterator[DemoHub]:
    folder = tmp_path_factory.mktemp("demo_lot")
    web_port, mqtt_port = free_port(), free_port()
    path = await asyncio.to_thread(write_test_config, folder, web_port, mqtt_port)
    loaded = await asyncio.to_thread(load, path)
    token = await asyncio.to_thread(create_token, loaded.data_dir(), "test")
    threads_before = set(threading.enumerate())
    hub = await async_build_hub(loaded, host="127.0.0.1")
    try:
        yield DemoHub(hub, web_port, mqtt_port, token)
    finally:
        await hub.async_stop()
    # The whole demo stops cleanly: no timer, task or worker thread left running.
    assert hub.scheduler.pending == 0, "timers left after stop"
    assert not [task for task in hub._tasks if not task.done()], "tasks left after stop"
    threads = [
        thread
        for thread in set(threading.enumerate()) - threads_before
        if not thread.name.startswith("asyncio_")  # the test's own to_thread workers
    ]
    for thread in threads:  # one that has just reported back may still be returning
        await asyncio.to_thread(thread.join, 1)
    assert not [t for t in threads if t.is_alive()], f"threads left after stop: {threads}"


def _state(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state is not None else None


def _read_plate(hub: Hub, plate: str, confidence: float) -> Context:
    """A plate read at the entry, as the plate reader will fire it; returns its context."""
    camera_saw_a_car = Context()
    data = {
        "plate": plate,
        "confidence": confidence,
        "camera": "camera.entry",
        "direction": "entry",
        "list": "residents",
    }
    hub.bus.async_fire("plate_detected", data, context=camera_saw_a_car)
    return camera_saw_a_car


def _arm_is_up(jpeg: bytes) -> bool:
    """Whether the lane frame shows the barrier arm raised: its red stripe where the raised
    arm stands (above any car's roof), not the wall that is there when it is down."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the lane frame is not a JPEG"
    raised = math.radians(ANGLES["open"])
    along = ARM_LENGTH * 5 / 16  # the middle of the arm's third stripe, a red one
    x, y = int(POST_X - along * math.cos(raised)), int(ARM_Y - along * math.sin(raised))
    blue, green, red = image[y - 6 : y + 6, x - 3 : x + 3].reshape(-1, 3).mean(axis=0)
    return bool(red > 150 and blue < 110 and green < 110)


async def test_resident_plate_opens_the_entry_barrier(demo: DemoHub) -> None:
    hub = demo.hub
    await wait_until(lambda: _state(hub, "gate.entry") == "closed", within=10)
    snapshot = "/api/camera/camera.entry/snapshot.jpg"
    assert not _arm_is_up(await demo.get_bytes(snapshot)), "the barrier is drawn open"

    async with (
        MqttTestClient(demo.mqtt_port) as subscriber,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{demo.url}/api/websocket") as ws,
    ):
        await subscriber.subscribe("parkhub/gate/entry/state")
        await subscriber.subscribe("parkhub/event/gate_command")
        await subscriber.subscribe("parkhub/counter/cars_today/state")
        await subscriber.wait_for("parkhub/gate/entry/state", "closed", retained=True)
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": demo.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "gate_command"})
        assert (await ws.receive_json())["success"] is True

        # The owner switches automatic opening on, from the panel.
        await ws.send_json(
            {
                "id": 2,
                "type": "call_service",
                "domain": "input_boolean",
                "service": "turn_on",
                "service_data": {"entity_id": "input_boolean.residents_auto_open"},
            }
        )
        assert (await ws.receive_json())["success"] is True

        # The plate reader sees a resident at the entry.
        camera_saw_a_car = _read_plate(hub, RESIDENT, 0.97)

        await subscriber.wait_for("parkhub/gate/entry/state", "opening")
        [command] = await subscriber.wait_for("parkhub/event/gate_command")
        assert json.loads(command.payload) == {
            "entity_id": "gate.entry",
            "command": "open",
            "service": "open",
            "reason": "resident",
            "plate": RESIDENT,
            "source": None,
        }
        async with asyncio.timeout(5):
            event = (await ws.receive_json())["event"]
        assert event["event_type"] == "gate_command"
        # gate opened <- the automation's run <- the plate read
        assert event["context"]["parent_id"] == camera_saw_a_car.id
        await subscriber.wait_for("parkhub/gate/entry/state", "open", within=10)
        # A second read while the barrier is open (it closes by itself 10 s later) counts
        # the car again, but does not open the barrier again.
        second_read = _read_plate(hub, RESIDENT, 0.9)
        await subscriber.wait_for("parkhub/counter/cars_today/state", "2")
        assert len(subscriber.received("parkhub/event/gate_command")) == 1

    opened = hub.states.get("gate.entry")
    assert opened is not None
    assert opened.attributes["last_plate"] == RESIDENT
    assert opened.context.id == event["context"]["id"]

    # The entry lane camera draws the barrier up.
    deadline = time.monotonic() + 5
    while not _arm_is_up(await demo.get_bytes(snapshot)):
        assert time.monotonic() < deadline, "the lane camera still draws the barrier down"
        await asyncio.sleep(0.1)

    # The runs are in the automation's traces, with their causes.
    await wait_until(lambda: len(hub.data["automation"].traces.get("open_for_residents")) == 2)
    traces = await demo.get_json("/api/automations/open_for_residents/traces")
    [trace] = [t for t in traces if t["trigger_context"]["id"] == camera_saw_a_car.id]
    assert trace["execution"] == "finished"
    assert trace["trigger"]["plate"] == RESIDENT
    assert trace["context"]["id"] == event["context"]["id"]
    assert all(condition["result"] for condition in trace["conditions"])
    [step] = trace["steps"]
    assert "error" not in step
    assert step["result"]["service"] == "gate.open"
    assert step["result"]["data"] == {
        "entity_id": "gate.entry",
        "reason": "resident",
        "plate": RESIDENT,
    }
    [again] = [t for t in traces if t["trigger_context"]["id"] == second_read.id]
    assert [c["result"] for c in again["conditions"]] == [True, False, False]  # not closed
    assert again["steps"] == []


async def test_overstay_reaches_the_notify_panel(demo: DemoHub) -> None:
    demo.hub.bus.async_fire("overstay", {"plate": "PH12CAR", "minutes": 25, "lot": "demo"})

    async def panel() -> list[tuple[str, str]]:
        items = (await demo.get_json("/api/notify/panel"))["notifications"]
        return [(item["title"], item["message"]) for item in items]

    deadline = time.monotonic() + 5
    while not (shown := await panel()):
        assert time.monotonic() < deadline, "nothing reached the panel"
        await asyncio.sleep(0.05)
    assert shown == [("Overstay", "PH12CAR has overstayed")]
    [trace] = await demo.get_json("/api/automations/overstay_sms/traces")
    assert trace["execution"] == "finished"
    # No SMS account in the demo: that step fails, and the run goes on to the panel.
    assert trace["steps"][0]["error"] == "service notify.owner_sms not found"


async def test_occupancy_follows_the_demo_lot(demo: DemoHub) -> None:
    hub = demo.hub
    lot = hub.data["demo"].lot
    slots = sorted(lot.slot_polygons)

    def counted() -> bool:
        return _state(hub, "sensor.demo_free_spaces") not in (None, "unknown", "unavailable")

    await wait_until(counted, within=20)
    free = await demo.get_json("/api/states/sensor.demo_free_spaces")
    assert free["attributes"]["total"] == 24
    assert free["attributes"]["reserved"] == 0
    occupied = free["attributes"]["occupied"]
    assert int(free["state"]) + occupied == 24
    for slot in slots:
        state = await demo.get_json(f"/api/states/binary_sensor.demo_slot_{slot}")
        assert state["state"] in ("on", "off")
        assert {"confidence", "since", "plate", "reserved"} <= set(state["attributes"])

    # The spaces agree with the cars the demo has parked (those driving in or out aside).
    # The model is right about 97% of the demo's spaces (README, "Slot occupancy"), so a
    # space or two may be wrong; a sensor wired to the wrong space would miss about half.
    def disagreeing() -> list[str]:
        truth, driving = lot.occupied_slots(), lot.driving()
        return [
            slot
            for slot in slots
            if slot not in driving
            and (_state(hub, f"binary_sensor.demo_slot_{slot}") == "on") != (slot in truth)
        ]

    deadline = time.monotonic() + 10
    while len(wrong := disagreeing()) > 2:
        assert time.monotonic() < deadline, f"slots disagree with the demo lot: {wrong}"
        await asyncio.sleep(0.2)
    off = [slot for slot in slots if _state(hub, f"binary_sensor.demo_slot_{slot}") == "off"]
    assert _state(hub, "sensor.demo_free_spaces") == str(len(off))


async def test_a_demo_car_is_read_and_let_in(demo: DemoHub) -> None:
    """The real pieces: the first demo car (a resident) drives up to the closed barrier,
    its plate is read from the lane camera, the barrier opens for it and it drives on."""
    hub = demo.hub
    lot = hub.data["demo"].lot
    first = next(v for v in lot.visits(hub.scheduler.timestamp() + 120) if v.arrive > 0)
    arrive = lot.hub_time(first.arrive)  # when it reaches the barrier
    async with MqttTestClient(demo.mqtt_port) as subscriber:
        await subscriber.subscribe("parkhub/event/plate_detected")
        await subscriber.subscribe("parkhub/gate/entry/state")
        within = arrive - hub.scheduler.timestamp() + 20
        [message] = await subscriber.wait_for("parkhub/event/plate_detected", within=within)
        event = json.loads(message.payload)
        assert event["plate"] == first.car.plate
        assert (event["camera"], event["direction"]) == ("camera.entry", "entry")
        assert (event["list"], event["listed"]) == ("residents", "allow")
        sensor = await demo.get_json("/api/states/sensor.entry_last_plate")
        assert sensor["state"] == first.car.plate
        assert await demo.get_bytes(sensor["attributes"]["snapshot"])
        await subscriber.wait_for("parkhub/gate/entry/state", "open", within=10)
    # It waited at the closed barrier, and drives on once it is open.
    seen = lot.lane_car("entry", arrive + 0.5)
    assert seen is not None
    assert seen.phase == "waiting"
    await wait_until(
        lambda: (car := lot.lane_car("entry")) is None or car.phase == "passing", within=5
    )
    assert hub.scheduler.timestamp() < arrive + 12, "it waited until its time ran out"


async def test_services_and_openapi_describe_the_bundled_config(demo: DemoHub) -> None:
    """Every service of the bundled config is described from its schema (`vol.All` ones
    too: /api/services was a 500 on them), and the OpenAPI document covers every route
    the integrations registered."""
    services = {item["domain"]: item["services"] for item in await demo.get_json("/api/services")}
    pay = services["parking"]["pay"]["fields"]
    assert pay["method"]["required"] is True
    assert pay["method"]["selector"] == {"select": {"options": ["cash", "card", "online"]}}
    assert services["gate"]["open"]["fields"]["entity_id"]["required"] is True
    assert services["lpr"]["add_plate"]["fields"]["plate"]["required"] is True
    # Home Assistant's client library reads every one of them into its models.
    client = ha_api.Client(f"{demo.url}/api", demo.token, use_async=True, async_cache_session=False)
    async with client:
        domains = await client.async_get_domains()
    assert {name: set(domain.services) for name, domain in domains.items()} == {
        name: set(by_name) for name, by_name in services.items()
    }

    document = await demo.get_json("/api/openapi.json")
    app = demo.hub.http
    assert app is not None
    await asyncio.to_thread(check_openapi, app, document)  # the validator reads files
    assert "/api/lpr/lists/{name}/plates" in document["paths"]
    assert "/api/parking/sessions" in document["paths"]


async def test_metrics_of_the_running_demo(demo: DemoHub) -> None:
    """After the demo has run (a car read, slots classified), Prometheus sees it."""
    async with (
        aiohttp.ClientSession(headers=demo.headers) as session,
        session.get(f"{demo.url}/metrics") as response,
    ):
        assert response.status == 200, await response.text()
        found = samples(await response.text())
    assert value(found, "parkhub_camera_frames_total", camera="camera.entry") > 0
    assert ("parkhub_camera_frames_dropped_total", frozenset({("camera", "camera.entry")})) in found
    assert value(found, "parkhub_lpr_plates_total", camera="camera.entry", outcome="allow") >= 1
    assert value(found, "parkhub_lpr_read_seconds_count", camera="camera.entry") > 0
    assert value(found, "parkhub_lpr_read_seconds_sum", camera="camera.entry") > 0
    assert value(found, "parkhub_occupancy_frame_seconds_count", lot="demo") > 0
    assert value(found, "parkhub_notify_outbox", stage="waiting") >= 0
    assert value(found, "parkhub_notifications_total", notifier="panel", outcome="sent") >= 1
    assert value(found, "parkhub_state_changes_total") > 0
