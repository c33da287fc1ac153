"""ParkHub and a real Home Assistant 2024.3.3, side by side through Mosquitto.

    python bench/interop.py --seconds 60          (HA venv: bash bench/setup_ha_venv.sh)

Runs, all on loopback: Mosquitto; Home Assistant from its own venv
(`bench/_interop_ha.py`, set up as `hass -c` does, MQTT discovery on); then `parkhub run`
on the bundled demo config pointed at the broker, and two devices announcing themselves
as Zigbee2MQTT and ESPHome do (a bay sensor with JSON availability, a barrier). HA
watches for --seconds more than ParkHub's start-up budget (60 s).
Prints one JSON object:

- announced: discovery configs ParkHub published; seen_by_ha: how many of them HA made
  an entity of (by unique id); missing: the others;
- states_equal / states_compared: HA's state of each ParkHub entity at the end against
  the last state ParkHub had published for it by then (cameras excepted: cameras_with_picture counts
  those whose JPEG HA holds);
- lag_ms (median, worst, n): from ParkHub's state message reaching the broker's other
  subscriber (this script) to HA's `state_changed` for it, over the changes during the run;
- adopted_devices: HA entities for the two self-announced devices (1 each: ParkHub does
  not announce them again), and ParkHub's own entities for them;
- ha_log: HA's warnings (and "No matching payload" lines) from its mqtt integration or
  naming ParkHub, with a sample.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import yaml
from _common import free_port
from paho.mqtt.enums import CallbackAPIVersion

from hub.yaml_loader import load_yaml

REPO = Path(__file__).resolve().parents[1]
HA_PYTHON = Path(os.environ.get("HA_VENV", REPO / ".venv-ha")) / "bin" / "python"
# The ParkHub source tree to run (default: this one), to compare against another checkout.
PARKHUB_SRC = Path(os.environ.get("PARKHUB_SRC", REPO))
# Seconds HA keeps watching beyond --seconds, for ParkHub to start (OCR models load).
STARTUP_BUDGET = 60

Z2M_BAY = {
    "object_id": "bay_b4",
    "unique_id": "0x00158d0001a2b3c4_occupancy_zigbee2mqtt",
    "name": None,
    "state_topic": "zigbee2mqtt/bay_b4",
    "value_template": "{{ value_json.occupancy }}",
    "payload_on": True,
    "payload_off": False,
    "device_class": "occupancy",
    "availability": [
        {"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"},
        {"topic": "zigbee2mqtt/bay_b4/availability", "value_template": "{{ value_json.state }}"},
    ],
    "availability_mode": "all",
    "device": {"identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"], "name": "Bay B4"},
}
ESPHOME_BARRIER = {
    "name": None,
    "unique_id": "esphome-side-barrier",
    "command_topic": "side-barrier/cover/barrier/command",
    "state_topic": "side-barrier/cover/barrier/state",
    "availability_topic": "side-barrier/status",
    "device_class": "gate",
    "device": {"identifiers": ["esphome-side-barrier"], "name": "Side barrier"},
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _parkhub_config(folder: Path, mqtt_port: int, web_port: int) -> Path:
    config = _plain(load_yaml(REPO / "config.yaml"))
    config["hub"]["port"] = web_port
    config["mqtt"] = {**config["mqtt"], "broker": f"mqtt://127.0.0.1:{mqtt_port}"}
    config["mqtt"].pop("embedded", None)
    config["discovery"].update(
        interfaces=["127.0.0.1"], announce=False, onvif_target=f"127.0.0.1:{free_port()}"
    )
    for lot in config["occupancy"]["lots"].values():
        for key in ("slots_file", "model"):
            lot[key] = str(REPO / lot[key])
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _ha_config(folder: Path, mqtt_port: int) -> Path:
    (folder / ".storage").mkdir(parents=True)
    (folder / "configuration.yaml").write_text(
        "homeassistant:\n  name: Interop\n  time_zone: Europe/Amsterdam\n"
        "  latitude: 52.37\n  longitude: 4.89\n  elevation: 0\n  unit_system: metric\n"
        f"http:\n  server_host: 127.0.0.1\n  server_port: {free_port()}\n"
        "logger:\n  default: warning\n"
    )
    entry = {
        "entry_id": "interopmqtt",
        "version": 1,
        "minor_version": 1,
        "domain": "mqtt",
        "title": "127.0.0.1",
        "data": {"broker": "127.0.0.1", "port": mqtt_port, "discovery": True},
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "unique_id": None,
        "disabled_by": None,
    }
    store = {"version": 1, "minor_version": 1, "key": "core.config_entries"}
    store["data"] = {"entries": [entry]}
    (folder / ".storage" / "core.config_entries").write_text(json.dumps(store))
    return folder


class _Observer:
    """Records every ParkHub state message and discovery config, with arrival times; acts
    as the two self-announcing devices."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.states: dict[str, list[tuple[float, str]]] = {}
        self.configs: dict[str, dict[str, Any]] = {}
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="interop-observer")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([("parkhub/+/+/state", 0), ("homeassistant/+/+/config", 0)])
        self.client.loop_start()

    def _on_message(self, _client: Any, _userdata: Any, message: paho.MQTTMessage) -> None:
        now = time.time()
        payload = message.payload.decode(errors="replace")
        with self.lock:
            if message.topic.endswith("/state"):
                self.states.setdefault(message.topic, []).append((now, payload))
            elif "/parkhub_" in message.topic:
                if payload:
                    self.configs[message.topic] = json.loads(payload)
                else:
                    self.configs.pop(message.topic, None)

    def announce_devices(self) -> None:
        publish = self.client.publish
        publish("zigbee2mqtt/bridge/state", '{"state":"online"}', 1, True)
        publish("homeassistant/binary_sensor/0x00158d0001a2b3c4/occupancy/config",
                json.dumps(Z2M_BAY), 1, True)  # fmt: skip
        publish("zigbee2mqtt/bay_b4/availability", '{"state":"online"}', 1, True)
        publish("zigbee2mqtt/bay_b4", '{"occupancy":true,"linkquality":120}', 1, True)
        publish("homeassistant/cover/side-barrier/barrier/config",
                json.dumps(ESPHOME_BARRIER), 1, True)  # fmt: skip
        publish("side-barrier/status", "online", 1, True)
        publish("side-barrier/cover/barrier/state", "closed", 1, True)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _wait_for(process: subprocess.Popen[str], word: str, timeout: float) -> None:
    assert process.stderr is not None or process.stdout is not None
    stream = process.stdout if word == "READY" else process.stderr
    assert stream is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise RuntimeError(f"process ended before {word!r}")
        if word in line:
            # Keep draining, so a full pipe never blocks the process.
            threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
            return
    raise TimeoutError(word)


