"""`parkhub run` start-up: a stop asked for while integrations set up is a clean stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
from pathlib import Path

from .test_main import free_port

# A custom integration whose set-up waits (as the plate reader does while it loads its
# OCR models) until the test lets it finish, and which notes when the hub stops it.
SLOW_SETUP = """
import asyncio
from pathlib import Path

async def async_setup(hub, config):
    folder = Path(config["folder"])
    (folder / "setting-up").write_text("")
    while not (folder / "go-on").exists():
        await asyncio.sleep(0.05)

    def stopped(_event):
        (folder / "stopped-cleanly").write_text("")

    hub.bus.async_listen_once("hub_stop", stopped)
    return True
"""


async def _wait_for_file(path: Path, process: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        if await asyncio.to_thread(path.exists):
            return
        assert process.returncode is None, "the hub exited early"
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path.name} never appeared")


def _write_setup(tmp_path: Path) -> None:
    folder = tmp_path / "custom_integrations" / "slow_setup"
    folder.mkdir(parents=True)
    manifest = {"domain": "slow_setup", "name": "Slow set-up", "dependencies": []}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "__init__.py").write_text(SLOW_SETUP)
    (tmp_path / "config.yaml").write_text(
        textwrap.dedent(
            f"""\
            hub:
              name: Slow Lot
            slow_setup:
              folder: {tmp_path}
            """
        )
    )


async def test_sigterm_during_setup_stops_cleanly_once_setup_is_done(tmp_path: Path) -> None:
    await asyncio.to_thread(_write_setup, tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--host", "127.0.0.1", "--port", str(free_port()),
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        await _wait_for_file(tmp_path / "setting-up", process)
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert process.returncode is None  # not killed mid-set-up
        await asyncio.to_thread((tmp_path / "go-on").write_text, "")
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        returncode = await process.wait()  # at once: communicate() waited for the exit
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert returncode == 0, stderr.decode()
    assert b"Stop requested while starting" in stderr
    assert b"Slow Lot stopped" in stderr
    assert b"Traceback" not in stderr
    assert await asyncio.to_thread((tmp_path / "stopped-cleanly").exists)
