"""The list: devices other integrations announce, ignoring, adopting rules, restarts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.integrations.discovery.registry import DiscoveryRegistry
from hub.web import create_token

MQTT_CAMERA = {
    "source": "mqtt",
    "id": "mqtt_bay_cam",
    "name": "Bay camera",
    "kind": "camera",
    "urls": {"snapshot": "http://127.0.0.1:9000/snap.jpg"},
    "manufacturer": "Shelly",
}
MQTT_BARRIER = {"source": "mqtt", "id": "mqtt_barrier_1", "name": "Barrier", "kind": "barrier"}


@pytest.fixture
def discovery_config() -> dict[str, Any]:
    """No network here: devices arrive as events."""
    return {"zeroconf": False, "onvif": False, "announce": False}


async def listing(client: TestClient[Any, Any], query: str = "") -> list[dict[str, Any]]:
    devices: list[dict[str, Any]] = (await (await client.get(f"/api/discovery{query}")).json())[
        "devices"
    ]
    return devices


async def test_devices_announced_by_other_integrations(
    hub: Hub, api_client: TestClient[Any, Any]
) -> None:
    hub.bus.async_fire("device_discovered", MQTT_CAMERA)
    hub.bus.async_fire("device_discovered", MQTT_BARRIER)
    hub.bus.async_fire("device_discovered", {"source": "mqtt", "id": "Not A Slug"})
    assert [d["id"] for d in await listing(api_client)] == ["mqtt_barrier_1", "mqtt_bay_cam"]

    response = await api_client.post("/api/discovery/mqtt_barrier_1/adopt")
    assert response.status == 400
    assert "is a barrier; only cameras" in (await response.json())["error"]
    response = await api_client.post("/api/discovery/mqtt_bay_cam/adopt", json={"id": "Bad Id"})
    assert response.status == 400
    assert "invalid body: id: invalid slug" in (await response.json())["error"]
    response = await api_client.post(
        "/api/discovery/mqtt_bay_cam/adopt", json={"source": "rtsp", "url": "http://h/x"}
    )
    assert response.status == 400
    assert "source 'rtsp' needs an rtsp:// URL" in (await response.json())["error"]
    response = await api_client.post("/api/discovery/nope/adopt")
    assert response.status == 404
    response = await api_client.post("/api/discovery/mqtt_bay_cam/adopt")
    assert (await response.json())["camera"] == {
        "id": "bay_camera",
        "name": "Bay camera",
        "source": "snapshot",
        "url": "http://127.0.0.1:9000/snap.jpg",
    }


async def test_ignore_hides_and_survives_a_restart(
    hub: Hub, api_client: TestClient[Any, Any]
) -> None:
    hub.bus.async_fire("device_discovered", MQTT_CAMERA)
    response = await api_client.post("/api/discovery/mqtt_bay_cam/ignore")
    assert (await response.json()) == {"id": "mqtt_bay_cam", "ignored": True}
    assert await listing(api_client) == []
    (hidden,) = await listing(api_client, "?all=1")
    assert hidden["ignored"] is True

    stored = json_loads(await asyncio.to_thread((hub.data_dir / "discovery.json").read_bytes))
    assert stored == {"ignored": ["mqtt_bay_cam"], "adopted": {}}
    fresh = DiscoveryRegistry(hub)
    await fresh.async_load()
    assert fresh.ignored == {"mqtt_bay_cam"}

    response = await api_client.post("/api/discovery/mqtt_bay_cam/ignore", json={"ignore": False})
    assert (await response.json())["ignored"] is False
    assert [d["id"] for d in await listing(api_client)] == ["mqtt_bay_cam"]


async def test_residents_cannot_adopt(hub: Hub, api_client: TestClient[Any, Any]) -> None:
    hub.bus.async_fire("device_discovered", MQTT_CAMERA)
    token = await asyncio.to_thread(create_token, hub.data_dir, "phone", "resident")
    response = await api_client.post(
        "/api/discovery/mqtt_bay_cam/adopt", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 403


async def test_adopted_ids_stay_unique(hub: Hub, api_client: TestClient[Any, Any]) -> None:
    for number in (1, 2):
        hub.bus.async_fire(
            "device_discovered", {**MQTT_CAMERA, "id": f"mqtt_cam_{number}", "name": "Gate"}
        )
    ids = []
    for number in (1, 2):
        response = await api_client.post(f"/api/discovery/mqtt_cam_{number}/adopt")
        ids.append((await response.json())["camera"]["id"])
    assert ids == ["gate", "gate_2"]
    stored = json_loads(await asyncio.to_thread((hub.data_dir / "cameras_adopted.json").read_bytes))
    assert [camera["id"] for camera in stored["cameras"]] == ["gate", "gate_2"]
