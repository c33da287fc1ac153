"""`counter`: a whole number automations count with (cars in today, barrier faults).
Services: increment, decrement, reset, set_value; it stays within minimum..maximum."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.core.states import State
from hub.entity_services import async_register_entity_service
from hub.helper_entity import (
    HelperEntity,
    async_setup_helpers,
    helper_fields,
    helpers_schema,
    restore_field,
)

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "Counter", "async_setup"]

DOMAIN: Final = "counter"

CONFIG_SCHEMA = helpers_schema(
    {
        **helper_fields(),
        vol.Optional("initial", default=0): vol.Coerce(int),
        vol.Optional("step", default=1): vol.All(vol.Coerce(int), vol.Range(min=1)),
        vol.Optional("minimum"): vol.Coerce(int),
        vol.Optional("maximum"): vol.Coerce(int),
        **restore_field("Keep the count across restarts"),
    }
)


class Counter(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.value: int = config["initial"]

    @property
    def state(self) -> int:
        return self.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attributes: dict[str, Any] = {
            "initial": self.config["initial"],
            "step": self.config["step"],
        }
        for key in ("minimum", "maximum"):
            if key in self.config:
                attributes[key] = self.config[key]
        return attributes

    async def async_restore(self, last: State) -> None:
        with contextlib.suppress(ValueError):
            self.value = int(last.state)

    def _in_range(self, value: int) -> bool:
        low, high = self.config.get("minimum"), self.config.get("maximum")
        return (low is None or value >= low) and (high is None or value <= high)

    def _set(self, value: int, *, strict: bool) -> None:
        if not self._in_range(value):
            if strict:
                raise ServiceValidationError(f"{self.entity_id}: {value} is outside its range")
            return  # increment at the maximum stays put, like HA
        self.value = value
        self.async_write_state()

    def async_increment(self, _call: ServiceCall) -> None:
        self._set(self.value + self.config["step"], strict=False)

    def async_decrement(self, _call: ServiceCall) -> None:
        self._set(self.value - self.config["step"], strict=False)

    def async_reset(self, _call: ServiceCall) -> None:
        self._set(self.config["initial"], strict=True)

    def async_set_value(self, call: ServiceCall) -> None:
        self._set(call.data["value"], strict=True)


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, Counter)
    register = async_register_entity_service
    register(hub, DOMAIN, "increment", entities, Counter.async_increment)
    register(hub, DOMAIN, "decrement", entities, Counter.async_decrement)
    register(hub, DOMAIN, "reset", entities, Counter.async_reset)
    register(
        hub,
        DOMAIN,
        "set_value",
        entities,
        Counter.async_set_value,
        {vol.Required("value"): vol.Coerce(int)},
    )
