"""MQTT speed against a local Mosquitto: gate command latency and state throughput.

    python bench/mqtt.py --latency-runs 300 --states 20000

Prints one JSON object:

- `gate_open_ms`: from calling `gate.open` on the hub to a barrier controller (a paho
  client in its own process, like a relay board) receiving `OPEN` on its command topic;
- `floor_ms`: the same trip with no hub: a bare paho client (no thread, so publish()
  writes at once) publishes `OPEN` (QoS 1) and the same controller receives it, on the
  same broker in the same run. Samples alternate with the hub's, so both see the same
  machine; `ratio` is gate_open / floor (medians), `ratio_of_pairs_median` the median
  of each adjacent pair's ratio (steadier on a busy machine);
- `states_per_s`: state changes set on the hub and delivered to a subscriber process
  through the broker (state topics, QoS 0, retained), timed from the first set until
  the subscriber has received the last; `lost` counts any that never arrived.

Needs `mosquitto` (Debian package) on PATH or in /usr/sbin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from _common import peak_rss_mb, start_mosquitto
from paho.mqtt.enums import CallbackAPIVersion

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations import gate, mqtt

HOST = "127.0.0.1"


# A device in its own process (as a relay board or Home Assistant would be), so it never
# waits for this process's GIL. It prints a perf_counter() timestamp (CLOCK_MONOTONIC,
# comparable across processes on Linux) when it has received `every` more messages.
DEVICE = """
import sys, time
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
port, topic, qos, every = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
count = 0
def on_message(client, userdata, message):
    global count
    count += 1
    if count % every == 0:
        sys.stdout.write(f"{time.perf_counter()} {count}\\n")
        sys.stdout.flush()
def on_subscribe(*args):
    sys.stdout.write("ready 0\\n")
    sys.stdout.flush()
client = paho.Client(CallbackAPIVersion.VERSION2)
client.on_message = on_message
client.on_subscribe = on_subscribe
client.connect("127.0.0.1", port)
client.subscribe(topic, qos)
client.loop_forever()
"""


class Device:
    """The subscriber process; `await received()` gives (timestamp, count) per report."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, port: int, topic: str, qos: int, every: int = 1) -> Device:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", DEVICE, str(port), topic, str(qos), str(every),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        device = cls(process)
        await device.received()  # subscribed
        return device

    async def received(self, within: float = 30.0) -> tuple[float, int]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), within)
        if not line:
            raise SystemExit("the device process died")
        stamp, count = line.decode().split()
        return (float(stamp) if stamp != "ready" else 0.0), int(count)

    async def close(self) -> None:
        self.process.terminate()
        await self.process.wait()


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered) * 1000, 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "min": round(ordered[0] * 1000, 3),
    }


async def latency(hub: Hub, port: int, runs: int) -> dict[str, Any]:
    controller = await Device.start(port, "bench/barrier/set", 1)
    # The floor: bare paho with no thread of its own; publish() writes at once.
    publisher = paho.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(HOST, port)
    publisher.loop(timeout=0.1)
    hub_samples: list[float] = []
    floor_samples: list[float] = []
    ratios: list[float] = []
    commands = ("open", "close")
    for i in range(runs + 10):
        start = time.perf_counter()
        publisher.publish("bench/barrier/set", "OPEN", qos=1)
        floor = (await controller.received())[0] - start
        publisher.loop(timeout=0.001)  # read the PUBACK
        start = time.perf_counter()
        await hub.services.async_call("gate", commands[i % 2], {"entity_id": "gate.bench"})
        through_hub = (await controller.received())[0] - start
        if i >= 10:  # warm-up
            floor_samples.append(floor)
            hub_samples.append(through_hub)
            ratios.append(through_hub / floor)
    publisher.disconnect()
    await controller.close()
    gate_ms, floor_ms = ms(hub_samples), ms(floor_samples)
    return {
        "gate_open_ms": gate_ms,
        "floor_ms": floor_ms,
        "ratio": round(gate_ms["median"] / floor_ms["median"], 2),
        "ratio_of_pairs_median": round(statistics.median(ratios), 2),
        "runs": runs,
    }


async def throughput(hub: Hub, port: int, n: int, entities: int = 500) -> dict[str, Any]:
    # Each entity's first state also sends attributes; set them once before timing.
    for i in range(entities):
        hub.states.async_set(f"sensor.bench_{i}", "-1", {"unit_of_measurement": "cars"})
    subscriber = await Device.start(port, "parkhub/sensor/+/state", 0, every=n)
    start = time.perf_counter()
    for i in range(n):
        hub.states.async_set(f"sensor.bench_{i % entities}", str(i))
        if i % 100 == 99:
            await asyncio.sleep(0)
    set_done = time.perf_counter()
    received_at, delivered = await subscriber.received(within=60)
    await subscriber.close()
    return {
        "states_per_s": round(n / (received_at - start)),
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
