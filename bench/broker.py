"""The embedded broker's price for accounts and topic rules, side by side.

    python bench/broker.py --messages 5000 --pings 300

Prints one JSON object with, for each broker:

- `plain_amqtt`: amqtt 0.12's Broker as the hub ran it before (anonymous clients, no
  topic checks);
- `hub_broker`: the hub's embedded broker (`_HubBroker`: password logins, the topic rules
  of `broker_acl.py` on every publish, subscribe and delivery, the retained fixes);
- `mosquitto`: Mosquitto on the same machine, for scale (when installed).

Each runs `messages_per_s` (a controller account publishes QoS 0 state messages as fast
as paho takes them; a subscriber on `#` counts them until the last arrives; the hub
broker's subscriber is an admin account, so every message passes the receive check) and
`ping_ms` (QoS 1 round trips: publish on `bench/ping`, the subscriber answers on
`bench/pong`; p50 and p95). The brokers run in this process's event loop, the clients in
paho threads, as in the hub.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from _common import free_port
from amqtt.broker import Broker  # type: ignore[import-untyped]
from paho.mqtt.enums import CallbackAPIVersion

from hub.integrations.mqtt.broker import _HubBroker
from hub.integrations.mqtt.broker_accounts import BrokerAccount, BrokerAccounts
from hub.integrations.mqtt.broker_acl import HubAuthPlugin, TopicPolicy

HOST = "127.0.0.1"
CONTROLLER = ("controller", "controller-password")
ADMIN = ("homeassistant", "admin-password")


def _client(port: int, auth: tuple[str, str] | None) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2)
    if auth is not None:
        client.username_pw_set(*auth)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    client.connect(HOST, port)
    sock = client.socket()
    if isinstance(sock, socket.socket):  # as the hub's client does: no 40 ms Nagle waits
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.loop_start()
    if not connected.wait(5):
        raise RuntimeError(f"could not connect to {port}")
    return client


def _run_clients(port: int, auth: bool, messages: int, pings: int) -> dict[str, Any]:
    """Blocking: the publisher and subscriber threads, timed."""
    got = threading.Semaphore(0)
    count = 0
    done = threading.Event()
    pongs: dict[int, float] = {}
    pong_seen = threading.Condition()

    subscriber = _client(port, ADMIN if auth else None)
    publisher = _client(port, CONTROLLER if auth else None)

    def on_sub_message(_c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        nonlocal count
        if message.topic == "bench/ping":
            subscriber.publish("bench/pong", message.payload, qos=1)
            return
        count += 1
        if count == messages:
            done.set()

    def on_pub_message(_c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        with pong_seen:
            pongs[int(message.payload)] = time.perf_counter()
            pong_seen.notify_all()

    subscriber.on_message = on_sub_message
    subscriber.on_subscribe = lambda *_: got.release()
    publisher.on_message = on_pub_message
    publisher.on_subscribe = lambda *_: got.release()
    subscriber.subscribe([("barrier/+/state", 0), ("bench/ping", 1)])
    publisher.subscribe("bench/pong", 1)
    got.acquire(timeout=5)
    got.acquire(timeout=5)

    started = time.perf_counter()
    for n in range(messages):
        publisher.publish(f"barrier/b{n % 10}/state", "open" if n % 2 else "closed", qos=0)
    if not done.wait(60):
        raise RuntimeError(f"only {count} of {messages} arrived")
    rate = messages / (time.perf_counter() - started)

    samples = []
    for n in range(pings):
        sent = time.perf_counter()
        publisher.publish("bench/ping", str(n), qos=1)
        with pong_seen:
            if not pong_seen.wait_for(lambda: n in pongs, 5):  # noqa: B023 (waited here)
                raise RuntimeError("a ping got no pong")
        samples.append((pongs[n] - sent) * 1000)
    for client in (publisher, subscriber):
        client.disconnect()
        client.loop_stop()
    samples.sort()
    return {
        "messages_per_s": round(rate),
        "ping_ms": {
            "p50": round(statistics.median(samples), 3),
            "p95": round(samples[int(len(samples) * 0.95) - 1], 3),
        },
    }


async def _amqtt(kind: str, messages: int, pings: int) -> dict[str, Any]:
    port = free_port()
    listeners = {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}}
    broker: Broker
    if kind == "plain_amqtt":
        plugin = "amqtt.plugins.authentication.AnonymousAuthPlugin"
        config = {"listeners": listeners, "plugins": {plugin: {"allow_anonymous": True}}}
        broker = Broker(config, loop=asyncio.get_running_loop())
    else:
        accounts = BrokerAccounts(
            [BrokerAccount(*CONTROLLER, "controller"), BrokerAccount(*ADMIN, "admin")]
        )
        policy = TopicPolicy(accounts, "parkhub", "homeassistant")
        plugin = f"hub.integrations.mqtt.broker_acl.{HubAuthPlugin.__name__}"
        config = {"listeners": listeners, "plugins": {plugin: {"policy": policy}}}
        broker = _HubBroker(config, asyncio.get_running_loop(), policy)
    await broker.start()
    try:
        return await asyncio.to_thread(_run_clients, port, kind == "hub_broker", messages, pings)
    finally:
        await broker.shutdown()


def _mosquitto(messages: int, pings: int) -> dict[str, Any] | None:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        return None
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
            "set_tcp_nodelay true\n"
        )
        process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection((HOST, port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            return _run_clients(port, False, messages, pings)
        finally:
            process.kill()
            process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--pings", type=int, default=300)
    args = parser.parse_args()
    result: dict[str, Any] = {"messages": args.messages, "pings": args.pings}
    for kind in ("plain_amqtt", "hub_broker"):
        result[kind] = await _amqtt(kind, args.messages, args.pings)
    result["mosquitto"] = await asyncio.to_thread(_mosquitto, args.messages, args.pings)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    asyncio.run(main())
