"""input_number: range checks, step, config errors, restore."""

from __future__ import annotations

import pytest
import voluptuous as vol

from hub.core.exceptions import ServiceValidationError
from hub.integrations.input_number import CONFIG_SCHEMA
from tests.integrations.conftest import SetupIntegration, StartHub
from tests.states import get_state

LIMIT = {"overstay_minutes": {"min": 15, "max": 240, "step": 15, "unit_of_measurement": "min"}}


async def test_set_increment_decrement_and_restore(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    await setup_integration(hub, "input_number", LIMIT)
    entity = {"entity_id": "input_number.overstay_minutes"}
    state = hub.states.get("input_number.overstay_minutes")
    assert state is not None
    assert state.state == "15"
    assert state.attributes["unit_of_measurement"] == "min"
    assert state.attributes["step"] == 15
    await hub.services.async_call("input_number", "set_value", {**entity, "value": 120})
    await hub.services.async_call("input_number", "increment", entity)
    assert get_state(hub, "input_number.overstay_minutes").state == "135"
    with pytest.raises(ServiceValidationError, match=r"300 is outside 15\.\.240"):
        await hub.services.async_call("input_number", "set_value", {**entity, "value": 300})
    await hub.services.async_call("input_number", "decrement", entity)
    await hub.async_stop()

    hub = await start_hub()
    await setup_integration(hub, "input_number", LIMIT)
    assert get_state(hub, "input_number.overstay_minutes").state == "120"


def test_config_errors_say_what_is_wrong() -> None:
    with pytest.raises(vol.Invalid, match=r"min \(5.0\) must be below max \(1.0\)"):
        CONFIG_SCHEMA({"x": {"min": 5, "max": 1}})
    with pytest.raises(vol.Invalid, match=r"initial 9\.0 is outside"):
        CONFIG_SCHEMA({"x": {"min": 0, "max": 5, "initial": 9}})
    with pytest.raises(vol.Invalid, match="extra keys"):
        CONFIG_SCHEMA({"x": {"min": 0, "max": 5, "maximum": 9}})
