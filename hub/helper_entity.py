"""What the helper integrations share (input_boolean, input_number, input_text,
input_select, counter, timer): the config shape, a base entity, and setting them up.

Config is a mapping from object id to options, as in Home Assistant:

    input_boolean:
      night_mode:
        name: Night mode
        initial: false

Each becomes `<domain>.<object id>`, keeps its value across restarts (unless the config
gives an `initial`), and has its services registered by its integration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import voluptuous as vol

from hub import validation as cv
from hub.entity import Entity, async_add_entities

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = [
    "HelperEntity",
    "async_setup_helpers",
    "helper_fields",
    "helpers_schema",
    "restore_field",
]

_H = TypeVar("_H", bound="HelperEntity")


def helper_fields() -> dict[Any, Any]:
    """Keys every helper takes."""
    return {
        vol.Optional("name", description="Shown in the panel"): cv.string,
        vol.Optional("icon", description="An icon name, e.g. mdi:gate"): cv.string,
    }


def restore_field(description: str) -> dict[Any, Any]:
    """The `restore` option of helpers that are kept across restarts unless told not to."""
    return {vol.Optional("restore", default=True, description=description): cv.boolean}


def helpers_schema(item: Mapping[Any, Any] | Callable[[Any], Any]) -> vol.Schema:
    """`{object_id: {options}}`, an empty block meaning no helpers."""
    item_schema = vol.Schema(item, extra=vol.PREVENT_EXTRA) if isinstance(item, Mapping) else item
    return vol.Schema(vol.All(cv.empty_block, {cv.slug: vol.All(cv.empty_block, item_schema)}))


class HelperEntity(Entity):
    """A helper: a fixed entity id from its config key, a name and icon, restored state."""

    def __init__(self, domain: str, object_id: str, config: Mapping[str, Any]) -> None:
        super().__init__()
        self.entity_id = f"{domain}.{object_id}"
        self.config = config
        self._attr_name = config.get("name")
        self._attr_icon = config.get("icon")
        # Counters and timers may opt out (`restore: false`); the others always restore.
        self._attr_should_restore = bool(config.get("restore", True))


async def async_setup_helpers(
    hub: Hub,
    domain: str,
    config: Mapping[str, Mapping[str, Any]],
    factory: Callable[[str, Mapping[str, Any]], _H],
) -> dict[str, _H]:
    """Build and add one entity per config entry; returns them by entity id."""
    entities = {
        entity.entity_id: entity
        for entity in (factory(object_id, options) for object_id, options in config.items())
    }
    await async_add_entities(hub, domain, entities.values())
    hub.data[domain] = entities
    return entities
