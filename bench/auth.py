"""What access control costs: GET /api/states with and without it, and logins.

    python bench/auth.py --n 2000 --logins 40

Prints one JSON object. A fresh hub on a temporary data directory with the web app on
loopback and 60 states (20 slot sensors, a free-space sensor, gates and others).

- "states": GET /api/states over one keep-alive connection, p50/p95 in ms, for an admin
  token, a resident token (their filtered view), a resident's login cookie, and with the
  check off (`enforce = False`: no credential lookup, no policy), side by side.
- "check_us": the same lookups in-process, without HTTP: token validation plus the
  policy decision, and a cookie session plus the decision, in microseconds per request.
- "login": argon2id verification alone (ms, one core), and `POST /auth/login` end to end,
  one at a time and 4 at once (logins/s), with the worst loop stall seen meanwhile (ms),
  and the same ticker on the idle loop for 3 s (what the machine's other load costs):
  hashing runs in the executor, so the loop keeps serving.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from _common import peak_rss_mb

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.web import policy
from hub.web.access import ACCESS_KEY
from hub.web.app import async_serve, bind_socket, create_app
from hub.web.auth import TokenInfo, create_token
from hub.web.users import add_user, update_user, verify_password

PASSWORD = "a bench password"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


async def _get_many(url: str, n: int, **session_args: Any) -> dict[str, float]:
    samples = []
    async with aiohttp.ClientSession(**session_args) as session:
        for _ in range(20):  # warm the connection and caches
            async with session.get(url) as response:
                await response.read()
        for _ in range(n):
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            samples.append(time.perf_counter() - start)
    return _percentiles(samples)


async def _cookie_jar(base: str, name: str) -> aiohttp.CookieJar:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as session,
        session.post(
            base + "/auth/login", json={"username": name, "password": PASSWORD}
        ) as response,
    ):
        assert response.status == 200
    return jar


def _setup_accounts(data_dir: Path) -> dict[str, str]:
    add_user(data_dir, "ada", "admin", PASSWORD)
    add_user(data_dir, "rita", "resident", PASSWORD)
    update_user(data_dir, "rita", vehicles=["KA01AB1234"])
    for n in range(20):
        add_user(data_dir, f"user{n}", "resident", PASSWORD)
    return {
        "admin": create_token(data_dir, "bench admin", user="ada"),
        "resident": create_token(data_dir, "bench resident", user="rita"),
    }


async def _check_us(hub: Hub, app: Any, tokens: dict[str, str], n: int) -> dict[str, float]:
    access = app[ACCESS_KEY]
    rita = access.users.by_name("rita")
    # Stamped with the password hash, as a login does: a session dies with its password.
    cookie, _session = access.sessions.create(rita.id, rita.password)
    rule = policy.route_rule("GET", "/api/states")

    start = time.perf_counter()
    for _ in range(n):
        info = await access.tokens.async_validate(tokens["resident"])
        assert isinstance(info, TokenInfo)
        access.authorize(info, rule, what="GET /api/states")
    token_us = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for _ in range(n):
        found = access.sessions.get(cookie)
        assert found is not None
        principal = access.session_principal(found)
        assert principal is not None
        access.authorize(principal, rule, what="GET /api/states")
    cookie_us = (time.perf_counter() - start) / n * 1e6
    return {"token_us": round(token_us, 2), "cookie_us": round(cookie_us, 2)}


async def _idle_stall(seconds: float) -> float:
    """The worst stall of a 5 ms ticker on an idle loop: what the machine alone costs."""
    worst = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, time.perf_counter() - before - 0.005)
    return round(worst * 1000, 1)


async def _logins(base: str, count: int, parallel: int) -> dict[str, float]:
    stalls: list[float] = []
    done = False

    async def ticker() -> None:
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            stalls.append(time.perf_counter() - before - 0.005)

    async def one(session: aiohttp.ClientSession, name: str) -> None:
        async with session.post(
            base + "/auth/login", json={"username": name, "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()

    tick = asyncio.get_running_loop().create_task(ticker())
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for first in range(0, count, parallel):
            names = [f"user{(first + i) % 20}" for i in range(parallel)]
            await asyncio.gather(*(one(session, name) for name in names))
    elapsed = time.perf_counter() - start
    done = True
    await tick
    return {
        "parallel": parallel,
        "logins_per_s": round(count / elapsed, 1),
        "worst_loop_stall_ms": round(max(stalls) * 1000, 1),
    }


async def main(n: int, logins: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        tokens = await asyncio.to_thread(_setup_accounts, data_dir)
        hub = Hub(HubConfig(), config_dir=data_dir, data_dir=data_dir)
        for slot in range(20):
            hub.states.async_set(f"binary_sensor.demo_slot_{slot}", "off", {"plate": None})
        hub.states.async_set("sensor.demo_free_spaces", "20", {"total": 20})
        for entity in range(39):
            hub.states.async_set(f"sensor.other_{entity}", str(entity), {"unit": "x"})
        app = create_app(hub)
        sock = await hub.async_add_executor_job(bind_socket, "127.0.0.1", 0)
        port = sock.getsockname()[1]
        await async_serve(hub, app, sock)
        await hub.async_start()
        try:
            return await _measure(hub, app, data_dir, port, tokens, n, logins)
        finally:
            await hub.async_stop()


async def _measure(
    hub: Hub, app: Any, data_dir: Path, port: int, tokens: dict[str, str], n: int, logins: int
) -> dict[str, Any]:
    """Every figure, on the running hub."""
    base = f"http://127.0.0.1:{port}"
    url = base + "/api/states"
    bearer = {t: {"Authorization": f"Bearer {tokens[t]}"} for t in tokens}

    states = {
        "admin_token": await _get_many(url, n, headers=bearer["admin"]),
        "resident_token": await _get_many(url, n, headers=bearer["resident"]),
        "resident_cookie": await _get_many(url, n, cookie_jar=await _cookie_jar(base, "rita")),
    }
    app[ACCESS_KEY].enforce = False
    states["check_off"] = await _get_many(url, n, headers=bearer["admin"])
    app[ACCESS_KEY].enforce = True
    check = await _check_us(hub, app, tokens, n)

    stored = (await asyncio.to_thread((data_dir / "users.json").read_text)).split('"')
    digest = next(part for part in stored if part.startswith("$argon2id$"))
    verify = []
    for _ in range(10):
        start = time.perf_counter()
        await asyncio.to_thread(verify_password, digest, PASSWORD)
        verify.append(time.perf_counter() - start)
    login = {
        "argon2_verify_ms": {
            "min": round(min(verify) * 1000, 1),
            "median": round(statistics.median(verify) * 1000, 1),
        },
        "http": [await _logins(base, logins, 1), await _logins(base, logins, 4)],
        "idle_loop_worst_stall_ms": await _idle_stall(3.0),
    }
    return {
        "bench": "auth",
        "requests": n,
        "states": states,
        "check_us": check,
        "login": login,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="GET /api/states per case")
    parser.add_argument("--logins", type=int, default=40, help="logins per case")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.n, args.logins)), indent=2))
