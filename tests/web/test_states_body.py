"""`GET /api/states`: one body per state-machine version, gzip for clients that ask."""

from __future__ import annotations

import gzip
import json
from typing import Any

from aiohttp.test_utils import TestClient

from hub.core.hub import Hub

Client = TestClient[Any, Any]


async def _get(client: Client, encoding: str | None = None) -> tuple[bytes, dict[str, str]]:
    headers = {"Accept-Encoding": encoding} if encoding else {"Accept-Encoding": "identity"}
    response = await client.get("/api/states", headers=headers, auto_decompress=False)
    assert response.status == 200
    return await response.read(), dict(response.headers)


async def test_a_change_is_in_the_next_answer(hub: Hub, api_client: Client) -> None:
    hub.states.async_set("gate.entry", "closed")
    first, _ = await _get(api_client)
    again, _ = await _get(api_client)
    assert again == first
    hub.states.async_set("gate.entry", "open", {"last_plate": "KA01AB1234"})
    changed, _ = await _get(api_client)
    assert json.loads(changed)[0]["state"] == "open"
    assert json.loads(changed)[0]["attributes"] == {"last_plate": "KA01AB1234"}
    hub.states.async_remove("gate.entry")
    assert json.loads((await _get(api_client))[0]) == []


async def test_gzip_when_asked_for_and_worth_it(hub: Hub, api_client: Client) -> None:
    for index in range(300):
        hub.states.async_set(f"sensor.space_{index}", "on", {"confidence": 0.9, "since": None})
    plain, plain_headers = await _get(api_client)
    packed, headers = await _get(api_client, "gzip, deflate, br")
    assert "Content-Encoding" not in plain_headers
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed) == plain
    assert len(packed) * 5 < len(plain)
    # A change makes a new compressed body too.
    hub.states.async_set("sensor.space_0", "off")
    packed, _ = await _get(api_client, "gzip")
    assert json.loads(gzip.decompress(packed))[0]["state"] == "off"


async def test_small_bodies_are_not_compressed(hub: Hub, api_client: Client) -> None:
    hub.states.async_set("gate.entry", "closed")
    _, headers = await _get(api_client, "gzip")
    assert "Content-Encoding" not in headers