def _expected(ha_domain: str, parkhub_state: str) -> str | None:
    if ha_domain == "camera":
        return None
    if parkhub_state in ("unknown", "unavailable"):
        return parkhub_state
    return parkhub_state


def _report(observer: _Observer, ha: dict[str, Any], ha_ready: float) -> dict[str, Any]:
    by_unique = {entity["unique_id"]: entity for entity in ha["entities"]}
    announced = {config["unique_id"]: topic for topic, config in observer.configs.items()}
    seen = [uid for uid in announced if uid in by_unique]
    compared, equal, mismatches, pictures = 0, 0, [], 0
    topic_of_entity: dict[str, str] = {}
    for uid in seen:
        entity = by_unique[uid]
        domain, _, object_id = uid.removeprefix("parkhub_").partition("_")
        if uid.startswith("parkhub_binary_sensor_"):
            domain, object_id = "binary_sensor", uid.removeprefix("parkhub_binary_sensor_")
        state_topic = f"parkhub/{domain}/{object_id}/state"
        topic_of_entity[entity["entity_id"]] = state_topic
        ha_domain = entity["entity_id"].partition(".")[0]
        if ha_domain == "camera":
            pictures += 1 if entity["picture_bytes"] else 0
            continue
        # ParkHub's state when HA's was read (a message still on its way is not a mismatch).
        history = [p for t, p in observer.states.get(state_topic, []) if t < ha["snapshot_at"]]
        if not history:
            continue
        expected = _expected(ha_domain, history[-1])
        compared += 1
        if entity["state"] == expected:
            equal += 1
        else:
            mismatches.append([entity["entity_id"], entity["state"], expected])
    lags = []
    previous: dict[str, str] = {}
    for entity_id, state, at in ha["changes"]:
        before, previous[entity_id] = previous.get(entity_id), state
        topic = topic_of_entity.get(entity_id)
        if topic is None or at < ha_ready + 5 or state == before:
            continue  # retained replays at HA's start, attribute-only changes
        sent = [t for t, payload in observer.states.get(topic, []) if payload == state and t <= at]
        if sent and at - sent[-1] < 5:
            lags.append((at - sent[-1]) * 1000)
    uids = {entity["unique_id"] for entity in ha["entities"]}
    return {
        "announced": len(announced),
        "seen_by_ha": len(seen),
        "missing": sorted(set(announced) - set(seen)),
        "states_compared": compared,
        "states_equal": equal,
        "state_mismatches": mismatches[:10],
        "cameras_with_picture": pictures,
        "lag_ms": {
            "median": round(statistics.median(lags), 1) if lags else None,
            "worst": round(max(lags), 1) if lags else None,
            "n": len(lags),
        },
        "adopted_devices": {
            "ha_entities": sorted(
                e["entity_id"]
                for e in ha["entities"]
                if e["unique_id"] in (Z2M_BAY["unique_id"], ESPHOME_BARRIER["unique_id"])
            ),
            "parkhub_announced_again": sorted(
                uid for uid in announced if "bay_b4" in uid or "side_barrier" in uid
            ),
        },
        "ha_entity_names_sample": sorted(
            e["name"] for e in ha["entities"] if e["unique_id"] in announced
        )[:8],
        "ha_log": {"warnings": len(ha["log"]), "sample": ha["log"][:10]},
        "ha_mqtt_entities": len(uids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="how long HA watches")
    args = parser.parse_args()
    if not HA_PYTHON.exists():
        sys.exit(f"no Home Assistant venv at {HA_PYTHON}: run bash bench/setup_ha_venv.sh")
    with tempfile.TemporaryDirectory(prefix="interop-") as tmp:
        folder = Path(tmp)
        mqtt_port, web_port = free_port(), free_port()
        (folder / "mosquitto.conf").write_text(
            f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        broker = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")])
        parkhub = ha = None
        observer = None
        try:
            time.sleep(0.5)
            observer = _Observer(mqtt_port)
            # Home Assistant first, as in a house where it runs all the time: it sees
            # ParkHub start (every slot's first state) and the devices announce themselves.
            ha_dir = _ha_config(folder / "ha", mqtt_port)
            out = folder / "ha.json"
            ha = subprocess.Popen(
                [str(HA_PYTHON), str(REPO / "bench" / "_interop_ha.py"), "--config", str(ha_dir),
                 "--seconds", str(args.seconds + STARTUP_BUDGET), "--out", str(out)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            _wait_for(ha, "READY", 300)
            ha_ready = time.time()
            config = _parkhub_config(folder, mqtt_port, web_port)
            parkhub = subprocess.Popen(
                [sys.executable, "-m", "hub", "run", "--config", str(config), "--host",
                 "127.0.0.1", "--data", str(folder / "data")],
                cwd=PARKHUB_SRC, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            _wait_for(parkhub, "Serving on", STARTUP_BUDGET)
            observer.announce_devices()
            ha.wait(timeout=args.seconds + STARTUP_BUDGET + 120)
            result = json.loads(out.read_text())
            print(json.dumps(_report(observer, result, ha_ready)))
        finally:
            for process in (ha, parkhub):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
            if observer is not None:
                observer.stop()
            broker.terminate()
            broker.wait(timeout=10)


if __name__ == "__main__":
    main()
