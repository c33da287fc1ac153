"""`input_text`: text owners set (the on-call phone number, a message for the panel).
Service: set_value, checked against min/max length and an optional pattern."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.const import MAX_STATE_LENGTH
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.core.states import State
from hub.entity_services import async_register_entity_service
from hub.helper_entity import HelperEntity, async_setup_helpers, helper_fields, helpers_schema

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "InputText", "async_setup"]

DOMAIN: Final = "input_text"


def _pattern(value: Any) -> str:
    text = cv.string(value)
    try:
        re.compile(text)
    except re.error as err:
        raise vol.Invalid(f"invalid regular expression {text!r}: {err}") from None
    return text


def _check_initial(value: dict[str, Any]) -> dict[str, Any]:
    if value["min"] > value["max"]:
        raise vol.Invalid(f"min ({value['min']}) is above max ({value['max']})")
    if "initial" in value and (problem := _problem(value, value["initial"])):
        raise vol.Invalid(f"initial: {problem}", path=["initial"])
    return value


def _problem(config: Mapping[str, Any], text: str) -> str | None:
    if not config["min"] <= len(text) <= config["max"]:
        return f"{len(text)} characters, expected {config['min']} to {config['max']}"
    pattern = config.get("pattern")
    if pattern is not None and re.fullmatch(pattern, text) is None:
        return f"{text!r} does not match {pattern!r}"
    return None


CONFIG_SCHEMA = helpers_schema(
    vol.All(
        vol.Schema(
            {
                **helper_fields(),
                vol.Optional("min", default=0): vol.All(vol.Coerce(int), vol.Range(min=0)),
                vol.Optional("max", default=100): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=MAX_STATE_LENGTH)
                ),
                vol.Optional("initial"): cv.string,
                vol.Optional("pattern"): _pattern,
                vol.Optional("mode", default="text"): vol.In(["text", "password"]),
            },
            extra=vol.PREVENT_EXTRA,
        ),
        _check_initial,
    )
)


class InputText(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.value: str = config.get("initial", "")

    @property
    def state(self) -> str:
        return self.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attributes = {
            "min": self.config["min"],
            "max": self.config["max"],
            "mode": self.config["mode"],
        }
        if "pattern" in self.config:
            attributes["pattern"] = self.config["pattern"]
        return attributes

    async def async_restore(self, last: State) -> None:
        if "initial" not in self.config and _problem(self.config, last.state) is None:
            self.value = last.state

    def async_set_value(self, call: ServiceCall) -> None:
        text: str = call.data["value"]
        if (problem := _problem(self.config, text)) is not None:
            raise ServiceValidationError(f"{self.entity_id}: {problem}")
        self.value = text
        self.async_write_state()


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, InputText)
    async_register_entity_service(
        hub,
        DOMAIN,
        "set_value",
        entities,
        InputText.async_set_value,
        {vol.Required("value"): cv.string},
    )
