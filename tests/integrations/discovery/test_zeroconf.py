"""Cameras announced over mDNS are found, listed and adopted; the hub announces itself."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from hub import __version__
from hub.core.bus import Event
from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.integrations.discovery.mdns import device_from_service

from .conftest import LOOPBACK

FOUND_TIMEOUT = 10.0
# Loopback multicast is shared by every process on the machine: a suffix of this run's own
# keeps two test runs at once from claiming the same mDNS names.
RUN = str(os.getpid() % 10000)


def camera_service(
    service_type: str, name: str, port: int, properties: dict[str, str]
) -> AsyncServiceInfo:
    return AsyncServiceInfo(
        service_type,
        f"{name}.{service_type}",
        addresses=[socket.inet_aton(LOOPBACK)],
        port=port,
        properties=properties,
        server=f"{name.lower().replace(' ', '-')}.local.",
    )


async def wait_for_device(hub: Hub, device_id: str) -> Event:
    found = asyncio.get_running_loop().create_future()

    def listener(event: Event) -> None:
        if event.data["id"] == device_id and not found.done():
            found.set_result(event)

    unsubscribe = hub.bus.async_listen("device_discovered", listener)
    try:
        event: Event = await asyncio.wait_for(found, FOUND_TIMEOUT)
    finally:
        unsubscribe()
    return event


async def test_rtsp_camera_is_found_and_adopted(
    hub: Hub, lan: AsyncZeroconf, api_client: TestClient[Any, Any]
) -> None:
    waiting = asyncio.ensure_future(wait_for_device(hub, f"zeroconf_entry_cam_{RUN}"))
    await lan.async_register_service(
        camera_service("_rtsp._tcp.local.", f"Entry Cam {RUN}", 8554, {"path": "/live"})
    )
    event = await waiting
    assert event.data["urls"] == {"rtsp": "rtsp://127.0.0.1:8554/live"}

    listing = await (await api_client.get("/api/discovery")).json()
    (device,) = [d for d in listing["devices"] if d["id"] == f"zeroconf_entry_cam_{RUN}"]
    assert device["name"] == f"Entry Cam {RUN}"
    assert device["source"] == "zeroconf"
    assert device["adopted"] is None

    response = await api_client.post(f"/api/discovery/zeroconf_entry_cam_{RUN}/adopt")
    assert response.status == 201, await response.text()
    camera = {
        "id": f"entry_cam_{RUN}",
        "name": f"Entry Cam {RUN}",
        "source": "rtsp",
        "url": event.data["urls"]["rtsp"],
    }
    assert (await response.json()) == {"camera": camera}
    stored = json_loads(await asyncio.to_thread((hub.data_dir / "cameras_adopted.json").read_bytes))
    assert stored == {"cameras": [camera]}
    listing = await (await api_client.get("/api/discovery")).json()
    adopted = [d["adopted"] for d in listing["devices"] if d["id"] == f"zeroconf_entry_cam_{RUN}"]
    assert adopted == [f"entry_cam_{RUN}"]
    again = await api_client.post(f"/api/discovery/zeroconf_entry_cam_{RUN}/adopt")
    assert again.status == 400
    assert f"already adopted as camera 'entry_cam_{RUN}'" in (await again.json())["error"]


async def test_http_services_count_only_with_camera_hints(
    hub: Hub, lan: AsyncZeroconf, api_client: TestClient[Any, Any]
) -> None:
    await lan.async_register_service(
        camera_service("_http._tcp.local.", f"Office Printer {RUN}", 631, {"rp": "ipp/print"})
    )
    waiting = asyncio.ensure_future(wait_for_device(hub, f"zeroconf_yard_cam_{RUN}"))
    await lan.async_register_service(
        camera_service(
            "_http._tcp.local.",
            f"Yard Cam {RUN}",
            8080,
            {"mjpeg": "/video.mjpg", "snapshot": "snap.jpg"},
        )
    )
    event = await waiting
    assert event.data["urls"] == {
        "mjpeg": "http://127.0.0.1:8080/video.mjpg",
        "snapshot": "http://127.0.0.1:8080/snap.jpg",
    }
    await hub.async_block_till_done()  # the printer's details have arrived too by now
    listing = await (await api_client.get("/api/discovery")).json()
    # Other test runs' cameras may be listed too: look only at the two announced here.
    ours = (f"Office Printer {RUN}", f"Yard Cam {RUN}")
    assert [d["name"] for d in listing["devices"] if d["name"] in ours] == [f"Yard Cam {RUN}"]

    response = await api_client.post(
        f"/api/discovery/zeroconf_yard_cam_{RUN}/adopt", json={"source": "snapshot", "name": "Yard"}
    )
    assert (await response.json())["camera"] == {
        "id": "yard",
        "name": "Yard",
        "source": "snapshot",
        "url": "http://127.0.0.1:8080/snap.jpg",
    }


@pytest.mark.parametrize(
    ("service_type", "properties", "urls"),
    [
        ("_rtsp._tcp.local.", {}, {"rtsp": "rtsp://10.0.0.5:554/"}),
        (
            "_axis-video._tcp.local.",
            {"macaddress": "00408c123456"},
            {
                "rtsp": "rtsp://10.0.0.5:554/axis-media/media.amp",
                "mjpeg": "http://10.0.0.5:554/axis-cgi/mjpg/video.cgi",
                "snapshot": "http://10.0.0.5:554/axis-cgi/jpg/image.cgi",
            },
        ),
        ("_http._tcp.local.", {"model": "IPCam HD"}, {}),
        ("_http._tcp.local.", {"path": "/"}, None),
    ],
)
def test_device_from_service(
    service_type: str, properties: dict[str, str], urls: dict[str, str] | None
) -> None:
    device = device_from_service(service_type, f"Cam.{service_type}", "10.0.0.5", 554, properties)
    if urls is None:
        assert device is None
    else:
        assert device is not None
        assert device.urls == urls


@pytest.mark.parametrize(
    "discovery_config",
    [{"interfaces": [LOOPBACK], "onvif": False, "zeroconf": False, "announce": True}],
)
async def test_hub_announces_itself(hub: Hub, api_client: TestClient[Any, Any]) -> None:
    browser_zc = AsyncZeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added and not found.done():
            found.set_result(name)

    browser = AsyncServiceBrowser(
        browser_zc.zeroconf, ["_parkhub._tcp.local."], handlers=[on_change]
    )
    try:
        name = await asyncio.wait_for(found, FOUND_TIMEOUT)
        info = AsyncServiceInfo("_parkhub._tcp.local.", name)
        assert await info.async_request(browser_zc.zeroconf, 3000)
    finally:
        await browser.async_cancel()
        await browser_zc.async_close()
    assert name == f"{hub.config.name}._parkhub._tcp.local."
    assert info.port == hub.config.port
    assert info.parsed_addresses(IPVersion.V4Only) == [LOOPBACK]
    assert info.properties[b"version"] == __version__.encode()
    assert info.properties[b"api"] == b"/api/"
