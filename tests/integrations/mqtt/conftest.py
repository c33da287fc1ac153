"""Fixtures for the mqtt tests: the integration set up against a real broker.

`broker` (Mosquitto or the hub's embedded amqtt broker; parametrized) -> `mqtt_config`
(override per module) -> `setup_mqtt` (a factory taking config overrides).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.integrations import mqtt
from tests.mqtt_broker import TEST_ACCOUNT, MosquittoBroker, free_port

from .nodes_support import make_hub

__all__ = ["make_hub"]  # the worker-node tests' hubs (nodes_support.py)

SetupMqtt = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class BrokerUnderTest:
    kind: str
    port: int
    config: dict[str, Any]


@pytest.fixture(params=["mosquitto", "embedded"])
def broker(request: pytest.FixtureRequest) -> BrokerUnderTest:
    """Each flow runs twice: against Mosquitto, and against the hub's embedded broker."""
    if request.param == "mosquitto":
        mosquitto: MosquittoBroker = request.getfixturevalue("mosquitto")
        return BrokerUnderTest("mosquitto", mosquitto.port, {"broker": mosquitto.url})
    port = free_port()
    return BrokerUnderTest(
        "embedded",
        port,
        {
            "broker": "embedded",
            "embedded": {"host": "127.0.0.1", "port": port, "users": [TEST_ACCOUNT]},
        },
    )


@pytest.fixture
def mqtt_config(broker: BrokerUnderTest) -> dict[str, Any]:
    return {**broker.config, "client_id": "parkhub-test"}


@pytest.fixture
def setup_mqtt(hub: Hub, mqtt_config: dict[str, Any]) -> SetupMqtt:
    async def setup(**overrides: Any) -> None:
        await mqtt.async_setup(hub, mqtt.CONFIG_SCHEMA({**mqtt_config, **overrides}))
        async with asyncio.timeout(5):
            await mqtt.async_wait_connected(hub)

    return setup
