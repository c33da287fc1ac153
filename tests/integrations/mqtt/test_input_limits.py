"""Findings 6 and 7 over MQTT: a `json_attributes` payload 600 deep (or over 64 KB) is
refused with a logged report, and a value template that would loop 10^8 times is stopped
at its budget; the sensor, the hub and its MQTT publisher keep working."""

from __future__ import annotations

import json
import logging

import pytest

from hub.core.hub import Hub
from hub.core.json import json_dumps
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.mqtt_broker import MqttTestClient, wait_until
from tests.states import get_state


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"a": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


async def test_deep_json_attributes_are_refused(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_mqtt(
        discovery={"enabled": False},
        sensor=[
            {
                "name": "Bay",
                "state_topic": "bay/a1/state",
                "json_attributes_topic": "bay/a1/attributes",
            }
        ],
    )
    async with MqttTestClient(broker.port) as device:
        await device.subscribe("parkhub/sensor/bay/attributes")
        await device.publish("bay/a1/state", "on")
        await device.publish("bay/a1/attributes", json.dumps(nested(600)))
        await device.publish("bay/a1/attributes", json.dumps({"blob": "x" * 70_000}))
        await wait_until(lambda: "nested deeper than 32" in caplog.text)
        await wait_until(lambda: "larger than 65536 bytes" in caplog.text)
        state = hub.states.get("sensor.bay")
        assert state is not None
        assert "a" not in state.attributes
        assert "blob" not in state.attributes
        # Everyone can still read every state, and the publisher still publishes.
        json_dumps(hub.states.async_all())
        await device.publish("bay/a1/attributes", json.dumps({"battery": 97}))
        await wait_until(lambda: get_state(hub, "sensor.bay").attributes.get("battery") == 97)
        await wait_until(
            lambda: any(
                json.loads(m.payload).get("battery") == 97
                for m in device.received("parkhub/sensor/bay/attributes")
            )
        )
    assert any(r.levelno >= logging.WARNING for r in caplog.records)


async def test_a_runaway_value_template_is_stopped(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    loops = "{% for i in range(value | int) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
    await setup_mqtt(
        discovery={"enabled": False},
        sensor=[
            {"name": "Bay", "state_topic": "bay/a1/count", "value_template": loops + "{{ value }}"}
        ],
    )
    async with MqttTestClient(broker.port) as device:
        await device.publish("bay/a1/count", "100000")  # 10^8 iterations
        await wait_until(lambda: "value_template failed" in caplog.text)
        assert "ms and was stopped" in caplog.text
        assert "template '{% for i in range(value | int)" in caplog.text
        await device.publish("bay/a1/count", "5")
        await wait_until(lambda: getattr(hub.states.get("sensor.bay"), "state", None) == "5")
