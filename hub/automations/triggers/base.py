"""What every trigger type shares: how it is described, attached and reported."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "TRIGGER_BASE",
    "TriggerAction",
    "TriggerAttach",
    "TriggerInfo",
    "TriggerType",
    "truthy",
]

_LOGGER = logging.getLogger(__name__)

TriggerAction = Callable[[dict[str, Any], Context | None], None]
"""Called with the trigger's data (what fired) and the context of what caused it."""

# Keys every trigger accepts besides its own.
TRIGGER_BASE: dict[Any, Any] = {
    vol.Required("trigger"): cv.string,
    vol.Optional("id"): cv.string,
    vol.Optional("alias"): cv.string,
    vol.Optional("enabled", default=True): cv.boolean,
    vol.Optional("variables"): dict,
}


@dataclass(slots=True)
class TriggerInfo:
    """Who the trigger works for: the automation's name (for logs) and its variables."""

    name: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    # Errors while watching (a template that fails) are logged once until it recovers.
    failing: set[str] = field(default_factory=set)

    def log_error(self, key: str, message: str) -> None:
        if key not in self.failing:
            self.failing.add(key)
            _LOGGER.warning("%s: %s", self.name, message)

    def recovered(self, key: str) -> None:
        self.failing.discard(key)


class TriggerAttach(Protocol):
    def __call__(
        self, hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
    ) -> Awaitable[CALLBACK_TYPE]: ...


@dataclass(frozen=True, slots=True)
class TriggerType:
    schema: Callable[[Any], Any]
    attach: TriggerAttach


def truthy(value: Any) -> bool:
    """How a template's result counts as true: True, 'on', 'true', 'yes', a non-zero number."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "enable", "1")
    return False
