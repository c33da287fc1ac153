"""What the panel's APIs cost: GET /api/states, WebSocket fan-out, the panel's first load.

    python bench/api.py                       # everything (about two minutes)
    python bench/api.py --skip-panel          # without Chromium

Prints one JSON object. The hub runs in a process of its own (this file with
`--serve`), so the load generator here does not share its loop or its GIL:

- "states": 1,000 entities shaped like a lot's (slot sensors with their attributes,
  about 400 bytes each), 50 concurrent keep-alive clients on `GET /api/states`, without
  and with `Accept-Encoding: gzip`: p50/p95 ms, requests/s, bytes per answer and the
  hub's CPU per request. The load generator is wrk (Debian `wrk`, 10 s) when installed,
  else ApacheBench (`apache2-utils`), else 50 aiohttp clients (which saturate first).
  The states do not change meanwhile, as in Home Assistant's side of the comparison in
  issue 14.
- "fanout": 500 WebSocket clients subscribed to every entity (`subscribe_entities`, with
  `coalesce_messages`, as the panel does), while the hub changes 1,000 states a second
  for 10 s (each new state is the time it was set): delivery latency p50/p99 over every
  message (each counted at its frame's oldest, an upper bound), messages lost (expected
  minus received, over all clients), clients dropped, the hub's CPU seconds meanwhile
  (against the load generator's, which shares the machine) and the hub's peak RSS.
- "panel": the demo hub (`parkhub run` on the bundled config), Chromium with an empty
  cache signed in, opening `/lot`: bytes transferred (all responses, and without the
  camera picture) and the time from navigation to the first space drawn.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:  # the load generator side never imports the hub
    from hub.core.hub import Hub

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHURN_ENTITIES = 100


# -- the hub side (--serve) ------------------------------------------------------------


def _populate(hub: Hub, count: int) -> None:
    """`count` states shaped like a lot's, and the entities the churn changes."""
    for index in range(count - CHURN_ENTITIES):
        lot, slot = divmod(index, 200)
        hub.states.async_set(
            f"binary_sensor.lot{lot}_slot_{slot:03d}",
            "on" if index % 3 else "off",
            {
                "confidence": 0.934,
                "since": "2026-12-07T08:15:02.123456+00:00",
                "plate": "KA01AB1234" if index % 3 else None,
                "reserved": False,
                "group": "resident" if index % 5 == 0 else "visitor",
                "device_class": "occupancy",
                "friendly_name": f"Lot {lot} slot {slot:03d}",
            },
        )
    for index in range(CHURN_ENTITIES):
        hub.states.async_set(f"sensor.bench_{index}", "0", {"friendly_name": f"Bench {index}"})


