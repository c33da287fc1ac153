"""input_select: choosing, stepping with and without cycling, new options, restore."""

from __future__ import annotations

import pytest
import voluptuous as vol

from hub.core.exceptions import ServiceValidationError
from hub.integrations.input_select import CONFIG_SCHEMA
from tests.integrations.conftest import SetupIntegration, StartHub

MODE = {"lot_mode": {"options": ["open", "residents only", "closed"]}}
ENTITY = {"entity_id": "input_select.lot_mode"}


async def test_select_services_and_restore(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    await setup_integration(hub, "input_select", MODE)

    def current() -> str:
        state = hub.states.get("input_select.lot_mode")
        assert state is not None
        return state.state

    assert current() == "open"
    await hub.services.async_call("input_select", "select_previous", ENTITY)
    assert current() == "closed"  # cycles
    await hub.services.async_call("input_select", "select_next", {**ENTITY, "cycle": False})
    assert current() == "closed"
    await hub.services.async_call("input_select", "select_first", ENTITY)
    await hub.services.async_call(
        "input_select", "select_option", {**ENTITY, "option": "residents only"}
    )
    with pytest.raises(ServiceValidationError, match="'party' is not one of"):
        await hub.services.async_call(
            "input_select", "select_option", {**ENTITY, "option": "party"}
        )
    await hub.async_stop()

    hub = await start_hub()
    await setup_integration(hub, "input_select", MODE)
    assert current() == "residents only"
    await hub.services.async_call("input_select", "set_options", {**ENTITY, "options": ["a", "b"]})
    assert current() == "a"
    await hub.services.async_call("input_select", "select_last", ENTITY)
    assert current() == "b"


def test_config_errors() -> None:
    with pytest.raises(vol.Invalid, match="not one of the options"):
        CONFIG_SCHEMA({"x": {"options": ["a"], "initial": "b"}})
    with pytest.raises(vol.Invalid, match="different from each other"):
        CONFIG_SCHEMA({"x": {"options": ["a", "a"]}})
