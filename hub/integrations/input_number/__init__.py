"""`input_number`: a number owners set (a tariff, an overstay limit in minutes).
Services: set_value, increment, decrement; values outside min..max are refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.core.states import State
from hub.entity_services import async_register_entity_service
from hub.helper_entity import HelperEntity, async_setup_helpers, helper_fields, helpers_schema

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "InputNumber", "async_setup"]

DOMAIN: Final = "input_number"


def _min_below_max(value: dict[str, Any]) -> dict[str, Any]:
    if value["min"] >= value["max"]:
        raise vol.Invalid(f"min ({value['min']}) must be below max ({value['max']})")
    initial = value.get("initial")
    if initial is not None and not value["min"] <= initial <= value["max"]:
        raise vol.Invalid(f"initial {initial} is outside {value['min']}..{value['max']}")
    return value


CONFIG_SCHEMA = helpers_schema(
    vol.All(
        vol.Schema(
            {
                **helper_fields(),
                vol.Required("min"): vol.Coerce(float),
                vol.Required("max"): vol.Coerce(float),
                vol.Optional("step", default=1.0): vol.All(vol.Coerce(float), vol.Range(min=1e-9)),
                vol.Optional("initial"): vol.Coerce(float),
                vol.Optional("mode", default="slider"): vol.In(["slider", "box"]),
                vol.Optional("unit_of_measurement"): cv.string,
            },
            extra=vol.PREVENT_EXTRA,
        ),
        _min_below_max,
    )
)


def _number(value: float) -> int | float:
    """Whole numbers without `.0`, so `{{ states('input_number.limit') }}` reads `30`."""
    return int(value) if float(value).is_integer() else round(value, 6)


class InputNumber(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.minimum: float = config["min"]
        self.maximum: float = config["max"]
        self.step: float = config["step"]
        self.value: float = config.get("initial", self.minimum)
        self._attr_unit_of_measurement = config.get("unit_of_measurement")

    @property
    def state(self) -> int | float:
        return _number(self.value)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "min": _number(self.minimum),
            "max": _number(self.maximum),
            "step": _number(self.step),
            "mode": self.config["mode"],
        }

    async def async_restore(self, last: State) -> None:
        if "initial" in self.config:
            return
        try:
            value = float(last.state)
        except ValueError:
            return
        if self.minimum <= value <= self.maximum:
            self.value = value

    def _set(self, value: float) -> None:
        if not self.minimum <= value <= self.maximum:
            raise ServiceValidationError(
                f"{self.entity_id}: {_number(value)} is outside "
                f"{_number(self.minimum)}..{_number(self.maximum)}"
            )
        self.value = value
        self.async_write_state()

    def async_set_value(self, call: ServiceCall) -> None:
        self._set(call.data["value"])

    def async_increment(self, _call: ServiceCall) -> None:
        self._set(min(self.value + self.step, self.maximum))

    def async_decrement(self, _call: ServiceCall) -> None:
        self._set(max(self.value - self.step, self.minimum))


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, InputNumber)
    async_register_entity_service(
        hub,
        DOMAIN,
        "set_value",
        entities,
        InputNumber.async_set_value,
        {vol.Required("value"): vol.Coerce(float)},
    )
    async_register_entity_service(hub, DOMAIN, "increment", entities, InputNumber.async_increment)
    async_register_entity_service(hub, DOMAIN, "decrement", entities, InputNumber.async_decrement)
