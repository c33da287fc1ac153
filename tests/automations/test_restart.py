"""End to end through bootstrap: traces served over HTTP and kept across a restart, and an
automation turned off stays off."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from hub.bootstrap import async_build_hub, load
from hub.core.hub import Hub
from hub.web import create_token

CONFIG = """
hub:
  name: Restart test
automation:
  - id: count_cars
    alias: Count cars
    triggers:
      - trigger: event
        event_type: car
    conditions: "{{ trigger.event.data.n != 0 }}"
    actions:
      - event: counted
        event_data: {n: "{{ trigger.event.data.n }}"}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start(config_dir: Path, port: int) -> Hub:
    loaded = await asyncio.to_thread(load, config_dir / "config.yaml")
    return await async_build_hub(loaded, host="127.0.0.1", port=port)


async def test_traces_and_state_survive_a_restart(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "config.yaml").write_text, CONFIG)
    port = free_port()
    hub = await start(tmp_path, port)
    for n in range(12):
        hub.bus.async_fire("car", {"n": n})
    await hub.async_block_till_done()
    await hub.services.async_call("automation", "turn_off", {"entity_id": "automation.count_cars"})
    await hub.async_stop()

    token = await asyncio.to_thread(create_token, tmp_path / "data", "test")
    hub = await start(tmp_path, port)
    try:
        state = hub.states.get("automation.count_cars")
        assert state is not None
        assert state.state == "off"
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = f"http://127.0.0.1:{port}/api/automations/count_cars/traces"
            async with session.get(url) as response:
                assert response.status == 200
                traces = await response.json()
            async with session.get(url.replace("count_cars", "automation.count_cars")) as again:
                assert await again.json() == traces  # the entity id works too
            async with session.get(url.replace("count_cars", "nope")) as missing:
                assert missing.status == 404
                assert await missing.json() == {"error": "no automation 'nope'"}
    finally:
        await hub.async_stop()

    assert len(traces) == 10  # the last 10 runs, newest first
    assert [t["trigger"]["event"]["data"]["n"] for t in traces] == list(range(11, 1, -1))
    newest = traces[0]
    assert newest["execution"] == "finished"
    assert newest["conditions"] == [
        {"path": "condition/0", "result": True},
        {"path": "condition", "result": True},
    ]
    assert newest["steps"][0]["path"] == "action/0"
    assert newest["steps"][0]["result"] == {"event": "counted", "data": {"n": 11}}
    assert newest["context"]["parent_id"] == newest["trigger_context"]["id"]
