"""A central hub fed by simulated worker nodes over a local Mosquitto.

    python bench/nodes.py --lanes 20 --reads-per-s 200 --slots-per-s 2000 --seconds 10
    python bench/nodes.py --outage 10 --lanes 4 --reads-per-s 40   # the outbox scenario

The central is a real `parkhub run` (recorder on, one automation per lane opening the
lane's gate for a resident's read). The workers are simulated by one paho client in this
process speaking the node protocol (docs/nodes.md): retained status, gate and slot
states, QoS 1 `plate_detected` envelopes, and replies to gate commands. Prints JSON:

- `read_to_plate_detected_ms`: from a worker publishing a read to the central's
  `parkhub/event/plate_detected` for it arriving back here (one hop more than the
  central's bus: an upper bound);
- `read_to_gate_command_ms`: from the read to the central's gate command for that plate
  arriving at the worker (automation, service call, MQTT);
- `lost_reads`, `lost_commands`: reads with no plate_detected, or no command, 5 s after
  the last read (target: 0);
- `slot_changes_sent` and `slot_states_seen` (the central's republished states, QoS 0);
- `central_cpu_percent` (of one core, over the run) and `central_rss_mb` (peak).

`--outage S` runs the outbox scenario instead (bench/nodes_outbox.py): real worker
hubs, the broker stopped for S seconds while they read, then messages lost, drain time
and the central's latency afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from _common import free_port, peak_rss_mb, start_hub, start_mosquitto
from paho.mqtt.enums import CallbackAPIVersion

HOST = "127.0.0.1"
SLOTS_PER_LANE = 50


def central_config(port: int, web_port: int, lanes: list[str]) -> str:
    automations = [
        {
            "id": f"open_{lane}",
            "mode": "parallel",
            "max": 1000,
            "triggers": [
                {
                    "trigger": "event",
                    "event_type": "plate_detected",
                    "event_data": {"node": lane, "listed": "allow"},
                }
            ],
            "actions": [
                {
                    "action": "gate.open",
                    "target": {"entity_id": f"gate.{lane}_entry"},
                    "data": {"plate": "{{ trigger.event.data.plate }}"},
                }
            ],
        }
        for lane in lanes
    ]
    config = {
        "hub": {"name": "Central", "time_zone": "UTC", "port": web_port},
        "mqtt": {
            "broker": f"mqtt://{HOST}:{port}",
            "nodes": lanes,
            "discovery": {"enabled": False},
            "publish": {"events": ["plate_detected"]},
        },
        "automation": automations,
    }
    return json.dumps(config)  # JSON is YAML


class Workers:
    """Every simulated worker, on one paho client with its own network thread."""

    def __init__(self, port: int, lanes: list[str]) -> None:
        self.lanes = lanes
        self.sent: dict[str, float] = {}
        self.detected: dict[str, float] = {}
        self.commanded: dict[str, float] = {}
        self.slot_states_seen = 0
        self.gates_seen: set[str] = set()
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-workers")
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        self.client.connect(HOST, port)
        self.client.loop_start()
        self.client.subscribe(
            [
                ("parkhub/nodes/+/gate/+/command", 1),
                ("parkhub/event/plate_detected", 0),
                ("parkhub/binary_sensor/+/state", 0),
                ("parkhub/gate/+/state", 0),
            ]
        )

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        topic = message.topic
        if topic.endswith("/command"):
            command = json.loads(message.payload)
            with self._lock:
                self.commanded.setdefault(str(command.get("plate")), now)
            root = topic.rsplit("/", 3)[0]
            reply = {"id": command["id"], "executed": True, "error": None, "state": "open"}
            client.publish(f"{root}/gate/entry/reply", json.dumps(reply), 1)
        elif topic == "parkhub/event/plate_detected":
            plate = json.loads(message.payload)["plate"]
            with self._lock:
                self.detected.setdefault(plate, now)
        elif topic.startswith("parkhub/gate/"):
            self.gates_seen.add(topic)
        else:
            self.slot_states_seen += 1

    def announce(self) -> None:
        for lane in self.lanes:
            root = f"parkhub/nodes/{lane}"
            self.client.publish(f"{root}/status", "online", 1, retain=True)
            self.client.publish(f"{root}/gate/entry/state", "closed", 1, retain=True)
            for slot in range(SLOTS_PER_LANE):
                self.client.publish(f"{root}/binary_sensor/slot_{slot:03d}/state", "off", 1, True)

    def read(self, lane: str, plate: str) -> None:
        envelope = {
            "id": uuid.uuid4().hex,
            "event_type": "plate_detected",
            "data": {
                "plate": plate,
                "camera": "camera.entry",
                "direction": "entry",
                "listed": "allow",
            },
            "time_fired": time.time(),
            "context": {"id": uuid.uuid4().hex, "parent_id": None, "user_id": None},
        }
        self.sent[plate] = time.perf_counter()
        self.client.publish(f"parkhub/nodes/{lane}/events", json.dumps(envelope), 1)

    def slot(self, lane: str, slot: int, occupied: bool) -> None:
        topic = f"parkhub/nodes/{lane}/binary_sensor/slot_{slot:03d}/state"
        self.client.publish(topic, "on" if occupied else "off", 0, retain=True)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    lanes = [f"lane_{n:02d}" for n in range(args.lanes)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Deep queues: 20 simulated lanes publish in bursts to one central subscriber.
        broker, port = start_mosquitto(
            folder, "max_queued_messages 100000\nmax_inflight_messages 100\n"
        )
        (folder / "config.yaml").write_text(central_config(port, free_port(), lanes))
        try:
            central = await start_hub(folder)
        except BaseException:
            broker.kill()
            broker.wait()
            raise
        assert central.stderr is not None
        stderr = central.stderr
        workers: Workers | None = None
        try:

            async def drain() -> None:  # a full pipe would stall the central
                while await stderr.readline():
                    pass

            drainer = asyncio.create_task(drain())
            workers = Workers(port, lanes)
            workers.announce()
            deadline = time.monotonic() + 30
            while len(workers.gates_seen) < len(lanes) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            cpu_before, started = cpu_seconds(central.pid), time.perf_counter()
            reads = slots = 0
            tick = 0.01
            end = started + args.seconds
            while (now := time.perf_counter()) < end:
                elapsed = now - started
                while reads < elapsed * args.reads_per_s:
                    workers.read(lanes[reads % len(lanes)], f"P{reads:07d}")
                    reads += 1
                while slots < elapsed * args.slots_per_s:
                    lane, slot = lanes[slots % len(lanes)], (slots // len(lanes)) % SLOTS_PER_LANE
                    workers.slot(lane, slot, (slots // (len(lanes) * SLOTS_PER_LANE)) % 2 == 0)
                    slots += 1
                await asyncio.sleep(tick)
            wall = time.perf_counter() - started
            cpu = cpu_seconds(central.pid) - cpu_before
            settle = time.monotonic() + 5
            while time.monotonic() < settle and (  # noqa: ASYNC110
                len(workers.detected) < reads or len(workers.commanded) < reads
            ):
                await asyncio.sleep(0.05)
            rss = rss_mb(central.pid)
        finally:
            if workers is not None:
                workers.close()
            if central.returncode is None:
                central.kill()
            await central.wait()
            broker.kill()
            broker.wait()
        drainer.cancel()
    sent = workers.sent
    return {
        "lanes": len(lanes),
        "seconds": args.seconds,
        "reads_sent": reads,
        "reads_per_s": round(reads / wall, 1),
        "slot_changes_sent": slots,
        "slot_changes_per_s": round(slots / wall, 1),
        "read_to_plate_detected_ms": percentiles(
            [workers.detected[p] - sent[p] for p in sent if p in workers.detected]
        ),
        "read_to_gate_command_ms": percentiles(
            [workers.commanded[p] - sent[p] for p in sent if p in workers.commanded]
        ),
        "lost_reads": sum(1 for p in sent if p not in workers.detected),
        "lost_commands": sum(1 for p in sent if p not in workers.commanded),
        "slot_states_seen": workers.slot_states_seen,
        "central_cpu_percent": round(cpu / wall * 100, 1),
        "central_rss_mb": rss,
        "bench_peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=20)
    parser.add_argument("--reads-per-s", type=float, default=200)
    parser.add_argument("--slots-per-s", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--outage", type=float, default=0, help="outbox scenario: seconds")
    parser.add_argument("--before", type=float, default=3, help="outbox: reads before")
    parser.add_argument("--after", type=float, default=5, help="outbox: reads after the drain")
    parser.add_argument("--parking", action="store_true", help="outbox: count parked cars")
    args = parser.parse_args()
    if args.outage > 0:
        from nodes_outbox import run_outbox

        result = asyncio.run(run_outbox(args, central_config))
    else:
        result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
