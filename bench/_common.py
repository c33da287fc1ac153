"""What every benchmark reports besides its own figures. Stdlib only: the Home Assistant
side imports it from its own virtualenv."""

from __future__ import annotations

import asyncio
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]  # the repository


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def free_port() -> int:
    """A TCP port free on loopback now (the benchmarks bind nothing else)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def start_mosquitto(folder: Path, extra: str = "") -> tuple[subprocess.Popen[bytes], int]:
    """A Mosquitto on loopback at a free port, config in `folder` (plus `extra` lines),
    answering before this returns."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} {LOOPBACK}\nallow_anonymous true\npersistence false\n{extra}")
    process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    for _ in range(250):
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.02)
    raise SystemExit("mosquitto did not start")


async def start_hub(folder: Path) -> asyncio.subprocess.Process:
    """`parkhub run` on `folder/config.yaml` (data in `folder/data`, from the repository
    root), answering before this returns. Its stderr is a pipe the caller must keep
    reading: a full pipe stalls the hub."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--config", str(folder / "config.yaml"),
        "--data", str(folder / "data"), "--host", LOOPBACK,
        stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert process.stderr is not None
    log = b""
    try:
        async with asyncio.timeout(60):
            while b"Serving on" not in log:
                line = await process.stderr.readline()
                if not line:
                    raise SystemExit(f"the hub exited: {log.decode()}")
                log += line
    except BaseException:
        if process.returncode is None:
            process.kill()
        await process.wait()
        raise
    return process
