"""How heavy `parkhub run` is on the bundled demo config: CPU and memory of the process.

    python bench/demo_hub.py --seconds 30 --viewers 2

Starts `parkhub run` on config.yaml (a temporary data dir, a free port), waits for the
API, then samples the process from /proc: CPU% (user+system over wall time) and resident
memory, first with nobody watching (the cameras idle: one frame each per 10 s), then with
`--viewers` MJPEG restream viewers on each demo camera (5 fps, JPEG-encoded per viewer)
plus a 1 fps frame consumer on the overhead camera's restream. Prints one JSON object;
the restream figures include the JPEG encoding, which is the bulk of the work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from _common import free_port

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _rss_mb(pid: int) -> tuple[float, float]:
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024)


def _measure(pid: int, seconds: float) -> dict[str, float]:
    cpu0, wall0 = _cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    cpu1, wall1 = _cpu_seconds(pid), time.monotonic()
    rss, peak = _rss_mb(pid)
    return {
        "cpu_percent": round(100 * (cpu1 - cpu0) / (wall1 - wall0), 1),
        "rss_mb": round(rss, 1),
        "peak_rss_mb": round(peak, 1),
    }


def _viewer(url: str, token: str, stop: threading.Event, counts: list[int]) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        while not stop.is_set():
            chunk = response.read1(65536)
            if not chunk:
                return
            counts[0] += chunk.count(b"--frame")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--viewers", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        token = (
            subprocess.run(
                [sys.executable, "-m", "hub", "token", "create", "bench", "--data", data],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=env,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub",
                "run",
                "--config",
                "config.yaml",
                "--data",
                data,
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    request = urllib.request.Request(
                        f"{base}/api/", headers={"Authorization": f"Bearer {token}"}
                    )
                    urllib.request.urlopen(request, timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit("parkhub run did not start") from None
                    time.sleep(0.3)
            started = _rss_mb(process.pid)[0]
            time.sleep(3)  # let the cameras render their first frames
            idle = _measure(process.pid, args.seconds)
            stop = threading.Event()
            counts: list[int] = [0]
            threads = [
                threading.Thread(
                    target=_viewer,
                    args=(
                        f"{base}/api/camera/camera.{cam}/stream.mjpeg?fps=5",
                        token,
                        stop,
                        counts,
                    ),
                    daemon=True,
                )
                for cam in ("overhead", "entry", "exit")
                for _ in range(args.viewers)
            ]
            for thread in threads:
                thread.start()
            time.sleep(2)
            counts[0] = 0
            watched = _measure(process.pid, args.seconds)
            watched["frames_per_second_served"] = round(counts[0] / args.seconds, 1)
            stop.set()
        finally:
            process.terminate()
            process.wait(30)
    print(
        json.dumps(
            {
                "seconds": args.seconds,
                "rss_after_start_mb": round(started, 1),
                "idle": idle,
                "viewers_per_camera": args.viewers,
                "watched": watched,
            }
        )
    )


if __name__ == "__main__":
    main()
