"""The README's first command on the bundled config, as a new user runs it.

`parkhub run` (a real process) must print the onboarding code where the user sees it, and
`parkhub mqtt credentials` must give a barrier controller a login the embedded broker
takes: mosquitto_pub and mosquitto_sub with exactly what it printed, on loopback.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.bundled_config import write_test_config
from tests.mqtt_broker import free_port

_CODE = re.compile(r"Onboarding code: ([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})")
_BROKER = re.compile(r"broker: mqtt://([\d.]+):(\d+)")
_CONTROLLER = re.compile(r"controller: username (\S+)\s+password (\S+)")


def _mosquitto(tool: str, host: str, port: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [tool, "-h", host, "-p", port, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=20)


async def test_parkhub_run_shows_the_code_and_the_printed_broker_login_works(
    tmp_path: Path,
) -> None:
    config = await asyncio.to_thread(write_test_config, tmp_path, free_port(), free_port())
    data = tmp_path / "data"
    common = ("--config", str(config), "--data", str(data))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", *common, "--host", "127.0.0.1",
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None
    log: list[str] = []

    async def read_log() -> None:  # drain stderr, so the hub never blocks on a full pipe
        assert process.stderr is not None
        while line := await process.stderr.readline():
            log.append(line.decode(errors="replace"))

    reader = asyncio.create_task(read_log())
    try:
        async with asyncio.timeout(90):
            while not any("Serving on" in line for line in log):
                assert process.returncode is None, "".join(log)
                await asyncio.sleep(0.1)
        codes = [match[1] for line in log if (match := _CODE.search(line))]
        assert len(codes) == 1, "".join(log)
        [line] = [line for line in log if "Onboarding code" in line]
        assert " WARNING " in line  # shown at the default log level, not only with -v

        printed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "hub", "mqtt", "credentials", *common],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert printed.returncode == 0, printed.stderr
        broker, login = _BROKER.search(printed.stdout), _CONTROLLER.search(printed.stdout)
        assert broker is not None, printed.stdout
        assert login is not None, printed.stdout
        host, port = broker[1], broker[2]
        assert host == "127.0.0.1"
        user, password = login[1], login[2]

        # The README's controller: reads whether the hub is up, publishes its own state.
        status = await asyncio.to_thread(
            _mosquitto, "mosquitto_sub", host, port, "-u", user, "-P", password,
            "-t", "parkhub/status", "-C", "1", "-W", "15",
        )  # fmt: skip
        assert (status.returncode, status.stdout.strip()) == (0, "online"), status.stderr
        published = await asyncio.to_thread(
            _mosquitto, "mosquitto_pub", host, port, "-u", user, "-P", password,
            "-t", "barrier/entry/state", "-m", "closed", "-r", "-q", "1",
        )  # fmt: skip
        assert published.returncode == 0, published.stderr
        # Without the login, or with a wrong one, the broker refuses.
        anonymous = await asyncio.to_thread(
            _mosquitto, "mosquitto_pub", host, port, "-t", "barrier/entry/state", "-m", "x"
        )
        assert anonymous.returncode != 0
        wrong = await asyncio.to_thread(
            _mosquitto, "mosquitto_pub", host, port, "-u", user, "-P", password + "x",
            "-t", "barrier/entry/state", "-m", "x",
        )  # fmt: skip
        assert wrong.returncode != 0
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            await process.wait()
        await reader
    assert process.returncode == 0, "".join(log[-30:])
