"""`parkhub run` on the bundled config: its embedded broker takes a controller or keypad
straight away, and the demo gates answer over MQTT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.mqtt_broker import TEST_ACCOUNT, MqttTestClient, free_port

REPO = Path(__file__).resolve().parents[3]


def bundled_config(folder: Path, mqtt_port: int) -> None:
    """The bundled config, on loopback and a free port, with quick demo barriers."""
    text = (REPO / "config.yaml").read_text()
    for old, new in [
        (
            "    port: 1884 ",
            f"    users: [{TEST_ACCOUNT}]\n    port: {mqtt_port} ",
        ),
        ("    travel_time: 3 ", "    travel_time: 0.2 "),
    ]:
        assert old in text, f"config.yaml changed: {old.strip()!r} not found"
        text = text.replace(old, new)
    (folder / "config.yaml").write_text(text)
    # Paths in the config are relative to it (the demo lot's slots and model files): the
    # repository's files stand beside the copy, as links.
    for entry in REPO.iterdir():
        if entry.name not in ("config.yaml", "data") and not entry.name.startswith("."):
            (folder / entry.name).symlink_to(entry)


async def _wait_serving(process: asyncio.subprocess.Process) -> bytes:
    """Read the log until the hub says it serves: only then does it handle SIGTERM (it
    starts once every integration is set up and their first work is done; the plate
    reader's first reads take a moment). Returns the log read so far."""
    assert process.stderr is not None
    log = b""
    async with asyncio.timeout(60):
        while b"Serving on" not in log:
            line = await process.stderr.readline()
            if not line:
                break
            log += line
    return log


async def test_bundled_config_runs_its_own_broker_and_demo_gates(tmp_path: Path) -> None:
    mqtt_port, web_port = free_port(), free_port()
    await asyncio.to_thread(bundled_config, tmp_path, mqtt_port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--host", "127.0.0.1", "--port", str(web_port),
        "--data", str(tmp_path / "data"),
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    log = b""
    try:
        keypad = MqttTestClient(mqtt_port)
        for _ in range(100):
            try:
                await keypad.__aenter__()
                break
            except (OSError, TimeoutError):
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the embedded broker never answered")
        try:
            await keypad.subscribe("parkhub/#")
            await keypad.subscribe("homeassistant/#")
            await keypad.wait_for("parkhub/status", "online", within=10)
            await keypad.wait_for("parkhub/gate/entry/state", "closed", within=10)
            await keypad.wait_for("homeassistant/cover/parkhub_exit/config", within=10)
            await keypad.publish("parkhub/gate/entry/set", "OPEN")
            await keypad.wait_for("parkhub/gate/entry/state", "opening")
            await keypad.wait_for("parkhub/gate/entry/state", "open")
            [event] = await keypad.wait_for("parkhub/event/gate_command")
            assert '"command":"open"' in event.payload
            log = await _wait_serving(process)
        finally:
            await keypad.__aexit__(None, None, None)
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 30)
        stderr = log + rest
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
