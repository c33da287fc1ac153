"""The mqtt trigger against a real Mosquitto: a device publishes, the automation runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.integrations import mqtt
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import LogGuard
from tests.mqtt_broker import MosquittoBroker, MqttTestClient

WAIT = 5.0
DONE = {"event": "automation_run_done"}


async def wait_for_calls(hub: Hub, calls: list[ServiceCall], count: int) -> None:
    """Wait (real time: the broker is real) until `count` calls arrived."""
    enough = asyncio.Event()

    def check(_event: Any) -> None:
        if len(calls) >= count:
            enough.set()

    remove = hub.bus.async_listen("automation_run_done", check)
    check(None)
    try:
        async with asyncio.timeout(WAIT):
            await enough.wait()
    finally:
        remove()


async def test_mqtt_trigger_with_wildcards_payload_and_template(
    hub: Hub,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    mosquitto: MosquittoBroker,
) -> None:
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({"broker": mosquitto.url, "client_id": "hub"}))
    async with asyncio.timeout(WAIT):
        await mqtt.async_wait_connected(hub)
    await setup_automations(
        [
            {
                "id": "button",
                "mode": "queued",
                "triggers": [{"trigger": "mqtt", "topic": "lot/+/button", "payload": "PRESSED"}],
                "actions": [record(kind="button", topic="{{ trigger.topic }}"), DONE],
            },
            {
                "id": "bay",
                "mode": "queued",
                "triggers": [
                    {
                        "trigger": "mqtt",
                        "topic": "lot/bays/#",
                        "value_template": "{{ value_json.occupied }}",
                        "payload": "True",
                        "qos": 1,
                    }
                ],
                "actions": [record(kind="bay", bay="{{ trigger.payload_json.bay }}"), DONE],
            },
        ]
    )
    async with MqttTestClient(mosquitto.port) as device:
        await device.publish("lot/entry/button", "RELEASED")
        await device.publish("lot/entry/button", "PRESSED")
        await device.publish("lot/bays/north/7", '{"bay": 7, "occupied": false}')
        await device.publish("lot/bays/north/8", '{"bay": 8, "occupied": true}')
        await device.publish("lot/bays/north/9", "not json")  # the template fails: skipped
        await device.publish("lot/exit/button", "PRESSED")
        await wait_for_calls(hub, calls, 3)
    await hub.async_block_till_done()
    assert sorted((c.data["kind"], str(c.data.get("topic", c.data.get("bay")))) for c in calls) == [
        ("bay", "8"),
        ("button", "lot/entry/button"),
        ("button", "lot/exit/button"),
    ]


async def test_mqtt_trigger_is_idle_without_mqtt(
    hub: Hub,
    setup_automations: SetupAutomations,
    caplog: pytest.LogCaptureFixture,
    log_guard: LogGuard,
) -> None:
    manager = await setup_automations(
        [
            {
                "id": "idle",
                "triggers": [{"trigger": "mqtt", "topic": "lot/button"}],
                "actions": [record()],
            }
        ]
    )
    assert (
        "Automation idle: mqtt trigger on lot/button is idle: MQTT is not configured" in caplog.text
    )
    assert manager.find("idle") is not None
