"""Fixtures for the mqtt tests: the integration set up against a real broker.

`mqtt_config` (override with parametrize) -> `setup_mqtt` (a factory) -> `mqtt_hub`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.integrations import mqtt
from tests.mqtt_broker import MosquittoBroker

SetupMqtt = Callable[..., Awaitable[None]]


@pytest.fixture
def mqtt_config(mosquitto: MosquittoBroker) -> dict[str, Any]:
    return {"broker": mosquitto.url, "client_id": "parkhub-test"}


@pytest.fixture
def setup_mqtt(hub: Hub, mqtt_config: dict[str, Any]) -> SetupMqtt:
    async def setup(**overrides: Any) -> None:
        await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({**mqtt_config, **overrides}))
        async with asyncio.timeout(5):
            await mqtt.async_wait_connected(hub)

    return setup
