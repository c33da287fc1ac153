"""ONVIF cameras by WS-Discovery: a SOAP Probe over UDP (port 3702), ProbeMatches back.

One UDP socket stays open while the hub runs; a probe goes out at start and then every
`onvif_interval`, and answers are taken whenever they arrive, if they relate to one of
our recent probes. The target is the WS-Discovery multicast group unless configured
(tests point it at a responder on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import uuid
from collections import deque
from collections.abc import Callable
from typing import Final
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from .const import SOURCE_ONVIF, WS_DISCOVERY_ADDRESS
from .models import DiscoveredDevice

__all__ = ["OnvifProber", "parse_probe_matches", "probe_message"]

_LOGGER = logging.getLogger(__name__)

NS: Final = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
}
MAX_DATAGRAM: Final = 65507
# Probes whose answers we still accept (answers come within seconds).
RECENT_PROBES: Final = 8

PROBE_TEMPLATE: Final = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" \
xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" \
xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" \
xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header>
<a:MessageID>{message_id}</a:MessageID>
<a:To s:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>
</s:Header>
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>
</s:Envelope>"""


def probe_message(message_id: str) -> bytes:
    return PROBE_TEMPLATE.format(message_id=message_id).encode()


def _scope(scopes: list[str], kind: str) -> str | None:
    prefix = f"onvif://www.onvif.org/{kind}/"
    for scope in scopes:
        if scope.startswith(prefix):
            return unquote(scope[len(prefix) :]).strip() or None
    return None


def parse_probe_matches(payload: bytes) -> tuple[str | None, list[DiscoveredDevice]]:
    """(the MessageID answered, the devices) of a ProbeMatches message.

    Raises ValueError for anything that is not well-formed WS-Discovery XML. Documents
    with a DTD are refused outright: no entity tricks from the network.
    """
    if b"<!DOCTYPE" in payload or b"<!ENTITY" in payload:
        raise ValueError("DTDs are not accepted")
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError as err:
        raise ValueError(f"malformed XML: {err}") from None
    relates_to = root.findtext("s:Header/a:RelatesTo", namespaces=NS)
    devices = []
    for match in root.iterfind("s:Body/d:ProbeMatches/d:ProbeMatch", NS):
        address = (match.findtext("a:EndpointReference/a:Address", "", NS) or "").strip()
        xaddrs = (match.findtext("d:XAddrs", "", NS) or "").split()
        scopes = (match.findtext("d:Scopes", "", NS) or "").split()
        if not address or not xaddrs:
            continue
        host = urlsplit(xaddrs[0]).hostname
        port = urlsplit(xaddrs[0]).port
        ident = re.sub(r"[^a-z0-9]+", "", address.lower().removeprefix("urn:uuid:"))[:32]
        name = _scope(scopes, "name") or (f"ONVIF camera {host}" if host else address)
        devices.append(
            DiscoveredDevice(
                id=f"onvif_{ident or 'device'}",
                source=SOURCE_ONVIF,
                name=name,
                host=host,
                port=port,
                model=_scope(scopes, "hardware"),
                properties={
                    "endpoint": address,
                    "xaddrs": " ".join(xaddrs),
                    "location": _scope(scopes, "location"),
                },
            )
        )
    return (relates_to.strip() if relates_to else None), devices


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple[str, int]], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("WS-Discovery socket error: %s", exc)


class OnvifProber:
    """Sends probes to `target` and reports each device that answers one of them."""

    def __init__(
        self, target: tuple[str, int], on_device: Callable[[DiscoveredDevice], None]
    ) -> None:
        self._target = target
        self._on_device = on_device
        self._transport: asyncio.DatagramTransport | None = None
        self._probes: deque[str] = deque(maxlen=RECENT_PROBES)

    async def async_start(self) -> None:
        loop = asyncio.get_running_loop()
        host = self._target[0]
        local = "127.0.0.1" if host.startswith("127.") else "0.0.0.0"
        transport, _protocol = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._on_datagram), local_addr=(local, 0), family=socket.AF_INET
        )
        if host == WS_DISCOVERY_ADDRESS:
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self._transport = transport

    def async_probe(self) -> None:
        if self._transport is None:
            return
        message_id = f"uuid:{uuid.uuid4()}"
        self._probes.append(message_id)
        self._transport.sendto(probe_message(message_id), self._target)

    def async_stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            relates_to, devices = parse_probe_matches(data)
        except ValueError as err:
            _LOGGER.debug("Ignoring a WS-Discovery datagram from %s: %s", addr[0], err)
            return
        if relates_to not in self._probes:
            _LOGGER.debug("Ignoring a WS-Discovery answer from %s to no probe of ours", addr[0])
            return
        for device in devices:
            self._on_device(device)
