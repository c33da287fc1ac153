"""Finding 1 and 13e: the embedded broker takes no anonymous clients, keeps gate commands
to the hub and admin accounts, keeps plates from controllers, and delivers a retained
message only to a subscription that matches it. Real clients (paho, mosquitto_pub) on
loopback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.core.hub import Hub
from hub.integrations import mqtt
from hub.integrations.mqtt import ReceiveMessage, async_publish, async_subscribe
from hub.integrations.mqtt.broker_accounts import (
    CREDENTIALS_FILE,
    BrokerAccount,
    load_or_create_credentials,
)
from tests.mqtt_broker import MqttTestClient, free_port, wait_until

ADMIN = {"username": "homeassistant", "password": "ha-password-1", "role": "admin"}


@pytest.fixture
async def port(hub: Hub) -> int:
    """The hub with its embedded broker on a free loopback port, one admin account added."""
    port = free_port()
    config = mqtt.CONFIG_SCHEMA(
        {"broker": "embedded", "embedded": {"port": port, "users": [ADMIN]}}
    )
    await mqtt.async_setup(hub, config)
    async with asyncio.timeout(5):
        await mqtt.async_wait_connected(hub)
    return port


async def controller(hub: Hub) -> BrokerAccount:
    _hub_account, account = await asyncio.to_thread(load_or_create_credentials, hub.data_dir)
    return account


def mosquitto_pub(port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", *extra],
        capture_output=True,
        text=True,
        timeout=10,
    )


async def test_credentials_are_made_at_first_start_and_kept(hub: Hub, port: int) -> None:
    path = hub.data_dir / CREDENTIALS_FILE
    mode = (await asyncio.to_thread(path.stat)).st_mode
    assert mode & 0o077 == 0  # only the hub's user reads it
    stored = json.loads(await asyncio.to_thread(path.read_text))
    assert stored["controller"]["username"] == "controller"
    assert len(stored["controller"]["password"]) >= 24
    assert stored["hub"]["password"] != stored["controller"]["password"]
    # Asked again (a restart, `parkhub mqtt credentials`): the same passwords.
    again = await asyncio.to_thread(load_or_create_credentials, hub.data_dir)
    assert again[1].password == stored["controller"]["password"]


async def test_anonymous_clients_and_wrong_passwords_are_refused(hub: Hub, port: int) -> None:
    commands: list[ReceiveMessage] = []
    await async_subscribe(hub, "parkhub/gate/+/set", commands.append, qos=1)

    # The exact command: refused at connect, nothing reaches the hub.
    result = await asyncio.to_thread(
        mosquitto_pub, port, "-t", "parkhub/gate/exit/set", "-m", "OPEN"
    )
    assert result.returncode != 0
    assert "not authori" in result.stderr.lower() or "refused" in result.stderr.lower()
    with pytest.raises(ConnectionRefusedError):
        async with MqttTestClient(port, username=None):
            pass
    with pytest.raises(ConnectionRefusedError):
        async with MqttTestClient(port, username="controller", password="guess"):
            pass
    await asyncio.sleep(0.2)
    assert commands == []


async def test_only_the_hub_and_admin_accounts_command_gates(hub: Hub, port: int) -> None:
    commands: list[ReceiveMessage] = []
    await async_subscribe(hub, "parkhub/gate/+/set", commands.append, qos=1)
    account = await controller(hub)

    result = await asyncio.to_thread(
        mosquitto_pub, port, "-u", account.username, "-P", account.password,
        "-t", "parkhub/gate/exit/set", "-m", "OPEN",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # connected, but the publish is dropped
    result = await asyncio.to_thread(
        mosquitto_pub, port, "-u", ADMIN["username"], "-P", ADMIN["password"],
        "-t", "parkhub/gate/entry/set", "-m", "OPEN",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    await wait_until(lambda: len(commands) >= 1)
    await asyncio.sleep(0.2)
    assert [(m.topic, m.payload) for m in commands] == [("parkhub/gate/entry/set", "OPEN")]


async def test_a_controller_reads_its_commands_but_no_plates(hub: Hub, port: int) -> None:
    account = await controller(hub)
    hub.states.async_set("sensor.entry_last_plate", "KA01AB1234")
    async with MqttTestClient(
        port, username=account.username, password=account.password
    ) as barrier:
        await barrier.subscribe("#")
        await async_publish(hub, "parkhub/event/plate_detected", '{"plate": "KA01AB1234"}')
        await async_publish(hub, "barrier/entry/set", "OPEN", qos=1)
        await barrier.wait_for("barrier/entry/set", "OPEN")
        # Its own state and a discovery config of its own are taken...
        seen: list[ReceiveMessage] = []
        await async_subscribe(hub, "barrier/entry/state", seen.append)
        await async_subscribe(hub, "homeassistant/cover/barrier_entry/config", seen.append)
        await barrier.publish("barrier/entry/state", "open")
        await barrier.publish("homeassistant/cover/barrier_entry/config", "{}", retain=True)
        await wait_until(lambda: len(seen) >= 2)
        # ...one posing as the hub's own entity is not.
        spoof: list[ReceiveMessage] = []
        await async_subscribe(hub, "homeassistant/cover/parkhub_entry/config", spoof.append)
        await barrier.publish("homeassistant/cover/parkhub_entry/config", "{}")
        await asyncio.sleep(0.3)
        assert spoof == []
        topics = {m.topic for m in barrier.messages}
    assert "parkhub/status" in topics  # whether the hub is online
    assert not [t for t in topics if t.startswith("parkhub/") and t != "parkhub/status"], topics
    assert not [t for t in topics if t.startswith("homeassistant/")], topics


async def test_a_subscription_gets_only_retained_messages_it_matches(hub: Hub, port: int) -> None:
    """Finding 13e: a client subscribed to parkhub/event/gate_command got the retained
    discovery configs (amqtt sent every broker subscription's retained messages)."""
    async with MqttTestClient(port, username=ADMIN["username"], password=ADMIN["password"]) as ha:
        await ha.publish("homeassistant/cover/x/config", '{"name": "x"}', retain=True)
        await ha.publish("lot/retained", "kept", retain=True)
    # The hub subscribes to homeassistant/+/+/config, so the broker holds that filter.
    async with MqttTestClient(
        port, username=ADMIN["username"], password=ADMIN["password"]
    ) as listener:
        await listener.subscribe("parkhub/event/gate_command")
        await async_publish(hub, "parkhub/event/gate_command", '{"command": "open"}')
        await listener.wait_for("parkhub/event/gate_command")
        await asyncio.sleep(0.3)
        assert {m.topic for m in listener.messages} == {"parkhub/event/gate_command"}
        # And a matching subscription does get the retained message, once.
        await listener.subscribe("lot/#")
        [kept] = await listener.wait_for("lot/retained", retained=True)
        assert kept.payload == "kept"


async def test_parkhub_mqtt_credentials_gives_a_controller_its_login(
    hub: Hub, port: int, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    await asyncio.to_thread(
        config.write_text, f"mqtt:\n  broker: embedded\n  embedded:\n    port: {port}\n"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub", "mqtt", "credentials", "--config", str(config),
         "--data", str(hub.data_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"broker: mqtt://127.0.0.1:{port}"
    [login] = [line for line in lines if line.startswith("controller:")]
    _, _, username, _, password = login.split()
    async with MqttTestClient(port, username=username, password=password) as barrier:
        await barrier.subscribe("barrier/entry/set")
        await async_publish(hub, "barrier/entry/set", "OPEN", qos=1)
        await barrier.wait_for("barrier/entry/set", "OPEN")
