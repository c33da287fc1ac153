"""What a Home Assistant user and a Zigbee2MQTT / ESPHome device see of ParkHub over MQTT:
availability lists, devices never announced twice, names and states HA takes as they are,
and camera pictures."""

from __future__ import annotations

import json

from hub.core.hub import Hub
from hub.core.json import json_loads
from tests.integrations.camera.conftest import FrameServer, frame_server, setup_cameras
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.mqtt_broker import MqttTestClient, wait_until

__all__ = ["frame_server"]  # the camera tests' fixture, used here too

HA = "homeassistant"

# What Zigbee2MQTT 2.x announces for a bay sensor: the bridge's and the device's
# availability, both JSON, both read through a template.
Z2M_BAY = {
    "name": None,
    "object_id": "bay_b4",
    "unique_id": "0x00158d0001a2b3c4_occupancy_zigbee2mqtt",
    "state_topic": "zigbee2mqtt/bay_b4",
    "value_template": "{{ value_json.occupancy }}",
    "payload_on": True,
    "payload_off": False,
    "device_class": "occupancy",
    "availability": [
        {"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"},
        {"topic": "zigbee2mqtt/bay_b4/availability", "val_tpl": "{{ value_json.state }}"},
    ],
    "availability_mode": "all",
    "device": {"identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"], "name": "Bay B4"},
}


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


