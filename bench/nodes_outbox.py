"""The outbox scenario of bench/nodes.py: the broker goes away while the lanes read plates.

    python bench/nodes.py --outage 10 --lanes 4 --reads-per-s 40

A `parkhub run` central (as in the load scenario) and `--lanes` real worker hubs in this
process (the node code itself: outbox on disk, reconnects, demo gates), on a Mosquitto
with persistence. The lanes read plates for `--before` seconds, then the broker is
stopped (gracefully: it keeps the central's session) for `--outage` seconds while they
go on reading, then it is started again, and they read for `--after` seconds more.
Prints JSON:

- `reads_sent`, `reads_during_outage`;
- `lost_reads` (the central never fired `plate_detected` for it: target 0) and
  `doubled_reads` (fired more than once), counted in the central's recorder database
  after it has stopped (what the central's bus saw, not a copy sent back over MQTT);
  with `--parking`, in its parking.db instead (every read a new car entering a lot that
  watches every lane: what the central stores, with its durable writes in the path);
- `lost_by_phase` (before, during, after the outage), `lost_read_at_s` (when the lost
  ones were read, in seconds after the broker was stopped), `lost_before_the_central`
  (lost ones this bench's own persistent subscriber never got from the broker either);
- `not_republished`, `republished_twice`: reads whose `plate_detected` did not reach this
  bench through the central's QoS 0 republish, or twice (the republish is QoS 0: reads
  handled in the moment the broker stops are not lost, only their copy to the bench);
- `drain_s`: from the broker being back to the central's `plate_detected` for the last
  read made during the outage;
- `after_restore_ms`: read -> central `plate_detected` (p50, p99, max) for the reads made
  after the drain, i.e. the steady state once the backlog is gone;
- `outbox_dropped` (the workers' `sensor.outbox_dropped`, summed: target 0) and
  `outbox_left` (lines still in their outbox files at the end: never acknowledged).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from _common import free_port, peak_rss_mb, start_hub
from paho.mqtt.enums import CallbackAPIVersion

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.config import HubConfig  # noqa: E402
from hub.core.hub import Hub  # noqa: E402
from hub.entity import EntityRegistry  # noqa: E402
from hub.integrations import gate, mqtt  # noqa: E402


class Broker:
    """Mosquitto with persistence on one port, stopped and started again on it."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        # `user`: started as root, Mosquitto drops to user "mosquitto", which cannot write
        # its persistence file here, and a restart would then forget every session.
        self.conf.write_text(
            f"user {getpass.getuser()}\nlistener {self.port} {HOST}\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder}/\n"
            # The watcher's persistent session keeps the central's QoS 0 republishes too.
            "queue_qos0_messages true\nmax_queued_messages 1000000\nmax_inflight_messages 100\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        for _ in range(250):
            try:
                socket.create_connection((HOST, self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # graceful: sessions are saved
            self.process.wait()
            self.process = None


class Watcher:
    """The central's `parkhub/event/plate_detected`, on a persistent session."""

    def __init__(self, port: int) -> None:
        self.seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-watcher", clean_session=False
        )
        self.client.on_message = self._on_message
        self.at_broker: set[str] = set()  # the workers' own events, as the broker passed them
        self.client.on_connect = lambda client, *_: client.subscribe(
            [("parkhub/event/plate_detected", 1), ("parkhub/nodes/+/events", 1)]
        )
        # Seconds as floats work (paho only doubles and adds them); its annotation says int.
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.client.connect(HOST, port)
        self.client.loop_start()

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        if message.topic.endswith("/events"):
            self.at_broker.add(json.loads(message.payload)["data"]["plate"])
            return
        plate = json.loads(message.payload)["plate"]
        with self._lock:
            self.seen.setdefault(plate, []).append(now)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def _worker(folder: Path, lane: str, port: int) -> Hub:
    """A worker hub as `parkhub run` builds one: node id, mqtt, a demo gate."""
    hub = Hub(HubConfig(name=lane, node=lane), config_dir=folder, data_dir=folder / "data")
    await hub.async_add_executor_job(lambda: hub.data_dir.mkdir(parents=True, exist_ok=True))
    hub.entity_registry = EntityRegistry(hub)
    await hub.entity_registry.async_load()
    conf = {"broker": f"mqtt://{HOST}:{port}", "discovery": {"enabled": False}}
    await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA(conf))
    entry = {"id": "entry", "backend": "demo", "travel_time": 0.1, "auto_close": 1}
    await gate.async_setup(hub, gate.CONFIG_SCHEMA([entry]))
    await hub.async_start()
    return hub


def _read(hub: Hub, plate: str) -> None:
    data = {"plate": plate, "camera": "camera.entry", "direction": "entry", "listed": "allow"}
    hub.bus.async_fire("plate_detected", data)


def _applied(data: Path, parking: bool) -> dict[str, int]:
    """plate -> how many times the central applied its read (recorded it, or parked it)."""
    if parking:
        db = sqlite3.connect(data / "parking.db")
        found = dict(db.execute("SELECT plate, COUNT(*) FROM sessions GROUP BY plate"))
    else:
        db = sqlite3.connect(data / "parkhub.db")
        found = {}
        rows = db.execute("SELECT event_data FROM events WHERE event_type = 'plate_detected'")
        for (text,) in rows:
            plate = json.loads(text)["plate"]
            found[plate] = found.get(plate, 0) + 1
    db.close()
    return found


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


async def run_outbox(args: argparse.Namespace, central_config: Any) -> dict[str, Any]:
    lanes = [f"lane_{n:02d}" for n in range(args.lanes)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker = Broker(folder)
        broker.start()
        config = json.loads(central_config(broker.port, free_port(), lanes))
        if args.parking:
            # Each read opens a session: parking.db says what the central applied, how often.
            cameras = {f"camera.{lane}_entry": "entry" for lane in lanes}
            lot = {"cameras": cameras, "tariff": {"rate": 250}}
            config["parking"] = {"lots": {"lanes": lot}}
        (folder / "config.yaml").write_text(json.dumps(config))
        try:
            central = await start_hub(folder)
        except BaseException:
            broker.stop()
            raise
        assert central.stderr is not None
        stderr = central.stderr
        workers: list[Hub] = []
        watcher: Watcher | None = None
        sent: dict[str, float] = {}
        phase: dict[str, str] = {}
        central_log: list[str] = []
        try:

            async def drain_log() -> None:  # a full pipe would stall the central
                while line := await stderr.readline():
                    if b"WARNING" in line or b"ERROR" in line or b"Traceback" in line:
                        central_log.append(line.decode(errors="replace").rstrip())

            drainer = asyncio.create_task(drain_log())
            watcher = Watcher(broker.port)
            for lane in lanes:
                workers.append(await _worker(folder / lane, lane, broker.port))
            await asyncio.sleep(1.0)  # the central has mirrored their gates

            count = 0

            async def read_for(seconds: float, label: str) -> None:
                """Reads spread evenly, round robin over the lanes."""
                nonlocal count
                started, first = time.perf_counter(), count
                while (elapsed := time.perf_counter() - started) < seconds:
                    while count - first < elapsed * args.reads_per_s:
                        plate = f"P{count:07d}"
                        sent[plate] = time.perf_counter()
                        phase[plate] = label
                        _read(workers[count % len(workers)], plate)
                        count += 1
                    await asyncio.sleep(0.01)

            await read_for(args.before, "before")
            stopping = time.perf_counter()
            await asyncio.to_thread(broker.stop)
            await read_for(args.outage, "outage")
            await asyncio.to_thread(broker.start)
            back = time.perf_counter()
            outage_plates = [p for p, label in phase.items() if label == "outage"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and any(  # noqa: ASYNC110
                p not in watcher.seen for p in outage_plates
            ):
                await asyncio.sleep(0.02)
            drained = max(
                (watcher.seen[p][0] for p in outage_plates if p in watcher.seen), default=back
            )
            await read_for(args.after, "after")
            settle = time.monotonic() + 10
            while time.monotonic() < settle and any(  # noqa: ASYNC110
                p not in watcher.seen for p in sent
            ):
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # time for doubles to show
            dropped = 0
            for hub in workers:
                state = hub.states.get("sensor.outbox_dropped")
                dropped += int(state.state) if state is not None else 0
            # Lines left in the workers' outbox files: events the broker never acknowledged.
            left = sum(
                len((folder / lane / "data" / "mqtt_nodes" / "outbox").read_bytes().splitlines())
                for lane in lanes
            )
        finally:
            for hub in workers:
                await hub.async_stop()
            if watcher is not None:
                watcher.close()
            if central.returncode is None:
                central.terminate()  # graceful: the recorder writes what it holds
                try:
                    async with asyncio.timeout(30):
                        await central.wait()
                except TimeoutError:
                    central.kill()
            await central.wait()
            broker.stop()
        drainer.cancel()
        stored = _applied(folder / "data", args.parking)
    for line in central_log[-40:]:  # the central's warnings and errors, to stderr
        print(f"central: {line}", file=sys.stderr)
    seen = watcher.seen
    after = [p for p, label in phase.items() if label == "after"]
    return {
        "scenario": "outbox",
        "lanes": len(lanes),
        "reads_per_s": args.reads_per_s,
        "outage_s": args.outage,
        "counted_in": "parking.db sessions" if args.parking else "recorder events",
        "reads_sent": len(sent),
        "reads_during_outage": len(outage_plates),
        "lost_reads": sum(1 for p in sent if p not in stored),
        "doubled_reads": sum(1 for p in sent if stored.get(p, 0) > 1),
        "lost_by_phase": {
            label: sum(1 for p, at in phase.items() if at == label and p not in stored)
            for label in ("before", "outage", "after")
        },
        "lost_read_at_s": sorted(round(sent[p] - stopping, 3) for p in sent if p not in stored)[
            :12
        ],
        "lost_before_the_central": sum(
            1 for p in sent if p not in stored and p not in watcher.at_broker
        ),
        "not_republished": sum(1 for p in sent if p not in seen),
        "republished_twice": sum(1 for p in sent if len(seen.get(p, ())) > 1),
        "drain_s": round(drained - back, 3),
        "after_restore_ms": _percentiles([seen[p][0] - sent[p] for p in after if p in seen]),
        "outbox_dropped": dropped,
        "outbox_left": left,
        "bench_peak_rss_mb": peak_rss_mb(),
    }
