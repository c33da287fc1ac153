"""The mqtt notifier against a real Mosquitto: published as JSON, retried while it is away."""

from __future__ import annotations

import asyncio

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.integrations import mqtt
from tests.conftest import Clock
from tests.mqtt_broker import MosquittoBroker, MqttTestClient, wait_until
from tests.postgres import sqlite_only  # noqa: F401 (db_url: SQLite only)

from .conftest import SetupNotify

DISPLAY = {
    "retry_delay": 10,
    "notifiers": [{"name": "display", "platform": "mqtt", "topic": "lot/display/notify"}],
}


async def setup_mqtt(hub: Hub, broker: MosquittoBroker) -> None:
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({"broker": broker.url, "client_id": "notify"}))
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(hub)


async def test_mqtt_notification_is_published(
    hub: Hub,
    mosquitto: MosquittoBroker,
    setup_notify: SetupNotify,
    events: dict[str, list[Event]],
) -> None:
    await setup_mqtt(hub, mosquitto)
    await setup_notify(DISPLAY)
    async with MqttTestClient(mosquitto.port) as device:
        await device.subscribe("lot/#")
        result = await hub.services.async_call(
            "notify", "display", {"title": "Full", "message": "No free spaces", "data": {"free": 0}}
        )
        await hub.services.async_call(
            "notify", "display", {"message": "to the exit sign", "target": "lot/exit/notify"}
        )
        (default,) = await device.wait_for("lot/display/notify")
        (targeted,) = await device.wait_for("lot/exit/notify")
    payload = json_loads(default.payload)
    assert payload | {"created": 0} == {
        "id": result["ids"][0],
        "title": "Full",
        "message": "No free spaces",
        "data": {"free": 0},
        "created": 0,
    }
    assert default.qos == 1
    assert json_loads(targeted.payload)["message"] == "to the exit sign"
    await hub.async_block_till_done()
    assert len(events["notification_sent"]) == 2


async def test_mqtt_notification_waits_for_the_broker(
    hub: Hub,
    clock: Clock,
    mosquitto: MosquittoBroker,
    setup_notify: SetupNotify,
    events: dict[str, list[Event]],
) -> None:
    """The broker is down when the notification is made: it goes out on the retry after."""
    await setup_mqtt(hub, mosquitto)
    await setup_notify(DISPLAY)
    await asyncio.to_thread(mosquitto.stop)
    await wait_until(lambda: not mqtt.is_connected(hub))
    await hub.services.async_call("notify", "display", {"message": "barrier jammed"})
    await hub.async_block_till_done()
    assert events["notification_sent"] == []
    await asyncio.to_thread(mosquitto.start)
    await wait_until(lambda: mqtt.is_connected(hub))
    async with MqttTestClient(mosquitto.port) as device:
        await device.subscribe("lot/#")
        await clock.advance(10)
        (message,) = await device.wait_for("lot/display/notify")
    assert json_loads(message.payload)["message"] == "barrier jammed"
    assert [event.data["tries"] for event in events["notification_sent"]] == [2]


async def test_mqtt_notifier_without_mqtt_fails(
    hub: Hub, setup_notify: SetupNotify, events: dict[str, list[Event]]
) -> None:
    await setup_notify(DISPLAY)
    await hub.services.async_call("notify", "display", {"message": "hi"})
    await hub.async_block_till_done()
    (failed,) = events["notification_failed"]
    assert "MQTT is not set up" in failed.data["error"]
    assert failed.data["tries"] == 1
