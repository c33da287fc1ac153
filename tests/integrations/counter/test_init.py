"""counter: counting within bounds, reset, restore (or not)."""

from __future__ import annotations

import pytest

from hub.core.exceptions import ServiceValidationError
from tests.integrations.conftest import SetupIntegration, StartHub
from tests.states import get_state

CONFIG = {
    "cars_today": {"name": "Cars today", "maximum": 3},
    "faults": {"initial": 10, "step": 5, "restore": False},
}
CARS = {"entity_id": "counter.cars_today"}


async def test_counting_and_restore(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    await setup_integration(hub, "counter", CONFIG)
    for _ in range(5):
        await hub.services.async_call("counter", "increment", CARS)
    assert get_state(hub, "counter.cars_today").state == "3"  # stays at the maximum
    await hub.services.async_call("counter", "decrement", CARS)
    with pytest.raises(ServiceValidationError, match="9 is outside its range"):
        await hub.services.async_call("counter", "set_value", {**CARS, "value": 9})
    await hub.services.async_call("counter", "increment", {"entity_id": "counter.faults"})
    assert get_state(hub, "counter.faults").state == "15"
    await hub.async_stop()

    hub = await start_hub()
    await setup_integration(hub, "counter", CONFIG)
    assert get_state(hub, "counter.cars_today").state == "2"
    assert get_state(hub, "counter.faults").state == "10"  # restore: false
    await hub.services.async_call("counter", "reset", CARS)
    assert get_state(hub, "counter.cars_today").state == "0"
