"""Discovery fixtures: the integration on the hub's web app, mDNS on loopback, a REST client.

Multicast works on the loopback interface here, so the tests' own python-zeroconf
instances (the "cameras") and the hub's browser meet on 127.0.0.1 with no mocking.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from hub.core.bus import Event
from hub.core.hub import Hub
from hub.integrations.discovery import CONFIG_SCHEMA, async_setup
from hub.web import create_app, create_token
from tests.web.conftest import AiohttpClient

LOOPBACK = "127.0.0.1"


@pytest.fixture
def discovery_config() -> dict[str, Any]:
    """The `discovery:` block; tests override it (ONVIF target, announcing)."""
    return {"interfaces": [LOOPBACK], "onvif": False, "announce": False}


@pytest.fixture
def discovered(hub: Hub) -> list[Event]:
    """`device_discovered` events, collected from before discovery starts."""
    events: list[Event] = []
    hub.bus.async_listen("device_discovered", events.append)
    return events


@pytest.fixture
async def discovery_app(
    hub: Hub, discovery_config: dict[str, Any], discovered: list[Event]
) -> web.Application:
    """The hub's web app with discovery set up on it (routes go on before it serves)."""
    app = create_app(hub)
    await async_setup(hub, CONFIG_SCHEMA(discovery_config))
    return app


@pytest.fixture
async def api_client(
    hub: Hub, discovery_app: web.Application, aiohttp_client: AiohttpClient
) -> TestClient[Any, Any]:
    """An admin's client on that app."""
    token = await asyncio.to_thread(create_token, hub.data_dir, "admin")
    return await aiohttp_client(discovery_app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def lan() -> AsyncIterator[AsyncZeroconf]:
    """Another mDNS host on loopback: where the tests' cameras announce themselves."""
    azc = AsyncZeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
    yield azc
    await azc.async_unregister_all_services()
    await azc.async_close()
