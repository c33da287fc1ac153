"""Home Assistant's extra routes and WS commands: shapes, roles, and errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from hub.web import create_token
from hub.web.openapi import build_openapi
from tests.conftest import Clock

from .conftest import WSClient, connect_ws
from .openapi_check import check_openapi

Client = TestClient[Any, Any]


async def _operator_token(hub: Hub) -> str:
    return await asyncio.to_thread(create_token, hub.data_dir, "attendant", "operator")


async def test_config_and_components(hub: Hub, api_client: Client) -> None:
    hub.components.update({"gate", "camera"})

    config = await (await api_client.get("/api/config")).json()
    components = await (await api_client.get("/api/components")).json()

    assert config["location_name"] == "ParkHub"
    assert config["state"] == "RUNNING"
    assert config["components"] == components == ["api", "camera", "gate", "http", "websocket_api"]


async def test_template_renders_for_admins_only(
    hub: Hub, api_client: Client, raw_client: Client
) -> None:
    hub.states.async_set("sensor.free", "12")
    body = {"template": "{{ states('sensor.free') | int + n }}", "variables": {"n": 1}}

    response = await api_client.post("/api/template", json=body)
    assert (response.status, await response.text()) == (200, "13")
    assert response.content_type == "text/plain"

    bad = await api_client.post("/api/template", json={"template": "{{ 1 / 0 }}"})
    assert bad.status == 400
    assert "ZeroDivisionError" in (await bad.json())["error"]

    operator = {"Authorization": f"Bearer {await _operator_token(hub)}"}
    denied = await raw_client.post("/api/template", json=body, headers=operator)
    assert denied.status == 403
    assert await denied.json() == {"error": "POST /api/template needs the admin role"}


async def test_history_period_in_home_assistant_shape(
    hub: Hub, clock: Clock, api_client: Client
) -> None:
    await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir))
    start = clock.now().isoformat()
    hub.states.async_set("sensor.free", "10", {"total": 40})
    hub.states.async_set("gate.entry", "closed")
    await clock.advance(minutes=5)
    hub.states.async_set("sensor.free", "9", {"total": 40})
    hub.states.async_set("sensor.free", "8", {"total": 40})
    await clock.advance(minutes=5)

    response = await api_client.get(
        f"/api/history/period/{start}",
        params={"filter_entity_id": "sensor.free,gate.entry", "minimal_response": ""},
    )

    assert response.status == 200
    free, gate = await response.json()
    assert [s["state"] for s in free] == ["10", "9", "8"]
    assert free[0]["attributes"] == {"total": 40}
    assert set(free[1]) == {"state", "last_changed"}
    assert [(s["entity_id"], s["state"]) for s in gate] == [("gate.entry", "closed")]

    bad = await api_client.get("/api/history/period/yesterday")
    assert bad.status == 400
    assert await bad.json() == {"error": "start: not an ISO 8601 time: 'yesterday'"}


async def test_ws_commands_home_assistant_clients_send(hub: Hub, ws_client: WSClient) -> None:
    hub.services.async_register("gate", "open", lambda call: None, description="Open")

    msg_id = await ws_client.send_command(type="supported_features", features={"coalesce": 1})
    assert (await ws_client.receive_result(msg_id))["success"] is True
    msg_id = await ws_client.send_command(type="get_services")
    services = (await ws_client.receive_result(msg_id))["result"]
    assert services["gate"]["open"]["description"] == "Open"

    seen: list[Any] = []
    hub.bus.async_listen("lot_note", seen.append)
    msg_id = await ws_client.send_command(
        type="fire_event", event_type="lot_note", event_data={"a": 1}
    )
    result = (await ws_client.receive_result(msg_id))["result"]
    assert [(e.data, e.context.id) for e in seen] == [({"a": 1}, result["context"]["id"])]

    msg_id = await ws_client.send_command(type="fire_event", event_type="state_changed")
    error = (await ws_client.receive_result(msg_id))["error"]
    assert error["message"] == "state_changed events can only be fired by the hub itself"

    # return_response false: HA clients take any response as a protocol error.
    hub.services.async_register("parking", "quote", lambda call: {"fee": 1})
    msg_id = await ws_client.send_command(
        type="call_service", domain="parking", service="quote", return_response=False
    )
    assert "response" not in (await ws_client.receive_result(msg_id))["result"]


async def test_ws_fire_event_is_for_admins(hub: Hub, raw_client: Client) -> None:
    operator = await connect_ws(raw_client, await _operator_token(hub))
    msg_id = await operator.send_command(type="fire_event", event_type="lot_note")

    error = (await operator.receive_result(msg_id))["error"]
    assert error == {"code": "unauthorized", "message": "firing events is for admins only"}
    await operator.close()


async def test_openapi_covers_every_route(
    hub: Hub, app: web.Application, api_client: Client
) -> None:
    response = await api_client.get("/api/openapi.json")

    assert response.status == 200
    document = await response.json()
    await asyncio.to_thread(check_openapi, app, document)  # the validator reads files
    post_state = document["paths"]["/api/states/{entity_id}"]["post"]
    body = post_state["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["state"]  # from STATE_BODY_SCHEMA, the one the route uses
    assert post_state["security"] == [{"bearer": []}, {"cookie": []}]
    history = document["paths"]["/api/history/period/{start}"]["get"]
    names = [parameter["name"] for parameter in history["parameters"]]
    assert names[:3] == ["start", "filter_entity_id", "end_time"]
    assert document["paths"]["/api/template"]["post"]["x-role"] == "admin"


async def test_openapi_names_an_undocumented_route(hub: Hub, app: web.Application) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/api/undescribed", handler)

    with pytest.raises(AssertionError, match="GET /api/undescribed"):
        await asyncio.to_thread(check_openapi, app, build_openapi(app))
