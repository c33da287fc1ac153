"""Automation fixtures: a `test.record` service that keeps its calls, and a factory that
validates automations the way config.yaml would and sets them up on the frozen-clock hub.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hub.automations import AUTOMATIONS_SCHEMA, AutomationManager, async_setup_automations
from hub.automations.const import DOMAIN
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.conftest import Clock

SetupAutomations = Callable[..., Awaitable[AutomationManager]]


@pytest.fixture
def calls(hub: Hub) -> list[ServiceCall]:
    """Every call of `test.record` (and `test.fail`, which raises after recording)."""
    recorded: list[ServiceCall] = []

    def record(call: ServiceCall) -> None:
        recorded.append(call)

    def fail(call: ServiceCall) -> None:
        recorded.append(call)
        raise ValueError("the barrier controller did not answer")

    hub.services.async_register("test", "record", record)
    hub.services.async_register("test", "fail", fail)
    return recorded


@pytest.fixture
def setup_automations(hub: Hub, clock: Clock) -> SetupAutomations:
    """`await setup_automations([{...}, ...])`: validate, then load (again: replace)."""

    async def setup(configs: list[dict[str, Any]]) -> AutomationManager:
        validated = AUTOMATIONS_SCHEMA(configs)
        manager: AutomationManager | None = hub.data.get(DOMAIN)
        if manager is None:
            return await async_setup_automations(hub, validated)
        await manager.async_load(validated)
        return manager

    return setup


def record(**data: Any) -> dict[str, Any]:
    """The `test.record` action with this data."""
    return {"action": "test.record", "data": data}
