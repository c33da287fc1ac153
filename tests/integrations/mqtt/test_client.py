"""The MQTT client core against a real Mosquitto: publish, subscribe, status, reconnect."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
from typing import Any

import pytest

from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub
from hub.integrations import mqtt
from hub.integrations.mqtt import (
    ReceiveMessage,
    async_publish,
    async_subscribe,
    async_wait_connected,
    is_connected,
)
from hub.integrations.mqtt.broker_accounts import load_or_create_credentials
from tests.conftest import Clock, LogGuard
from tests.integrations.mqtt.conftest import SetupMqtt
from tests.mqtt_broker import MosquittoBroker, MqttTestClient, free_port, wait_until


@pytest.fixture
def mqtt_config(mosquitto: MosquittoBroker) -> dict[str, Any]:
    """The client core is tested against Mosquitto (the flows in test_gate run on both)."""
    return {"broker": mosquitto.url, "client_id": "parkhub-test"}


async def test_embedded_broker_serves_devices(
    hub: Hub, setup_mqtt: SetupMqtt, log_guard: LogGuard
) -> None:
    port = free_port()
    await setup_mqtt(broker="embedded", embedded={"host": "127.0.0.1", "port": port})
    got: list[ReceiveMessage] = []
    await async_subscribe(hub, "bay/+", got.append)
    # A bay sensor logs in with the controllers' account the hub made at first start.
    _hub_account, controller = await asyncio.to_thread(load_or_create_credentials, hub.data_dir)
    async with MqttTestClient(
        port, username=controller.username, password=controller.password
    ) as device:
        await device.subscribe("parkhub/status")
        await device.wait_for("parkhub/status", "online")
        await device.publish("bay/a1", "on")
        await wait_until(lambda: len(got) == 1)
        await hub.async_stop()


async def test_publish_reaches_a_device(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    await setup_mqtt()
    async with MqttTestClient(mosquitto.port) as device:
        await device.subscribe("barrier/#")
        await async_publish(hub, "barrier/entry/set", "OPEN", qos=1)
        await async_publish(hub, "barrier/entry/raw", b"\x01\x02")
        [message] = await device.wait_for("barrier/entry/set")
        assert (message.payload, message.qos, message.retain) == ("OPEN", 1, False)
        await device.wait_for("barrier/entry/raw")


async def test_subscribe_with_wildcards_runs_callbacks_on_the_loop(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    await setup_mqtt()
    got: list[tuple[str, ReceiveMessage]] = []
    loop_thread = threading.get_ident()

    def plus(message: ReceiveMessage) -> None:
        assert threading.get_ident() == loop_thread
        got.append(("+", message))

    async def hash_(message: ReceiveMessage) -> None:
        await asyncio.sleep(0)
        got.append(("#", message))

    unsub_plus = await async_subscribe(hub, "bay/+/state", plus)
    await async_subscribe(hub, "bay/#", hash_, qos=1)
    async with MqttTestClient(mosquitto.port) as sensor:
        await sensor.publish("bay/a1/state", "on")
        await wait_until(lambda: len(got) == 2)
        assert sorted(kind for kind, _ in got) == ["#", "+"]
        message = got[0][1]
        assert (message.topic, message.payload, message.retain) == ("bay/a1/state", "on", False)

        unsub_plus()
        await sensor.publish("bay/a2/state", "off")
        await wait_until(lambda: len(got) == 3)
        await asyncio.sleep(0.1)
        assert [kind for kind, _ in got[2:]] == ["#"]


async def test_a_late_subscriber_gets_the_retained_message(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    await setup_mqtt()
    async with MqttTestClient(mosquitto.port) as sensor:
        await sensor.publish("bay/a1/state", "on", retain=True)
    first: list[ReceiveMessage] = []
    second: list[ReceiveMessage] = []
    await async_subscribe(hub, "bay/a1/state", first.append)
    await wait_until(lambda: len(first) == 1)
    await async_subscribe(hub, "bay/a1/state", second.append)
    await wait_until(lambda: len(second) == 1)
    assert second[0].retain
    assert second[0].payload == "on"


async def test_status_is_online_retained_and_offline_after_stop(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    await setup_mqtt()
    assert is_connected(hub)
    async with MqttTestClient(mosquitto.port) as watcher:
        await watcher.subscribe("parkhub/status")
        [online] = await watcher.wait_for("parkhub/status", "online")
        assert online.retain
        await hub.async_stop()
        await watcher.wait_for("parkhub/status", "offline")
    assert not is_connected(hub)


async def test_last_will_says_offline_when_the_hub_vanishes(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    await setup_mqtt(keepalive=1)
    async with MqttTestClient(mosquitto.port) as watcher:
        await watcher.subscribe("parkhub/status")
        await watcher.wait_for("parkhub/status", "online")
        # Cut the socket under the client, as a crash or a pulled cable would.
        runtime = hub.data["mqtt"]
        sock = runtime.client._paho.socket()
        sock.shutdown(2)
        await watcher.wait_for("parkhub/status", "offline")


async def test_queued_command_is_delivered_once_after_the_broker_returns(
    hub: Hub, clock: Clock, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker, log_guard: LogGuard
) -> None:
    """The broker is killed (SIGKILL) and comes back empty: the hub resubscribes, then
    sends what waited. Its own subscription to the command topic sees it exactly once.
    The hub's clock is frozen: reconnecting does not wait on it."""
    await setup_mqtt()
    heard: list[ReceiveMessage] = []
    await async_subscribe(hub, "barrier/entry/set", heard.append, qos=1)

    await asyncio.to_thread(mosquitto.stop)
    await wait_until(lambda: not is_connected(hub))
    await async_publish(hub, "barrier/entry/set", "OPEN", qos=1)
    await async_publish(hub, "parkhub/sensor/x/state", "dropped", qos=0)
    assert hub.data["mqtt"].client.queued == 1

    await asyncio.to_thread(mosquitto.start)
    async with asyncio.timeout(10):
        await async_wait_connected(hub)
    await wait_until(lambda: len(heard) == 1)
    async with MqttTestClient(mosquitto.port) as device:
        await device.subscribe("parkhub/sensor/x/state")
        await device.publish("barrier/entry/set", "CLOSE")
        await wait_until(lambda: len(heard) == 2)
    assert [m.payload for m in heard] == ["OPEN", "CLOSE"]
    assert hub.data["mqtt"].client.queued == 0
    assert device.received("parkhub/sensor/x/state") == []


