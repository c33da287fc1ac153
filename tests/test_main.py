"""The CLI and a whole hub from config to API: what an owner does on day one."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp

from hub.bootstrap import async_build_hub, load
from hub.web import create_token

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parkhub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bundled_config_is_valid() -> None:
    result = parkhub("check-config", "--config", str(REPO / "config.yaml"), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("config.yaml: OK")


def test_check_config_lists_every_mistake_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        textwrap.dedent(
            """\
            hub:
              name: North Lot
              curency: EUR
            recorder:
              keep_days: ten
            parking_lot_typo:
              spaces: 20
            """
        )
    )
    result = parkhub("check-config", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "config.yaml:3: hub.curency: unknown key 'curency' (did you mean 'currency'?)",
        "config.yaml:5: recorder.keep_days: expected int, got 'ten'",
        "config.yaml:6: parking_lot_typo: unknown key 'parking_lot_typo' (did you mean 'parking'?)",
    ]


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    result = parkhub("check-config", "--config", "nowhere.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "nowhere.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_create_prints_a_token_stored_hashed(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("hub:\n  name: Lot\n")
    result = parkhub("token", "create", "barrier-controller", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token) > 30
    stored = (tmp_path / "data" / "auth.json").read_text()
    assert "barrier-controller" in stored
    assert token not in stored


async def test_run_serves_the_api_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "config.yaml").write_text, "hub:\n  name: Test Lot\n")
    token = await asyncio.to_thread(create_token, tmp_path / "data", "test")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--host", "127.0.0.1", "--port", str(port),
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(
                        f"http://127.0.0.1:{port}/api/",
                        headers={"Authorization": f"Bearer {token}"},
                    ) as response:
                        body = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the hub never answered")
        assert body["message"] == "API running."
        assert body["name"] == "Test Lot"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert b"Test Lot stopped" in stderr
    assert b"Traceback" not in stderr


async def test_state_from_rest_reaches_websocket_and_history_after_restart(
    tmp_path: Path,
) -> None:
    """The core's acceptance path: REST in, WebSocket out, history kept across a restart."""
    config = tmp_path / "config.yaml"
    await asyncio.to_thread(
        config.write_text, "hub:\n  name: Lot\nrecorder:\n  commit_interval: 5\n"
    )
    loaded = await asyncio.to_thread(load, config)
    token = await asyncio.to_thread(create_token, loaded.data_dir(), "test")
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}/api"

    hub = await async_build_hub(loaded, host="127.0.0.1", port=port)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/websocket") as ws,
    ):
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "subscribe_entities"})
        assert (await ws.receive_json())["success"] is True
        assert (await ws.receive_json())["event"] == {"a": {}}

        async with session.post(
            f"{base}/states/sensor.lot_free_spaces",
            json={"state": 12, "attributes": {"total": 20}},
            headers=headers,
        ) as response:
            assert response.status == 201

        update = await asyncio.wait_for(ws.receive_json(), 5)
        assert update["id"] == 1
        added = update["event"]["a"]["sensor.lot_free_spaces"]
        assert added["s"] == "12"
        assert added["a"] == {"total": 20}
    # Stopped well inside the 5 s commit interval: the final flush must keep the state.
    await hub.async_stop()

    hub = await async_build_hub(loaded, host="127.0.0.1", port=port)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{base}/history", params={"entity_id": "sensor.lot_free_spaces"}, headers=headers
            ) as response,
        ):
            assert response.status == 200
            history = await response.json()
    finally:
        await hub.async_stop()
    assert [row["state"] for row in history["sensor.lot_free_spaces"]] == ["12"]
    assert history["sensor.lot_free_spaces"][0]["attributes"] == {"total": 20}
