"""Services that act on entities named by `entity_id` (one, a list, or `all`).

Helpers like `input_boolean.turn_on` and `automation.turn_off` take the entities they act
on the way Home Assistant's do; this resolves the ids against the integration's own
entities and says which ones it does not know, instead of silently doing nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.entity import Entity

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["ENTITY_ID_FIELD", "async_register_entity_service", "entity_ids_or_all", "resolve"]

_E = TypeVar("_E", bound=Entity)


def entity_ids_or_all(value: Any) -> list[str] | str:
    if isinstance(value, str) and value.strip().lower() == "all":
        return "all"
    return cv.entity_ids(value)


ENTITY_ID_FIELD: dict[Any, Any] = {vol.Required("entity_id"): entity_ids_or_all}


def resolve(call: ServiceCall, entities: Mapping[str, _E]) -> list[_E]:
    """The entities `call.data['entity_id']` names; ServiceValidationError for unknown ones."""
    wanted = call.data.get("entity_id")
    if wanted == "all":
        return list(entities.values())
    if not wanted:
        raise ServiceValidationError(f"{call.domain}.{call.service} needs entity_id")
    unknown = [entity_id for entity_id in wanted if entity_id not in entities]
    if unknown:
        raise ServiceValidationError(
            f"{call.domain}.{call.service}: unknown entity {', '.join(unknown)}"
        )
    return [entities[entity_id] for entity_id in wanted]


def async_register_entity_service(
    hub: Hub,
    domain: str,
    service: str,
    entities: Mapping[str, _E],
    method: Callable[[_E, ServiceCall], Awaitable[None] | None],
    fields: Mapping[Any, Any] | None = None,
    description: str = "",
) -> CALLBACK_TYPE:
    """Register `domain.service` calling `method(entity, call)` on each named entity."""
    schema = vol.Schema({**ENTITY_ID_FIELD, **(fields or {})}, extra=vol.PREVENT_EXTRA)

    async def handler(call: ServiceCall) -> None:
        for entity in resolve(call, entities):
            entity.async_set_context(call.context)
            result = method(entity, call)
            if result is not None:
                await result

    return hub.services.async_register(domain, service, handler, schema, description)
