"""`input_select`: one choice among options (lot mode: open / residents only / closed).
Services: select_option, select_next, select_previous, select_first, select_last,
set_options."""

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

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "InputSelect", "async_setup"]

DOMAIN: Final = "input_select"


def _options(value: Any) -> list[str]:
    options = [cv.string(item) for item in cv.ensure_list(value)]
    if not options:
        raise vol.Invalid("needs at least one option")
    if len(set(options)) != len(options):
        raise vol.Invalid("options must be different from each other")
    return options


def _check_initial(value: dict[str, Any]) -> dict[str, Any]:
    if "initial" in value and value["initial"] not in value["options"]:
        raise vol.Invalid(f"{value['initial']!r} is not one of the options", path=["initial"])
    return value


CONFIG_SCHEMA = helpers_schema(
    vol.All(
        vol.Schema(
            {
                **helper_fields(),
                vol.Required("options"): _options,
                vol.Optional("initial"): cv.string,
            },
            extra=vol.PREVENT_EXTRA,
        ),
        _check_initial,
    )
)


class InputSelect(HelperEntity):
    domain = DOMAIN

    def __init__(self, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__(DOMAIN, object_id, config)
        self.options: list[str] = list(config["options"])
        self.current: str = config.get("initial", self.options[0])

    @property
    def state(self) -> str:
        return self.current

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"options": list(self.options)}

    async def async_restore(self, last: State) -> None:
        if "initial" not in self.config and last.state in self.options:
            self.current = last.state

    def _select(self, option: str) -> None:
        if option not in self.options:
            raise ServiceValidationError(
                f"{self.entity_id}: {option!r} is not one of {', '.join(self.options)}"
            )
        self.current = option
        self.async_write_state()

    def async_select_option(self, call: ServiceCall) -> None:
        self._select(call.data["option"])

    def _step(self, call: ServiceCall, by: int) -> None:
        index = self.options.index(self.current) + by
        if call.data.get("cycle", True):
            index %= len(self.options)
        else:
            index = max(0, min(index, len(self.options) - 1))
        self._select(self.options[index])

    def async_select_next(self, call: ServiceCall) -> None:
        self._step(call, 1)

    def async_select_previous(self, call: ServiceCall) -> None:
        self._step(call, -1)

    def async_select_first(self, _call: ServiceCall) -> None:
        self._select(self.options[0])

    def async_select_last(self, _call: ServiceCall) -> None:
        self._select(self.options[-1])

    def async_set_options(self, call: ServiceCall) -> None:
        self.options = list(call.data["options"])
        if self.current not in self.options:
            self.current = self.options[0]
        self.async_write_state()


async def async_setup(hub: Hub, config: Mapping[str, Mapping[str, Any]]) -> None:
    entities = await async_setup_helpers(hub, DOMAIN, config or {}, InputSelect)
    cycle = {vol.Optional("cycle", default=True): cv.boolean}
    register = async_register_entity_service
    register(
        hub,
        DOMAIN,
        "select_option",
        entities,
        InputSelect.async_select_option,
        {vol.Required("option"): cv.string},
    )
    register(hub, DOMAIN, "select_next", entities, InputSelect.async_select_next, cycle)
    register(hub, DOMAIN, "select_previous", entities, InputSelect.async_select_previous, cycle)
    register(hub, DOMAIN, "select_first", entities, InputSelect.async_select_first)
    register(hub, DOMAIN, "select_last", entities, InputSelect.async_select_last)
    register(
        hub,
        DOMAIN,
        "set_options",
        entities,
        InputSelect.async_set_options,
        {vol.Required("options"): _options},
    )
