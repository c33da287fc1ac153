"""MQTT speed against a local Mosquitto: gate command latency and state throughput.

    python bench/mqtt.py --latency-runs 300 --states 20000

Prints one JSON object:

- `gate_open_ms`: from calling `gate.open` on the hub to a barrier controller (a paho
  client on its own thread, like a relay board) receiving `OPEN` on its command topic;
- `floor_ms`: the same trip with no hub: a bare paho client publishes (QoS 1) and the
  same controller receives, on the same broker in the same run. Samples alternate with
  the hub's, so both see the same machine; `ratio` is gate_open / floor (medians);
- `states_per_s`: state changes set on the hub and delivered to a subscriber through
  the broker (state topics, QoS 0, retained), timed from the first set until the
  subscriber has received the last; `lost` counts any that never arrived.

Needs `mosquitto` (Debian package) on PATH or in /usr/sbin.
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
from _common import peak_rss_mb
from paho.mqtt.enums import CallbackAPIVersion

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations import gate, mqtt

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_mosquitto(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    for _ in range(250):
        try:
            socket.create_connection((HOST, port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.02)
    raise SystemExit("mosquitto did not start")


class Receiver:
    """A paho client on its own thread that timestamps what it receives."""

    def __init__(self, port: int, topic: str, qos: int) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.received_at = 0.0
        self.count = 0
        self.expected = 0
        self.done = threading.Event()
        self.client.on_message = self._on_message
        self.client.connect(HOST, port)
        self.client.loop_start()
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.subscribe(topic, qos)
        if not subscribed.wait(5):
            raise SystemExit(f"no SUBACK for {topic}")

    def _on_message(self, _client: Any, _userdata: Any, _message: paho.MQTTMessage) -> None:
        self.received_at = time.perf_counter()
        self.count += 1
        if self.count >= self.expected:
            self.done.set()

    def expect(self, total: int) -> None:
        self.done.clear()
        self.expected = total

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered) * 1000, 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "min": round(ordered[0] * 1000, 3),
    }


async def wait_thread_event(event: threading.Event, within: float = 10.0) -> None:
    """Wait for a thread's Event without blocking the loop and without polling late."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, event.wait, within)
    if not event.is_set():
        raise SystemExit("a message never arrived")


async def latency(hub: Hub, port: int, runs: int) -> dict[str, Any]:
    controller = Receiver(port, "bench/barrier/set", 1)
    publisher = paho.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(HOST, port)
    publisher.loop_start()
    hub_samples: list[float] = []
    floor_samples: list[float] = []
    commands = ("open", "close")
    for i in range(runs + 10):
        # The floor: bare paho, publish -> the controller receives.
        controller.expect(controller.count + 1)
        start = time.perf_counter()
        publisher.publish("bench/barrier/set", "OPEN", qos=1)
        await wait_thread_event(controller.done)
        floor = controller.received_at - start
        # The hub: gate service call -> MQTT command -> the controller receives.
        controller.expect(controller.count + 1)
        start = time.perf_counter()
        await hub.services.async_call("gate", commands[i % 2], {"entity_id": "gate.bench"})
        await wait_thread_event(controller.done)
        through_hub = controller.received_at - start
        if i >= 10:  # warm-up
            floor_samples.append(floor)
            hub_samples.append(through_hub)
    publisher.disconnect()
    publisher.loop_stop()
    controller.close()
    gate_ms, floor_ms = ms(hub_samples), ms(floor_samples)
    return {
        "gate_open_ms": gate_ms,
        "floor_ms": floor_ms,
        "ratio": round(gate_ms["median"] / floor_ms["median"], 2),
        "runs": runs,
    }


async def throughput(hub: Hub, port: int, n: int, entities: int = 500) -> dict[str, Any]:
    subscriber = Receiver(port, "parkhub/sensor/+/state", 0)
    # Each entity's first state also sends attributes; set them once before timing.
    for i in range(entities):
        hub.states.async_set(f"sensor.bench_{i}", "-1", {"unit_of_measurement": "cars"})
    await asyncio.sleep(0.5)
    subscriber.count = 0
    subscriber.expect(n)
    start = time.perf_counter()
    for i in range(n):
        hub.states.async_set(f"sensor.bench_{i % entities}", str(i))
        if i % 100 == 99:
            await asyncio.sleep(0)
    set_done = time.perf_counter()
    await wait_thread_event(subscriber.done, within=60)
    elapsed = subscriber.received_at - start
    await asyncio.sleep(0.2)
    delivered = subscriber.count
    subscriber.close()
    return {
        "states_per_s": round(n / elapsed),
        "set_per_s": round(n / (set_done - start)),
        "states": n,
        "delivered": delivered,
        "lost": n - delivered,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        process, port = start_mosquitto(folder)
        try:
            hub = Hub(HubConfig(), config_dir=folder, data_dir=folder)
            await hub.async_start()
            config = {
                "broker": f"mqtt://{HOST}:{port}",
                "discovery": {"enabled": False},
            }
            await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA(config))
            await mqtt.async_wait_connected(hub)
            gates = [{"id": "bench", "backend": "mqtt", "command_topic": "bench/barrier/set"}]
            await gate.async_setup(hub, gate.CONFIG_SCHEMA(gates))
            result: dict[str, Any] = {"broker": "mosquitto"}
            result.update(await latency(hub, port, args.latency_runs))
            result.update(await throughput(hub, port, args.states))
            await hub.async_stop()
        finally:
            process.terminate()
            process.wait()
    result["python"] = sys.version.split()[0]
    result["peak_rss_mb"] = peak_rss_mb()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-runs", type=int, default=300)
    parser.add_argument("--states", type=int, default=20000)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
