"""Home Assistant discovery, both ways: the hub announces its entities, and barriers and
bay sensors that announce themselves become entities."""

from __future__ import annotations

import json

import pytest

from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.integrations import gate
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.mqtt_broker import MqttTestClient, wait_until
from tests.states import get_state

HA = "homeassistant"


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


async def test_every_entity_is_announced_to_home_assistant(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    hub.states.async_set("binary_sensor.north_slot_a1", "on", {"friendly_name": "North A1"})
    hub.states.async_set(
        "sensor.north_free_spaces", "12", {"unit_of_measurement": "spaces", "total": 20}
    )
    hub.states.async_set("sensor.entry_last_plate", "KA01AB1234")
    await setup_mqtt()
    await gate.async_setup(hub, gate.CONFIG_SCHEMA([{"id": "entry", "backend": "demo"}]))
    async with MqttTestClient(broker.port) as home_assistant:
        await home_assistant.subscribe("homeassistant/+/+/config")
        # (amqtt may deliver a retained message twice on subscribe: take the last.)
        *_, slot = await home_assistant.wait_for(f"{HA}/binary_sensor/parkhub_north_slot_a1/config")
        *_, free = await home_assistant.wait_for(f"{HA}/sensor/parkhub_north_free_spaces/config")
        *_, cover = await home_assistant.wait_for(f"{HA}/cover/parkhub_entry/config")
        *_, plate = await home_assistant.wait_for(f"{HA}/sensor/parkhub_entry_last_plate/config")
        assert slot.retain

        slot_config = json_loads(slot.payload)
        assert slot_config["device_class"] == "occupancy"
        assert slot_config["name"] == "A1"  # on the device "North lot" (has_entity_name)
        assert slot_config["state_topic"] == "parkhub/binary_sensor/north_slot_a1/state"
        assert (slot_config["payload_on"], slot_config["payload_off"]) == ("on", "off")
        assert slot_config["unique_id"] == "parkhub_binary_sensor_north_slot_a1"
        assert slot_config["availability"][0] == {"topic": "parkhub/status"}
        lot_device = slot_config["device"]
        assert lot_device["identifiers"] == ["parkhub_lot_north"]
        assert json_loads(free.payload)["device"] == lot_device
        assert json_loads(free.payload)["unit_of_measurement"] == "spaces"
        assert json_loads(plate.payload)["device"]["identifiers"] == ["parkhub_camera_entry"]

        cover_config = json_loads(cover.payload)
        assert cover_config["device_class"] == "gate"
        assert cover_config["command_topic"] == "parkhub/gate/entry/set"
        assert cover_config["state_topic"] == "parkhub/gate/entry/state"

        # Home Assistant restarts: everything is announced again.
        await home_assistant.publish("homeassistant/status", "online")
        await home_assistant.wait_for(
            f"{HA}/binary_sensor/parkhub_north_slot_a1/config", retained=False
        )
        # An entity that goes away is deleted from Home Assistant.
        hub.states.async_remove("binary_sensor.north_slot_a1")
        await home_assistant.wait_for(
            "homeassistant/binary_sensor/parkhub_north_slot_a1/config", payload=""
        )


BAY_SENSOR = {
    "~": "bays/north/a2",
    "name": "North A2",
    "uniq_id": "bay-north-a2",
    "stat_t": "~/state",
    "avty_t": "~/status",
    "dev_cla": "occupancy",
    "pl_on": "occupied",
    "pl_off": "free",
    "json_attr_t": "~/attributes",
    "dev": {"ids": ["bay-north-a2"], "mf": "Acme", "mdl": "BaySense"},
}

BARRIER = {
    "name": "Exit barrier",
    "uniq_id": "relay-exit",
    "cmd_t": "relays/exit/set",
    "stat_t": "relays/exit/state",
    "avty": [{"t": "relays/exit/lwt", "pl_avail": "Online", "pl_not_avail": "Offline"}],
    "dev_cla": "gate",
    "val_tpl": "{{ value | lower }}",
    "pos_t": "relays/exit/position",
    "pl_stop": None,
    "platform": "mqtt",
}


async def test_devices_that_announce_themselves_become_entities(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    async with MqttTestClient(broker.port) as devices:
        await devices.subscribe("relays/exit/set")
        await devices.publish(
            "homeassistant/binary_sensor/bays/north_a2/config", json.dumps(BAY_SENSOR), retain=True
        )
        await devices.publish(
            "homeassistant/cover/relay_exit/config", json.dumps(BARRIER), retain=True
        )
        await wait_until(lambda: state_of(hub, "binary_sensor.north_a2") == "unavailable")
        await wait_until(lambda: state_of(hub, "gate.exit_barrier") == "unavailable")

        await devices.publish("bays/north/a2/status", "online")
        await devices.publish("bays/north/a2/state", "occupied")
        await devices.publish("bays/north/a2/attributes", '{"distance_cm": 41}')
        await wait_until(lambda: state_of(hub, "binary_sensor.north_a2") == "on")
        sensor = hub.states.get("binary_sensor.north_a2")
        assert sensor is not None
        await wait_until(
            lambda: get_state(hub, "binary_sensor.north_a2").attributes.get("distance_cm") == 41
        )
        assert sensor.attributes["device_class"] == "occupancy"

        await devices.publish("relays/exit/lwt", "Online")
        await devices.publish("relays/exit/state", "CLOSED")
        await wait_until(lambda: state_of(hub, "gate.exit_barrier") == "closed")
        await hub.services.async_call("gate", "open", {"entity_id": "gate.exit_barrier"})
        await devices.wait_for("relays/exit/set", "OPEN")

        # The barrier announces a change: the entity is rebuilt with it.
        changed = {**BARRIER, "pl_open": "UP"}
        await devices.publish("homeassistant/cover/relay_exit/config", json.dumps(changed))
        await wait_until(lambda: state_of(hub, "gate.exit_barrier") == "unavailable")
        await devices.publish("relays/exit/lwt", "Online")
        await wait_until(lambda: state_of(hub, "gate.exit_barrier") != "unavailable")
        await hub.services.async_call("gate", "open", {"entity_id": "gate.exit_barrier"})
        await devices.wait_for("relays/exit/set", "UP")

        # An empty config removes the device.
        await devices.publish("homeassistant/binary_sensor/bays/north_a2/config", "", retain=True)
        await wait_until(lambda: state_of(hub, "binary_sensor.north_a2") is None)
        await devices.publish("homeassistant/cover/relay_exit/config", "", retain=True)
        await wait_until(lambda: state_of(hub, "gate.exit_barrier") is None)
    # The hub's own announcements are not adopted back as devices.
    assert hub.states.async_entity_ids("gate") == []


@pytest.mark.parametrize("broker", ["mosquitto"], indirect=True)
async def test_broken_discovery_configs_are_reported_and_ignored(
    hub: Hub,
    setup_mqtt: SetupMqtt,
    broker: BrokerUnderTest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_mqtt()
    async with MqttTestClient(broker.port) as devices:
        await devices.publish("homeassistant/binary_sensor/a/config", "{not json")
        await devices.publish("homeassistant/binary_sensor/a/config", "{not json either")
        await devices.publish("homeassistant/sensor/b/config", "[1, 2]")
        await devices.publish("homeassistant/cover/c/config", json.dumps({"cmd_t": "x/#"}))
        await devices.publish("homeassistant/sensor/d/config", json.dumps({"name": "no topic"}))
        await devices.publish("homeassistant/light/e/config", json.dumps({"cmd_t": "l/set"}))
        await devices.publish(
            "homeassistant/sensor/f/config", json.dumps({"stat_t": "f/state", "name": "Fine"})
        )
        await wait_until(lambda: state_of(hub, "sensor.fine") is not None)
    bad = hub.data["mqtt"].bad_input.counts
    assert bad == {
        "discovery config is not JSON": 2,
        "discovery config is not a JSON object": 1,
        "broken discovery config": 2,
    }
    assert caplog.text.count("homeassistant/binary_sensor/a/config: discovery config is not") == 1
    assert "homeassistant/cover/c/config: broken discovery config: command_topic" in caplog.text
    assert "homeassistant/sensor/d/config: broken discovery config: state_topic" in caplog.text


@pytest.mark.parametrize("broker", ["mosquitto"], indirect=True)
async def test_yaml_entities(hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest) -> None:
    await setup_mqtt(
        binary_sensor=[
            {"name": "Bay 7", "state_topic": "bays/7", "device_class": "occupancy"},
        ],
        sensor=[
            {
                "name": "Loop counter",
                "object_id": "entry_loop",
                "state_topic": "plc/entry",
                "value_template": "{{ value_json.count }}",
                "unit_of_measurement": "cars",
            }
        ],
        cover=[
            {
                "object_id": "entry",
                "command_topic": "barrier/entry/set",
                "state_topic": "barrier/entry/state",
            }
        ],
    )
    async with MqttTestClient(broker.port) as devices:
        await devices.subscribe("barrier/entry/set")
        await devices.publish("bays/7", "ON")
        await devices.publish("plc/entry", '{"count": 41}')
        await devices.publish("barrier/entry/state", "closed")
        await wait_until(lambda: state_of(hub, "binary_sensor.bay_7") == "on")
        await wait_until(lambda: state_of(hub, "sensor.entry_loop") == "41")
        await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
        await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
        await devices.wait_for("barrier/entry/set", "OPEN")
    loop = hub.states.get("sensor.entry_loop")
    assert loop is not None
    assert loop.attributes["unit_of_measurement"] == "cars"
