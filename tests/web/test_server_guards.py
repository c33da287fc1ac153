"""Finding 11 and 13: a header read timeout, a cap on unauthenticated connections, and
JSON for the errors aiohttp raises before the application (a URL over 8 KB). A real
server on loopback, spoken to over raw sockets as a slow or hostile client would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from hub.core.hub import Hub
from hub.web import create_app, create_token
from hub.web.app import async_serve, bind_socket
from hub.web.server import HEADER_TIMEOUT, MAX_URL_LENGTH, ConnectionGuard, HubAppRunner

TIMEOUT = 0.5  # the guard's header timeout in these tests (10 s in the hub)
LIMIT = 5


@dataclass
class Server:
    port: int
    guard: ConnectionGuard
    token: str


@pytest.fixture
async def server(hub: Hub) -> AsyncIterator[Server]:
    token = await asyncio.to_thread(create_token, hub.data_dir, "guard test")
    guard = ConnectionGuard(limit=LIMIT, timeout=TIMEOUT)
    runner = HubAppRunner(create_app(hub), guard, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    sock = await asyncio.to_thread(bind_socket, "127.0.0.1", 0)
    await web.SockSite(runner, sock).start()
    try:
        yield Server(sock.getsockname()[1], guard, token)
    finally:
        await runner.cleanup()


async def request(port: int, raw: bytes, within: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes): status, headers, body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        async with asyncio.timeout(within):
            data = await reader.read()
    finally:
        writer.close()
    return parse(data)


def parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def get(path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: hub\r\n{auth}Connection: close\r\n\r\n".encode()


def test_the_hub_waits_ten_seconds_for_headers() -> None:
    assert HEADER_TIMEOUT == 10.0
    assert ConnectionGuard().timeout == HEADER_TIMEOUT


async def test_half_sent_requests_are_closed_with_a_408(server: Server) -> None:
    """The issue's attack: requests whose headers never end. Each is closed at the
    timeout with a JSON 408, and the hub answers a real client throughout."""
    opened = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(LIMIT - 1)]
    for _reader, writer in opened:
        writer.write(b"GET /api/ HTTP/1.1\r\nHost: hub\r\nX-Slow: ")
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _, _ = await request(server.port, get("/api/", server.token))
    assert status == 200
    answers = []
    for reader, writer in opened:
        async with asyncio.timeout(TIMEOUT + 2):
            answers.append(parse(await reader.read()))
        writer.close()
    assert loop.time() - started < TIMEOUT + 2
    for status, headers, body in answers:
        assert status == 408
        assert headers["content-type"] == "application/json"
        assert "request headers not received within" in json.loads(body)["error"]
    assert server.guard.timed_out == LIMIT - 1


async def test_a_connection_that_sends_nothing_is_closed_too(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    async with asyncio.timeout(TIMEOUT + 2):
        status, _, _ = parse(await reader.read())
    writer.close()
    assert status == 408


async def test_unauthenticated_connections_are_capped(server: Server) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(LIMIT)]
    await asyncio.sleep(0.05)
    status, headers, body = await request(server.port, get("/api/"))
    assert status == 503
    assert headers["content-type"] == "application/json"
    assert "too many unauthenticated connections" in json.loads(body)["error"]
    # One of them authenticates (a keep-alive request with a token): a slot is free again.
    reader, writer = idle[0]
    writer.write(
        f"GET /api/ HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {server.token}\r\n\r\n".encode()
    )
    async with asyncio.timeout(2):
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    status, _, _ = await request(server.port, get("/api/", server.token))
    assert status == 200
    for _reader, writer in idle:
        writer.close()
    assert server.guard.refused == 1


@pytest.mark.parametrize("length", [MAX_URL_LENGTH + 1, 100_000])
async def test_a_url_over_8_kb_gets_json(server: Server, length: int) -> None:
    path = "/api/states/sensor." + "x" * length
    status, headers, body = await request(server.port, get(path, server.token))
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert "bytes" in json.loads(body)["error"]


async def test_a_malformed_request_gets_json(server: Server) -> None:
    status, headers, body = await request(server.port, b"GET\x00 / HTTP/1.1\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]


async def test_the_hubs_own_server_is_guarded(hub: Hub) -> None:
    """`async_start_web`, as `parkhub run` serves: the guards are on, with 10 s."""
    sock = await asyncio.to_thread(bind_socket, "127.0.0.1", 0)
    port = sock.getsockname()[1]
    runner = await async_serve(hub, create_app(hub), sock)
    assert isinstance(runner, HubAppRunner)
    assert runner.guard.timeout == HEADER_TIMEOUT
    status, headers, body = await request(port, get("/api/" + "x" * 9000))
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert "8192 bytes" in json.loads(body)["error"]


async def test_a_header_over_8_kb_gets_json(server: Server) -> None:
    raw = f"GET /api/ HTTP/1.1\r\nHost: hub\r\nX-Big: {'y' * 9000}\r\n\r\n".encode()
    status, headers, body = await request(server.port, raw)
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert "header" in json.loads(body)["error"]


async def test_an_idle_unauthenticated_keep_alive_connection_frees_its_slot(
    server: Server,
) -> None:
    """One 401 and then silence must not hold a slot of the cap for the keep-alive hour."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /api/ HTTP/1.1\r\nHost: hub\r\n\r\n")  # keep-alive, no token
    async with asyncio.timeout(2):
        assert (await reader.readline()).startswith(b"HTTP/1.1 401")
    async with asyncio.timeout(TIMEOUT + 2):
        await reader.read()  # the server closes it
    writer.close()
    assert not server.guard.unauthenticated


async def test_an_authenticated_keep_alive_connection_stays_open(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    request_bytes = (
        f"GET /api/ HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {server.token}\r\n\r\n"
    ).encode()
    for _ in range(2):
        writer.write(request_bytes)
        async with asyncio.timeout(2):
            status, _headers, _body = await read_response(reader)
        assert status == 200
        await asyncio.sleep(TIMEOUT * 1.5)  # idle past the unauthenticated limit
    writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One response from a kept-alive connection (Content-Length framed)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status, headers, _ = parse(head)
    return status, headers, await reader.readexactly(int(headers.get("content-length", 0)))
