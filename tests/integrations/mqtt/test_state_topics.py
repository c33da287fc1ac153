"""The hub's states and events on MQTT, as the DESIGN contract lists them."""

from __future__ import annotations

import pytest

from hub.core.context import Context
from hub.core.hub import Hub
from hub.core.json import json_loads
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.mqtt_broker import MqttTestClient


async def test_states_and_attributes_are_published_retained(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    hub.states.async_set("sensor.north_free_spaces", "12", {"total": 20})
    await setup_mqtt(discovery={"enabled": False})
    hub.states.async_set("binary_sensor.north_slot_a1", "on", {"confidence": 0.93})
    hub.states.async_set("sensor.north_free_spaces", "11", {"total": 20})
    async with MqttTestClient(broker.port) as panel:
        # A late subscriber sees everything: the retained state of each entity.
        await panel.subscribe("parkhub/#")
        await panel.wait_for("parkhub/sensor/north_free_spaces/state", "11")
        *_, attrs = await panel.wait_for("parkhub/sensor/north_free_spaces/attributes")
        assert json_loads(attrs.payload) == {"total": 20}
        *_, slot = await panel.wait_for("parkhub/binary_sensor/north_slot_a1/attributes")
        assert json_loads(slot.payload) == {"confidence": 0.93}

        hub.states.async_set("sensor.north_free_spaces", "10", {"total": 20})
        [live] = await panel.wait_for("parkhub/sensor/north_free_spaces/state", "10")
        assert not live.retain  # a live update; the broker keeps it as the retained one
        # Attributes did not change: not sent again.
        assert {
            m.payload for m in panel.received("parkhub/sensor/north_free_spaces/attributes")
        } == {'{"total":20}'}

        hub.states.async_remove("binary_sensor.north_slot_a1")
        await panel.wait_for("parkhub/binary_sensor/north_slot_a1/state", "")
        await panel.wait_for("parkhub/binary_sensor/north_slot_a1/attributes", "")


@pytest.mark.parametrize("broker", ["mosquitto"], indirect=True)
async def test_include_and_exclude_by_domain_and_glob(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt(
        discovery={"enabled": False},
        publish={
            "include": {"domains": ["sensor", "gate"]},
            "exclude": {"entities": ["sensor.*_debug", "sensor.mqtt_*"]},
        },
    )
    async with MqttTestClient(broker.port) as panel:
        await panel.subscribe("parkhub/+/+/state")
        hub.states.async_set("sensor.cam_fps_debug", "25")
        hub.states.async_set("binary_sensor.north_slot_a1", "on")
        hub.states.async_set("sensor.north_free_spaces", "3")
        await panel.wait_for("parkhub/sensor/north_free_spaces/state")
    assert [m.topic for m in panel.messages] == ["parkhub/sensor/north_free_spaces/state"]


async def test_selected_events_are_published(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt(discovery={"enabled": False})
    async with MqttTestClient(broker.port) as listener:
        await listener.subscribe("parkhub/event/#")
        hub.bus.async_fire("my_own_event", {"x": 1})
        hub.bus.async_fire(
            "plate_detected",
            {"plate": "KA01AB1234", "camera": "camera.entry", "confidence": 0.97},
            context=Context(),
        )
        [event] = await listener.wait_for("parkhub/event/plate_detected")
    assert json_loads(event.payload) == {
        "plate": "KA01AB1234",
        "camera": "camera.entry",
        "confidence": 0.97,
    }
    assert not event.retain
    assert listener.received("parkhub/event/my_own_event") == []
