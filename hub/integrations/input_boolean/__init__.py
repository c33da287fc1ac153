"""`input_boolean`: an on/off switch owners flip by hand or from automations (night mode,
"lot closed for cleaning"). Services: turn_on, turn_off, toggle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.const import STATE_OFF, STATE_ON
from hub.core.services import ServiceCall
from hub.core.states import State
from hub.entity_services import async_register_entity_service
from hub.helper_entity import HelperEntity, async_setup_helpers, helper_fields, helpers_schema

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "InputBoolean", "async_setup"]

DOMAIN: Final = "input_boolean"

CONFIG_SCHEMA = helpers_schema(
    {**helper_fields(), vol.Optional("initial", description="State at start"): cv.boolean}
)


class InputBoolean(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.is_on = bool(config.get("initial", False))

    @property
    def state(self) -> str:
        return STATE_ON if self.is_on else STATE_OFF

    async def async_restore(self, last: State) -> None:
        if "initial" not in self.config and last.state in (STATE_ON, STATE_OFF):
            self.is_on = last.state == STATE_ON

    def async_turn_on(self, _call: ServiceCall | None = None) -> None:
        self.is_on = True
        self.async_write_state()

    def async_turn_off(self, _call: ServiceCall | None = None) -> None:
        self.is_on = False
        self.async_write_state()

    def async_toggle(self, _call: ServiceCall | None = None) -> None:
        self.is_on = not self.is_on
        self.async_write_state()


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, InputBoolean)
    async_register_entity_service(hub, DOMAIN, "turn_on", entities, InputBoolean.async_turn_on)
    async_register_entity_service(hub, DOMAIN, "turn_off", entities, InputBoolean.async_turn_off)
    async_register_entity_service(hub, DOMAIN, "toggle", entities, InputBoolean.async_toggle)
