"""Camera throughput: N MJPEG cameras at 1280x720, decoded by the camera integration.

    python bench/camera.py --cameras 4 --fps 5 --seconds 20
    python bench/camera.py --cameras 4 --fps 25 --take 5   # the hub takes 5 of 25 fps

A local aiohttp server (its own thread and loop) streams pre-encoded 1280x720 JPEGs of
the demo lot at `--fps` per camera; the hub runs one camera per stream and one frame
subscriber per camera asking for `--take` frames a second (default: every frame). Prints
one JSON object: frames delivered per camera per second, frames the cameras dropped
(latest-frame semantics), the CPU cost per delivered frame, and this process's CPU% and
peak RSS (the server's share included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

import cv2
from _common import peak_rss_mb
from aiohttp import web

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations import camera
from hub.integrations.demo.lot import DemoLot


def _frames(count: int) -> list[bytes]:
    lot = DemoLot(
        seed=1,
        time_scale=10,
        arrivals_per_hour=30,
        mean_stay=2700,
        known_plates=(),
        returning_share=0,
        gates={},
        start=0.0,
        clock=time.time,
        gate_state=lambda _entity: None,
        time_zone=UTC,
    )
    return [
        cv2.imencode(".jpg", lot.render("overhead", 60.0 * n), [cv2.IMWRITE_JPEG_QUALITY, 80])[
            1
        ].tobytes()
        for n in range(count)
    ]


def _serve(
    frames: list[bytes], fps: float, port: int, ready: threading.Event, stop: threading.Event
) -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "multipart/x-mixed-replace; boundary=f"}
        )
        await response.prepare(request)
        n, start = 0, time.monotonic()
        while not stop.is_set():
            jpeg = frames[n % len(frames)]
            await response.write(
                b"--f\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                + jpeg
                + b"\r\n"
            )
            n += 1
            await asyncio.sleep(max(0.0, start + n / fps - time.monotonic()))
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/stream", stream)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.to_thread(stop.wait)
        await runner.cleanup()

    asyncio.run(main())


async def run(cameras: int, fps: float, take: float, seconds: float) -> dict[str, object]:
    frames = _frames(8)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=_serve, args=(frames, fps, port, ready, stop), daemon=True)
    server.start()
    ready.wait(10)
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(HubConfig(), config_dir=Path(tmp), data_dir=Path(tmp))
        entries = [
            {"id": f"cam{i}", "source": "mjpeg", "url": f"http://127.0.0.1:{port}/stream"}
            for i in range(cameras)
        ]
        await camera.async_setup(hub, camera.CONFIG_SCHEMA({"cameras": entries}))
        counts = dict.fromkeys(range(cameras), 0)

        def counter(i: int) -> camera.FrameCallback:
            def count(_frame: camera.Frame) -> None:
                counts[i] += 1

            return count

        for i in range(cameras):
            cam = await camera.async_get_camera(hub, f"camera.cam{i}")
            cam.async_subscribe_frames(counter(i), fps=take)
        await asyncio.sleep(2)  # connect and settle
        for i in counts:
            counts[i] = 0
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        delivered = dict(counts)
        dropped = 0
        for i in range(cameras):
            dropped += (await camera.async_get_camera(hub, f"camera.cam{i}")).dropped_frames
        await hub.async_stop()
    stop.set()
    server.join(5)
    total = sum(delivered.values())
    return {
        "cameras": cameras,
        "stream_fps": fps,
        "fps_taken": take,
        "resolution": "1280x720",
        "fps_delivered_per_camera": round(total / cameras / wall, 2),
        "dropped_frames": dropped,
        "cpu_percent": round(100 * cpu / wall, 1),
        "cpu_ms_per_frame": round(1000 * cpu / max(1, total), 2),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--take", type=float, default=0.0, help="fps each consumer asks")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(
        json.dumps(
            asyncio.run(run(args.cameras, args.fps, args.take or min(args.fps, 60), args.seconds))
        )
    )


if __name__ == "__main__":
    main()
