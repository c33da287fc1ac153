"""GET /metrics: who may scrape, and the numbers a lot owner's Prometheus sees."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from hub.bootstrap import async_build_hub, load
from hub.core.hub import Hub
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from hub.web import create_app, create_token
from hub.yaml_loader import ConfigError
from tests.mqtt_broker import free_port

from .conftest import AiohttpClient, connect_ws

Client = TestClient[Any, Any]
METRICS_TOKEN = "scrape-me-please-0123456789"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """`{(sample name, labels): value}` of a Prometheus text exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[name, frozenset(labels.items())]


async def _scrape(client: Client, token: str) -> Any:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    return samples(await response.text())


async def test_metrics_count_what_the_hub_does(hub: Hub, api_client: Client, token: str) -> None:
    await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir))
    before = await _scrape(api_client, token)
    hub.states.async_set("sensor.free", "10")
    hub.states.async_set("sensor.free", "10")  # a no-op is not a change
    hub.states.async_set("sensor.free", "9")
    hub.bus.async_fire("lot_note")
    ws = await connect_ws(api_client, token)
    for _ in range(3):
        assert (await api_client.get("/api/states/sensor.free")).status == 200

    after = await _scrape(api_client, token)

    changes = "parkhub_state_changes_total"
    assert value(after, changes) - value(before, changes) == 2
    assert value(after, "parkhub_events_total") > value(before, "parkhub_events_total")
    assert value(after, "parkhub_entities") == 1
    assert value(after, "parkhub_websocket_clients") == 1
    assert value(after, "parkhub_queue_length", queue="websocket_out") == 0
    assert ("parkhub_queue_length", frozenset({("queue", "recorder")})) in after
    route = {"method": "GET", "route": "/api/states/{entity_id}", "status": "200"}
    assert value(after, "parkhub_http_request_duration_seconds_count", **route) == 3
    await ws.close()


async def test_metrics_need_an_admin_or_the_metrics_token(
    hub: Hub, aiohttp_client: AiohttpClient, token: str
) -> None:
    app: web.Application = create_app(hub, metrics_token=METRICS_TOKEN)
    client = await aiohttp_client(app)
    operator = await asyncio.to_thread(create_token, hub.data_dir, "attendant", "operator")

    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    denied = await client.get("/metrics", headers={"Authorization": f"Bearer {operator}"})
    assert denied.status == 403
    assert await denied.json() == {"error": "metrics are for admins and the metrics token"}
    assert await _scrape(client, METRICS_TOKEN)
    assert await _scrape(client, token)
    # The metrics token reaches /metrics and nothing else.
    api = await client.get("/api/states", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert api.status == 401


async def test_metrics_token_from_config_yaml(tmp_path: Path) -> None:
    """`metrics: token:` in config.yaml is what Prometheus scrapes with; a short one is a
    config error with its line, like every other."""
    config = tmp_path / "config.yaml"
    await asyncio.to_thread(config.write_text, f"metrics:\n  token: {METRICS_TOKEN}\n")
    loaded = await asyncio.to_thread(load, config)
    port = free_port()
    hub = await async_build_hub(loaded, host="127.0.0.1", port=port)
    try:
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            assert "parkhub_events_total" in await response.text()
    finally:
        await hub.async_stop()

    await asyncio.to_thread(config.write_text, "metrics:\n  token: short\n")
    with pytest.raises(ConfigError, match=r"config\.yaml:2: metrics\.token: use at least 16"):
        await asyncio.to_thread(load, config)