async def test_zigbee2mqtt_json_availability_all_topics(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    async with MqttTestClient(broker.port) as z2m:
        topic = f"{HA}/binary_sensor/0x00158d0001a2b3c4/occupancy/config"
        await z2m.publish(topic, json.dumps(Z2M_BAY), retain=True)
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_b4") == "unavailable")
        await z2m.publish("zigbee2mqtt/bridge/state", '{"state":"online"}', retain=True)
        await z2m.publish("zigbee2mqtt/bay_b4", '{"occupancy":true,"battery":97}')
        # The device itself has not said it is online: with mode `all`, still unavailable.
        await z2m.publish("zigbee2mqtt/bay_b4/availability", '{"state":"online"}')
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_b4") not in (None, "unavailable"))
        await z2m.publish("zigbee2mqtt/bay_b4", '{"occupancy":true,"battery":97}')
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_b4") == "on")
        # The bridge goes away: every device behind it is unavailable.
        await z2m.publish("zigbee2mqtt/bridge/state", '{"state":"offline"}', retain=True)
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_b4") == "unavailable")
        await z2m.publish("zigbee2mqtt/bridge/state", "", retain=True)
        await z2m.publish(topic, "", retain=True)
    bad_messages = hub.states.get("sensor.mqtt_bad_messages")
    assert bad_messages is None or all(
        "availability" not in str(value) for value in bad_messages.attributes.values()
    )


async def test_availability_any_and_latest(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt(
        binary_sensor=[
            {
                "name": f"Bay {mode}",
                "state_topic": f"bays/{mode}/state",
                "availability": [{"topic": f"bays/{mode}/a"}, {"topic": f"bays/{mode}/b"}],
                "availability_mode": mode,
            }
            for mode in ("any", "latest")
        ]
    )
    async with MqttTestClient(broker.port) as device:
        for mode in ("any", "latest"):
            await device.publish(f"bays/{mode}/a", "online")
            await device.publish(f"bays/{mode}/b", "offline")
        # any: one online is enough; latest: the last word (b: offline) wins.
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_any") != "unavailable")
        await device.publish("bays/latest/a", "online")
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_latest") != "unavailable")
        await device.publish("bays/latest/b", "offline")
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_latest") == "unavailable")
        assert state_of(hub, "binary_sensor.bay_any") != "unavailable"


BARRIER = {
    "name": "Side barrier",
    "uniq_id": "esphome-side-barrier",
    "cmd_t": "side/cmd",
    "stat_t": "side/state",
    "avty_t": "side/status",
    "dev_cla": "gate",
    "dev": {"ids": ["esphome-side"], "name": "Side barrier"},
}


async def test_adopted_devices_are_not_announced_back_and_states_fit_home_assistant(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    hub.states.async_set("binary_sensor.demo_slot_a1", "unknown", {"friendly_name": "demo slot A1"})
    hub.states.async_set("sensor.demo_free_spaces", "12", {"friendly_name": "demo free spaces"})
    await setup_mqtt()
    async with MqttTestClient(broker.port) as home_assistant:
        await home_assistant.publish(
            f"{HA}/cover/esphome_side/config", json.dumps(BARRIER), retain=True
        )
        await wait_until(lambda: state_of(hub, "gate.side_barrier") == "unavailable")
        await home_assistant.subscribe(f"{HA}/+/+/config")
        *_, slot = await home_assistant.wait_for(f"{HA}/binary_sensor/parkhub_demo_slot_a1/config")
        *_, free = await home_assistant.wait_for(f"{HA}/sensor/parkhub_demo_free_spaces/config")
        slot_config, free_config = json_loads(slot.payload), json_loads(free.payload)
        # Names are relative to the device (HA: "Demo lot Slot A1", not "... demo slot A1").
        assert (slot_config["device"]["name"], slot_config["name"]) == ("Demo lot", "Slot A1")
        assert free_config["name"] == "Free spaces"
        # `unknown` is "no value" to HA's binary sensor, not an unmatched payload.
        assert slot_config["value_template"] == "{{ value if value in ('on', 'off') else 'None' }}"
        await home_assistant.publish(f"{HA}/status", "online")  # HA restarts: all again
        await home_assistant.wait_for(
            f"{HA}/sensor/parkhub_demo_free_spaces/config", retained=False
        )
        announced = {m.topic for m in home_assistant.received(f"{HA}/+/+/config") if m.payload}
    assert f"{HA}/cover/esphome_side/config" in announced  # the device's own
    assert not any("parkhub_side_barrier" in topic for topic in announced)


async def test_cameras_are_home_assistant_cameras_with_a_picture(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest, frame_server: FrameServer
) -> None:
    await setup_mqtt(discovery={"camera_interval": "1s"})
    async with MqttTestClient(broker.port) as home_assistant:
        await home_assistant.subscribe(f"{HA}/camera/+/config")
        await home_assistant.subscribe("parkhub/camera/gate/image")
        url = frame_server.url("/snapshot.jpg")
        await setup_cameras(hub, {"id": "gate", "source": "snapshot", "url": url})
        *_, config = await home_assistant.wait_for(f"{HA}/camera/parkhub_camera_gate/config")
        camera_config = json_loads(config.payload)
        assert camera_config["topic"] == "parkhub/camera/gate/image"
        assert camera_config["name"] is None  # the camera is its device's main entity
        assert camera_config["device"]["name"] == "Gate camera"
        images = await home_assistant.wait_for("parkhub/camera/gate/image", count=2, within=10)
    assert len(images[0].payload) > 500  # a JPEG (decoded with replacement characters)
    assert "JFIF" in images[0].payload
    async with MqttTestClient(broker.port) as late:  # HA restarted: the picture is there
        await late.subscribe("parkhub/camera/gate/image")
        (kept, *_) = await late.wait_for("parkhub/camera/gate/image", retained=True)
    assert "JFIF" in kept.payload


async def test_sensor_templates_fit_what_home_assistant_expects(hub: Hub) -> None:
    from hub.integrations.mqtt.discovery_out import discovery_config

    hub.states.async_set("sensor.demo_free_spaces", "unknown", {"unit_of_measurement": "spaces"})
    hub.states.async_set("sensor.entry_last_plate", "unknown")
    numeric, text = (
        hub.states.get("sensor.demo_free_spaces"),
        hub.states.get("sensor.entry_last_plate"),
    )
    assert numeric is not None
    assert text is not None
    _, numeric_config = discovery_config(numeric, "parkhub", "Demo Lot")
    _, text_config = discovery_config(text, "parkhub", "Demo Lot")
    # A numeric sensor takes "None" as no value; a text one would show "None" literally,
    # and `unknown` already reads as HA's own unknown there.
    assert "'None'" in numeric_config["value_template"]
    assert "value_template" not in text_config