async def _churn(hub: Hub, rate: int, seconds: float) -> int:
    """`rate` changes a second for `seconds`, in 10 ms ticks; each state is its set time."""
    per_tick, tick = max(1, rate // 100), 0.01
    start = time.monotonic()
    done = 0
    while (elapsed := time.monotonic() - start) < seconds:
        due = min(int(elapsed / tick) + 1, int(seconds / tick)) * per_tick
        while done < due:
            hub.states.async_set(f"sensor.bench_{done % CHURN_ENTITIES}", f"{time.time():.6f}")
            done += 1
        await asyncio.sleep(tick - (time.monotonic() - start) % tick)
    while done < int(rate * seconds):  # the last tick's share, if the loop ended before it
        hub.states.async_set(f"sensor.bench_{done % CHURN_ENTITIES}", f"{time.time():.6f}")
        done += 1
    return done


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def _serve(data_dir: Path, entities: int) -> None:
    from _common import peak_rss_mb

    from hub.config import HubConfig
    from hub.core.hub import Hub
    from hub.web.app import async_serve, bind_socket, create_app
    from hub.web.auth import create_token
    from hub.web.users import add_user

    await asyncio.to_thread(add_user, data_dir, "ada", "admin", "a bench password")
    token = await asyncio.to_thread(create_token, data_dir, "bench", user="ada")
    hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
    app = create_app(hub)
    sock = await hub.async_add_executor_job(bind_socket, "127.0.0.1", 0)
    await async_serve(hub, app, sock)
    await hub.async_start()
    _populate(hub, entities)
    print("READY", sock.getsockname()[1], token, flush=True)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        if line[0] == "churn":
            done = await _churn(hub, int(line[1]), float(line[2]))
            print(json.dumps({"churned": done}), flush=True)
        elif line[0] == "stat":
            print(json.dumps({"rss_peak_mb": peak_rss_mb(), "cpu_s": _cpu_seconds()}), flush=True)
        else:
            break
    await hub.async_stop()


# -- the load generator ------------------------------------------------------------------


class HubProcess:
    def __init__(self, data_dir: Path, entities: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(data_dir), "--entities", str(entities)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT / "bench",
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().decode().split()
        assert ready, "the hub process printed nothing"
        assert ready[0] == "READY", ready
        self.url = f"http://127.0.0.1:{ready[1]}"
        self.token = ready[2]

    async def ask(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        answer = await asyncio.to_thread(self.process.stdout.readline)
        result: dict[str, Any] = json.loads(answer)
        return result

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


def _percentile(ordered: list[float] | array.array[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


_WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50 %f\\nP95 %f\\nREQUESTS %d\\nSECONDS %f\\nERRORS %d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.duration / 1e6, summary.errors.status + summary.errors.read + summary.errors.connect))
end
"""


async def _states_wrk(hub: HubProcess, clients: int, seconds: int, gzip: bool) -> dict[str, Any]:
    """The read through wrk (C, two threads, keep-alive): the load generator least likely
    to be what is measured, reading 400 KB answers at gigabytes a second."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    command = ["wrk", "-t2", f"-c{clients}", "-s", script.name]
    command += ["-H", f"Authorization: Bearer {hub.token}"]
    command += ["-H", f"Accept-Encoding: {'gzip' if gzip else 'identity'}"]
    url = hub.url + "/api/states"
    await asyncio.to_thread(subprocess.run, [*command, "-d2s", url], capture_output=True)
    cpu_before = (await hub.ask("stat"))["cpu_s"]
    done = await asyncio.to_thread(
        subprocess.run, [*command, f"-d{seconds}s", url], capture_output=True, check=True
    )
    cpu = (await hub.ask("stat"))["cpu_s"] - cpu_before
    await asyncio.to_thread(Path(script.name).unlink)
    figures = dict(line.split() for line in done.stdout.decode().splitlines()[-5:])
    requests = int(figures["REQUESTS"])
    assert int(figures["ERRORS"]) == 0, done.stdout.decode()
    size = len(await _one_answer(hub, gzip))
    return {
        "p50_ms": round(float(figures["P50"]), 2),
        "p95_ms": round(float(figures["P95"]), 2),
        "requests_per_s": round(requests / float(figures["SECONDS"])),
        "hub_cpu_ms_per_request": round(cpu / requests * 1000, 3),
        "bytes_per_answer": size,
        "load_generator": "wrk -t2",
    }


async def _one_answer(hub: HubProcess, gzip: bool) -> bytes:
    headers = {"Authorization": f"Bearer {hub.token}"}
    headers["Accept-Encoding"] = "gzip" if gzip else "identity"
    async with (
        aiohttp.ClientSession(headers=headers, auto_decompress=False) as session,
        session.get(hub.url + "/api/states") as response,
    ):
        return await response.read()


async def _states_ab(hub: HubProcess, clients: int, requests: int, gzip: bool) -> dict[str, Any]:
    """The same read through ApacheBench (C, keep-alive), so the load generator is not
    what is measured: 50 Python clients parsing 400 KB answers saturate before the hub."""
    command = ["ab", "-k", "-q", "-c", str(clients), "-n", str(requests)]
    command += ["-H", f"Authorization: Bearer {hub.token}"]
    command += ["-H", f"Accept-Encoding: {'gzip' if gzip else 'identity'}"]
    await asyncio.to_thread(  # warm-up: 200 requests, not measured
        subprocess.run,
        [*command[:5], "-n", "200", *command[7:], hub.url + "/api/states"],
        capture_output=True,
        check=True,
    )
    cpu_before = (await hub.ask("stat"))["cpu_s"]
    done = await asyncio.to_thread(
        subprocess.run, [*command, hub.url + "/api/states"], capture_output=True, check=True
    )
    cpu = (await hub.ask("stat"))["cpu_s"] - cpu_before
    text = done.stdout.decode()

    def figure(pattern: str) -> float:
        found = re.search(pattern, text, re.MULTILINE)
        assert found, f"{pattern!r} not in ab's output:\n{text}"
        return float(found.group(1))

    assert figure(r"^Failed requests:\s+(\d+)") == 0, text
    return {
        "p50_ms": figure(r"^\s+50%\s+(\d+)"),
        "p95_ms": figure(r"^\s+95%\s+(\d+)"),
        "requests_per_s": round(figure(r"^Requests per second:\s+([\d.]+)")),
        "hub_cpu_ms_per_request": round(cpu / requests * 1000, 3),
        "bytes_per_answer": round(figure(r"^Document Length:\s+(\d+)")),
        "load_generator": "ab (ApacheBench)",
    }


async def _states(hub: HubProcess, clients: int, requests: int, gzip: bool) -> dict[str, Any]:
    if shutil.which("wrk"):
        return await _states_wrk(hub, clients, 10, gzip)
    if shutil.which("ab"):
        return await _states_ab(hub, clients, requests, gzip)
    headers = {"Authorization": f"Bearer {hub.token}"}
    headers["Accept-Encoding"] = "gzip" if gzip else "identity"
    samples: list[float] = []
    sizes: list[int] = []
    left = requests

    async def client() -> None:
        nonlocal left
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(
            headers=headers, connector=connector, auto_decompress=False
        ) as session:
            for _ in range(3):  # warm up the connection
                async with session.get(hub.url + "/api/states") as response:
                    await response.read()
            await barrier.wait()
            while left > 0:
                left -= 1
                start = time.perf_counter()
                async with session.get(hub.url + "/api/states") as response:
                    body = await response.read()
                samples.append(time.perf_counter() - start)
                sizes.append(len(body))

    barrier = asyncio.Barrier(clients + 1)
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await barrier.wait()
    cpu_before = (await hub.ask("stat"))["cpu_s"]
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    cpu = (await hub.ask("stat"))["cpu_s"] - cpu_before
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(_percentile(ordered, 0.95) * 1000, 2),
        "requests_per_s": round(len(samples) / elapsed),
        "hub_cpu_ms_per_request": round(cpu / len(samples) * 1000, 3),
        "bytes_per_answer": round(statistics.mean(sizes)),
        "load_generator": "aiohttp (install apache2-utils for ab)",
    }


async def _fanout(hub: HubProcess, clients: int, rate: int, seconds: float) -> dict[str, Any]:
    latencies: array.array[float] = array.array("d")
    received = [0] * clients
    dropped = 0
    ready = asyncio.Event()
    connected = 0

    # The hub answers 503 while 256 connections have not authenticated (hub/web/server.py):
    # clients log in 100 at a time, as tabs reconnecting with backoff would.
    handshakes = asyncio.Semaphore(100)

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal dropped, connected
        await handshakes.acquire()
        async with session.ws_connect(hub.url + "/api/websocket", max_msg_size=0) as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": hub.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            handshakes.release()
            await ws.send_json(
                {"id": 1, "type": "supported_features", "features": {"coalesce_messages": 1}}
            )
            await ws.send_json({"id": 2, "type": "subscribe_entities"})
            initial = False
            while not initial:  # the result, then every state as one "a" message
                initial = b'"a":{' in (await ws.receive()).data.encode()
            connected += 1
            if connected == clients:
                ready.set()
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                now = time.time()
                data = message.data
                found = data.count('"s":"')
                if not found:
                    continue
                # A frame's first change is its oldest: its latency stands for every
                # change in the frame (an upper bound, cheap enough for 5 M messages).
                start = data.index('"s":"') + 5
                latency = now - float(data[start : data.index('"', start)])
                latencies.extend([latency] * found)
                received[index] += found
            dropped += 1  # only a socket the hub closed ends here (the bench cancels the rest)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(client(index, session)) for index in range(clients)]
        await asyncio.wait_for(ready.wait(), 300)
        hub_cpu = (await hub.ask("stat"))["cpu_s"]
        own_cpu = _cpu_seconds()
        churn = asyncio.create_task(hub.ask(f"churn {rate} {seconds}"))
        churned = (await churn)["churned"]
        deadline = time.monotonic() + 30  # let every client read what is on its way
        while min(received) < churned and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        _, late = await asyncio.wait(tasks, timeout=0)
        hub_cpu = (await hub.ask("stat"))["cpu_s"] - hub_cpu
        own_cpu = _cpu_seconds() - own_cpu
        for task in late:
            task.cancel()
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "changes": churned,
        "changes_per_s": rate,
        "latency_p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "latency_p99_ms": round(_percentile(ordered, 0.99) * 1000, 1) if ordered else None,
        "messages_lost": churned * clients - sum(received),
        "clients_dropped": dropped,
        "hub_cpu_s": round(hub_cpu, 2),
        "load_generator_cpu_s": round(own_cpu, 2),
        "hub_rss_peak_mb": (await hub.ask("stat"))["rss_peak_mb"],
    }


def _panel() -> dict[str, Any]:
    """First load of /lot in Chromium, signed in, on the demo hub."""
    from playwright.sync_api import sync_playwright

    from tests.frontend.panel_hub import CHROMIUM, CHROMIUM_ARGS, PanelHub

    with tempfile.TemporaryDirectory() as tmp:
        hub = PanelHub(Path(tmp))
        add_user = [sys.executable, "-m", "hub", "user", "add", "ada", "--role", "admin"]
        subprocess.run(
            [*add_user, "--password-stdin", "--config", str(hub.config)],
            input=b"a bench password\n",
            check=True,
            capture_output=True,
        )
        hub.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                context = browser.new_context(service_workers="block")
                login = {"username": "ada", "password": "a bench password"}
                context.request.post(hub.url + "/auth/login", data=login)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                sizes: dict[str, int] = {}
                urls: dict[str, str] = {}
                cdp.on(
                    "Network.responseReceived",
                    lambda e: urls.update({e["requestId"]: e["response"]["url"]}),
                )
                cdp.on(
                    "Network.loadingFinished",
                    lambda e: sizes.update({e["requestId"]: e["encodedDataLength"]}),
                )
                page.goto(hub.url + "/lot", wait_until="commit")
                page.wait_for_function(
                    """() => document.querySelector('ph-app')?.shadowRoot
                        ?.querySelector('ph-lot')?.shadowRoot?.querySelector('ph-lot-map')
                        ?.shadowRoot?.querySelector('[data-slot]')""",
                    polling="raf",
                )
                first_slot_ms = page.evaluate("() => performance.now()")
                page.wait_for_timeout(2000)  # the camera picture under the map, the rest
                picture = sum(
                    size for key, size in sizes.items() if "snapshot.jpg" in urls.get(key, "")
                )
                browser.close()
        finally:
            hub.stop()
    return {
        "first_slot_drawn_ms": round(first_slot_ms),
        "bytes_transferred": sum(sizes.values()),
        "bytes_without_camera_picture": sum(sizes.values()) - picture,
        "requests": len(sizes),
    }


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"load_average": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        hub = HubProcess(Path(tmp), args.entities)
        try:
            result["states"] = {
                "entities": args.entities,
                "clients": args.clients,
                "identity": await _states(hub, args.clients, args.requests, gzip=False),
                "gzip": await _states(hub, args.clients, args.requests, gzip=True),
            }
            result["fanout"] = await _fanout(hub, args.ws_clients, args.rate, args.seconds)
        finally:
            hub.stop()
    if not args.skip_panel:
        result["panel"] = await asyncio.to_thread(_panel)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--ws-clients", type=int, default=500)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip-panel", action="store_true")
    parser.add_argument("--only-panel", action="store_true")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve, args.entities))
        return
    if args.only_panel:
        print(json.dumps({"panel": _panel()}, indent=2))
        return
    print(json.dumps(asyncio.run(_main(args)), indent=2))


if __name__ == "__main__":
    main()
