"""input_text: length and pattern checks, restore."""

from __future__ import annotations

import pytest

from hub.core.exceptions import ServiceValidationError
from tests.integrations.conftest import SetupIntegration, StartHub
from tests.states import get_state

PHONE = {"on_call": {"name": "On-call phone", "pattern": r"\+\d{8,15}", "initial": "+31600000000"}}


async def test_set_value_checks_and_restore(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    config = {**PHONE, "panel_message": {"max": 20}}
    await setup_integration(hub, "input_text", config)
    assert get_state(hub, "input_text.on_call").state == "+31600000000"
    with pytest.raises(ServiceValidationError, match=r"'0612' does not match"):
        await hub.services.async_call(
            "input_text", "set_value", {"entity_id": "input_text.on_call", "value": "0612"}
        )
    with pytest.raises(ServiceValidationError, match="21 characters, expected 0 to 20"):
        await hub.services.async_call(
            "input_text", "set_value", {"entity_id": "input_text.panel_message", "value": "x" * 21}
        )
    await hub.services.async_call(
        "input_text",
        "set_value",
        {"entity_id": "input_text.panel_message", "value": "Closed at 22:00"},
    )
    await hub.async_stop()

    hub = await start_hub()
    await setup_integration(hub, "input_text", config)
    assert get_state(hub, "input_text.panel_message").state == "Closed at 22:00"
