"""ONVIF cameras answer a WS-Discovery probe from a responder on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import pytest
from aiohttp.test_utils import TestClient

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations.discovery.onvif import NS
from tests.conftest import Clock

from .conftest import LOOPBACK

MATCHES = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header>
<a:MessageID>uuid:3b1a2c1e-0000-4000-8000-00000000beef</a:MessageID>
<a:RelatesTo>{relates_to}</a:RelatesTo>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>
</s:Header>
<s:Body><d:ProbeMatches><d:ProbeMatch>
<a:EndpointReference><a:Address>urn:uuid:{uuid}</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Exit%20Cam
 onvif://www.onvif.org/hardware/DS-2CD2043 onvif://www.onvif.org/location/north</d:Scopes>
<d:XAddrs>http://127.0.0.1:8899/onvif/device_service</d:XAddrs>
<d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"""
CAMERA_UUID = "a1b2c3d4-0000-4000-8000-0123456789ab"


@dataclass
class Responder(asyncio.DatagramProtocol):
    """An ONVIF camera's WS-Discovery side: answers probes for video transmitters."""

    probes: list[str] = field(default_factory=list)
    transport: Any = None
    extra_answers: list[bytes] = field(default_factory=list)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        root = ElementTree.fromstring(data)
        assert (
            root.findtext("s:Body/d:Probe/d:Types", namespaces=NS) == "dn:NetworkVideoTransmitter"
        )
        message_id = root.findtext("s:Header/a:MessageID", namespaces=NS)
        assert message_id is not None
        self.probes.append(message_id)
        assert self.transport is not None
        for extra in self.extra_answers:
            self.transport.sendto(extra, addr)
        answer = MATCHES.format(relates_to=message_id, uuid=CAMERA_UUID)
        self.transport.sendto(answer.encode(), addr)


@pytest.fixture
async def responder() -> AsyncIterator[tuple[Responder, int]]:
    protocol = Responder(
        extra_answers=[
            b"not xml at all",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            MATCHES.format(relates_to="uuid:someone-else", uuid="ffff").encode(),
        ]
    )
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: protocol, local_addr=(LOOPBACK, 0), family=socket.AF_INET
    )
    yield protocol, transport.get_extra_info("sockname")[1]
    transport.close()


@pytest.fixture
def discovery_config(responder: tuple[Responder, int]) -> dict[str, Any]:
    return {
        "zeroconf": False,
        "announce": False,
        "onvif_target": f"{LOOPBACK}:{responder[1]}",
        "onvif_interval": "10m",
    }


async def test_onvif_camera_answers_the_probe(
    hub: Hub,
    clock: Clock,
    responder: tuple[Responder, int],
    discovered: list[Event],
    api_client: TestClient[Any, Any],
) -> None:
    found = discovered
    protocol, _port = responder
    for _ in range(200):
        if found:
            break
        await asyncio.sleep(0.01)
    (event,) = found
    assert {**event.data, "properties": None} == {
        "id": "onvif_a1b2c3d40000400080000123456789ab",
        "source": "onvif",
        "name": "Exit Cam",
        "kind": "camera",
        "host": "127.0.0.1",
        "port": 8899,
        "urls": {},
        "manufacturer": None,
        "model": "DS-2CD2043",
        "properties": None,
    }
    assert event.data["properties"]["location"] == "north"
    assert len(protocol.probes) == 1

    # Probed again every onvif_interval; a known device is not announced twice.
    await clock.advance(600)
    for _ in range(100):
        if len(protocol.probes) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(protocol.probes) == 2
    await asyncio.sleep(0.05)
    assert len(found) == 1

    device_id = event.data["id"]
    response = await api_client.post(f"/api/discovery/{device_id}/adopt")
    assert response.status == 400
    assert 'send {"source": "rtsp", "url": "rtsp://..."}' in (await response.json())["error"]
    response = await api_client.post(
        f"/api/discovery/{device_id}/adopt",
        json={"source": "rtsp", "url": "rtsp://127.0.0.1:554/Streaming/Channels/101"},
    )
    assert response.status == 201
    assert (await response.json())["camera"]["id"] == "exit_cam"