async def test_queue_is_bounded_and_says_so(
    hub: Hub,
    setup_mqtt: SetupMqtt,
    mosquitto: MosquittoBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_mqtt(queue_size=2)
    heard: list[ReceiveMessage] = []
    await async_subscribe(hub, "barrier/+/set", heard.append, qos=1)
    await asyncio.to_thread(mosquitto.stop)
    await wait_until(lambda: not is_connected(hub))
    for n in range(3):
        await async_publish(hub, f"barrier/{n}/set", "OPEN", qos=1)
    assert "MQTT queue full (2): dropped the oldest queued publish, to barrier/0/set" in caplog.text
    await asyncio.to_thread(mosquitto.start)
    await wait_until(lambda: len(heard) == 2, within=10)
    assert [m.topic for m in heard] == ["barrier/1/set", "barrier/2/set"]


async def test_bad_payloads_are_logged_once_counted_and_ignored(
    hub: Hub,
    clock: Clock,
    setup_mqtt: SetupMqtt,
    mosquitto: MosquittoBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_mqtt(max_payload_size=16, discovery={"enabled": False})
    got: list[ReceiveMessage] = []
    await async_subscribe(hub, "bay/#", got.append)
    async with MqttTestClient(mosquitto.port) as sensor:
        for _ in range(3):
            await sensor.publish("bay/a1", b"\xff\xfe not text")
            await sensor.publish("bay/a2", "x" * 17)
        await sensor.publish("bay/a3", "fine")
        await wait_until(lambda: len(got) == 1)
    assert got[0].topic == "bay/a3"
    runtime = hub.data["mqtt"]
    assert runtime.bad_input.counts == {"payload is not UTF-8 text": 3, "payload too large": 3}
    assert caplog.text.count("Ignoring MQTT message on bay/a1: payload is not UTF-8 text") == 1
    assert "Ignoring MQTT message on bay/a2: payload too large: 17 bytes, limit 16" in caplog.text
    # The count is an entity too, updated every few seconds rather than per message.
    await clock.advance(seconds=5)
    counter = hub.states.get("sensor.mqtt_bad_messages")
    assert counter is not None
    assert counter.state == "6"
    assert counter.attributes["by_reason"] == {
        "payload is not UTF-8 text": 3,
        "payload too large": 3,
    }
    assert counter.attributes["last_topic"] == "bay/a2"


async def test_api_refuses_bad_topics_and_a_missing_setup(hub: Hub) -> None:
    with pytest.raises(HubError, match="MQTT is not set up"):
        await async_publish(hub, "a/b", "x")
    with pytest.raises(ServiceValidationError, match="invalid MQTT topic filter 'a/#/b'"):
        await async_subscribe(hub, "a/#/b", print)
    with pytest.raises(ServiceValidationError, match="no \\+ or #"):
        await async_publish(hub, "a/+", "x")
    assert not is_connected(hub)


async def test_unreachable_broker_does_not_block_setup(hub: Hub, log_guard: LogGuard) -> None:
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({"broker": f"mqtt://127.0.0.1:{free_port()}"}))
    assert not is_connected(hub)
    await async_publish(hub, "barrier/entry/set", "OPEN", qos=1)
    assert hub.data["mqtt"].client.queued == 1


async def test_reconnect_backs_off_exponentially(
    hub: Hub,
    log_guard: LogGuard,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Backoff runs in real time, so it is scaled down here: 20 ms doubling up to 160 ms."""
    monkeypatch.setattr("hub.integrations.mqtt.config.BACKOFF_MIN", 0.02)
    monkeypatch.setattr("hub.integrations.mqtt.config.BACKOFF_MAX", 0.16)
    caplog.set_level(logging.DEBUG, "hub.integrations.mqtt.client")
    port = free_port()
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({"broker": f"mqtt://127.0.0.1:{port}"}))

    def delays() -> list[str]:
        return re.findall(r"retrying in ([\d.]+) s", caplog.text)

    await wait_until(lambda: len(delays()) >= 6)
    assert delays()[:6] == ["0.02", "0.04", "0.08", "0.16", "0.16", "0.16"]
    assert hub.data["mqtt"].client.retry_delay == 0.16
    # Warned once per outage; the retries after it are debug only.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1


async def test_embedded_broker_port_taken_is_retried_later(
    hub: Hub, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program holds the port: a warning naming it, and a retry, not a crash."""
    from hub.loader import async_setup_integrations, find_integrations

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        manifests = await asyncio.to_thread(find_integrations)
        config = {"mqtt": {"broker": "embedded", "embedded": {"host": "127.0.0.1", "port": port}}}
        loaded = await async_setup_integrations(
            hub, {"mqtt": mqtt.CONFIG_SCHEMA(config["mqtt"])}, manifests
        )
    assert loaded == set()
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text
    assert "retrying in 10 s" in caplog.text
    assert not is_connected(hub)


async def test_a_failed_setup_frees_the_embedded_broker_port(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setup failing after the broker started stops it, so the loader's retry can bind."""
    from hub.integrations.mqtt.discovery_in import DiscoveryIn

    async def broken_start(self: DiscoveryIn) -> None:
        raise RuntimeError("discovery could not start")

    monkeypatch.setattr(DiscoveryIn, "async_start", broken_start)
    port = free_port()
    config = mqtt.CONFIG_SCHEMA(
        {"broker": "embedded", "embedded": {"host": "127.0.0.1", "port": port}}
    )
    with pytest.raises(RuntimeError, match="discovery could not start"):
        await mqtt.async_setup(hub, config)

    assert "mqtt" not in hub.data
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free again
    monkeypatch.undo()
    await mqtt.async_setup(hub, config)
    async with asyncio.timeout(5):
        await async_wait_connected(hub)


async def test_a_command_sent_from_a_message_as_the_link_dies_does_not_hang_the_hub(
    hub: Hub, setup_mqtt: SetupMqtt, mosquitto: MosquittoBroker
) -> None:
    """A keypad message triggers a gate command inline (as an automation does) just as the
    link breaks: the failed write must not close the socket inside paho's callback lock
    (that hung the loop for good); the command goes out after the reconnect."""
    await setup_mqtt()
    runtime = hub.data["mqtt"]

    def on_code(_message: ReceiveMessage) -> None:
        runtime.client._paho.socket().shutdown(socket.SHUT_WR)  # the cable is pulled
        runtime.async_publish("barrier/entry/set", "OPEN", 1, False)

    await async_subscribe(hub, "keypad/code", on_code)
    async with MqttTestClient(mosquitto.port) as controller:
        await controller.subscribe("barrier/entry/set")
        await controller.publish("keypad/code", "1234")
        async with asyncio.timeout(10):
            await controller.wait_for("barrier/entry/set", "OPEN")
