"""input_boolean: services, initial, and its state back after a restart."""

from __future__ import annotations

from hub.core.hub import Hub
from tests.integrations.conftest import SetupIntegration, StartHub


async def test_services_and_restore(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    config = {"night_mode": {"name": "Night mode"}, "forced": {"initial": True}}
    await setup_integration(hub, "input_boolean", config)
    state = hub.states.get("input_boolean.night_mode")
    assert state is not None
    assert (state.state, state.attributes["friendly_name"]) == ("off", "Night mode")
    await hub.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.night_mode"}
    )
    await hub.services.async_call("input_boolean", "toggle", {"entity_id": "all"})
    assert _state(hub, "input_boolean.night_mode") == "off"
    assert _state(hub, "input_boolean.forced") == "off"
    await hub.services.async_call(
        "input_boolean", "turn_on", {"entity_id": ["input_boolean.night_mode"]}
    )
    await hub.async_stop()

    hub = await start_hub()
    await setup_integration(hub, "input_boolean", config)
    assert _state(hub, "input_boolean.night_mode") == "on"  # restored
    assert _state(hub, "input_boolean.forced") == "on"  # initial wins over the saved state


def _state(hub: Hub, entity_id: str) -> str:
    state = hub.states.get(entity_id)
    assert state is not None
    return state.state
