"""Entities: the objects integrations subclass to publish a state, and the registry that
keeps their ids stable across restarts."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .core.bus import CALLBACK_TYPE
from .core.const import (
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from .core.context import Context
from .core.files import read_json_object, write_atomically
from .core.json import json_bytes
from .core.limits import MAX_ENTITY_ID_LENGTH
from .core.states import State
from .validation import slugify

if TYPE_CHECKING:
    from .core.hub import Hub

__all__ = [
    "Entity",
    "EntityRegistry",
    "RegistryEntry",
    "async_add_entities",
    "generate_entity_id",
]

_LOGGER = logging.getLogger(__name__)

REGISTRY_FILE = "entity_registry.json"
SAVE_DELAY = 1.0


class Entity:
    """Base class for everything that has a state in the hub.

    Subclasses set `domain` and `_attr_*` fields (or override the properties) and call
    `async_write_state()` when something changes. `async_added_to_hub` is where they
    subscribe; each unsubscribe handed to `async_on_remove` runs when they go away.
    """

    domain: ClassVar[str]

    hub: Hub
    entity_id: str = ""
    platform: str = ""
    _attr_unique_id: str | None = None
    _attr_name: str | None = None
    _attr_state: str | int | float | None = None
    _attr_extra_state_attributes: Mapping[str, Any] | None = None
    _attr_available: bool = True
    _attr_unit_of_measurement: str | None = None
    _attr_device_class: str | None = None
    _attr_icon: str | None = None
    _attr_should_restore: bool = False

    def __init__(self) -> None:
        self._on_remove: list[CALLBACK_TYPE] = []
        self._context: Context | None = None

    # -- what subclasses describe -------------------------------------------------------

    @property
    def unique_id(self) -> str | None:
        return self._attr_unique_id

    @property
    def name(self) -> str | None:
        return self._attr_name

    @property
    def state(self) -> str | int | float | None:
        return self._attr_state

    @property
    def available(self) -> bool:
        return self._attr_available

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        return self._attr_extra_state_attributes

    @property
    def should_restore(self) -> bool:
        """True for entities whose last state should come back after a restart."""
        return self._attr_should_restore

    # -- life cycle ---------------------------------------------------------------------

    async def async_added_to_hub(self) -> None:
        """Subscribe to what the entity follows; called once, before the first write."""

    async def async_restore(self, last: State) -> None:
        """Take back the state saved before a restart (only if `should_restore`)."""
        self._attr_state = last.state
        if last.attributes and self._attr_extra_state_attributes is None:
            self._attr_extra_state_attributes = dict(last.attributes)

    def async_on_remove(self, unsubscribe: CALLBACK_TYPE) -> None:
        self._on_remove.append(unsubscribe)

    async def async_remove(self) -> None:
        """Unsubscribe everything and drop the state."""
        while self._on_remove:
            self._on_remove.pop()()
        self.hub.states.async_remove(self.entity_id, context=self._context)

    # -- writing ------------------------------------------------------------------------

    def async_set_context(self, context: Context) -> None:
        """The cause of the next write (a service call, a plate read)."""
        self._context = context

    def async_write_state(self) -> None:
        """Publish the entity's current state and attributes to the state machine."""
        if not self.entity_id:
            raise RuntimeError(f"{type(self).__name__} written before it was added to the hub")
        attributes: dict[str, Any] = {}
        if self.available:
            value = self.state
            state = STATE_UNKNOWN if value is None else str(value)
            attributes.update(self.extra_state_attributes or {})
        else:
            state = STATE_UNAVAILABLE
        if self.name:
            attributes[ATTR_FRIENDLY_NAME] = self.name
        if self._attr_unit_of_measurement:
            attributes[ATTR_UNIT_OF_MEASUREMENT] = self._attr_unit_of_measurement
        if self._attr_device_class:
            attributes["device_class"] = self._attr_device_class
        if self._attr_icon:
            attributes["icon"] = self._attr_icon
        context, self._context = self._context, None
        self.hub.states.async_set(self.entity_id, state, attributes, context=context)


@dataclass(slots=True)
class RegistryEntry:
    entity_id: str
    unique_id: str
    platform: str
    name: str | None = None


class EntityRegistry:
    """Maps (platform, unique id) to an entity id, saved in the data directory.

    The id an entity first got stays its id after a restart, even when a second entity
    with the same name appears, so automations and history keep pointing at it.
    """

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._path = hub.data_dir / REGISTRY_FILE
        self._entries: dict[tuple[str, str], RegistryEntry] = {}
        self._entity_ids: set[str] = set()
        self._cancel_save: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        data = await self._hub.async_add_executor_job(read_json_object, self._path)
        for item in data.get("entities", []):
            entry = RegistryEntry(**item)
            self._entries[(entry.platform, entry.unique_id)] = entry
            self._entity_ids.add(entry.entity_id)
        self._hub.async_on_close(self.async_save)

    def async_get(self, platform: str, unique_id: str) -> RegistryEntry | None:
        return self._entries.get((platform, unique_id))

    def is_taken(self, entity_id: str) -> bool:
        return entity_id in self._entity_ids

    def async_get_or_create(
        self, domain: str, platform: str, unique_id: str, suggested_name: str
    ) -> RegistryEntry:
        if (entry := self._entries.get((platform, unique_id))) is not None:
            return entry
        entry = RegistryEntry(
            entity_id=generate_entity_id(self._hub, domain, suggested_name),
            unique_id=unique_id,
            platform=platform,
            name=suggested_name,
        )
        self._entries[(platform, unique_id)] = entry
        self._entity_ids.add(entry.entity_id)
        self._schedule_save()
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def _schedule_save(self) -> None:
        """Coalesce a burst of new entities (start-up) into one write."""
        if self._cancel_save is None:
            self._cancel_save = self._hub.scheduler.async_call_later(
                SAVE_DELAY, lambda _now: self.async_save()
            )

    async def async_save(self) -> None:
        if self._cancel_save is not None:
            self._cancel_save()
            self._cancel_save = None
        data = {"version": 1, "entities": [asdict(entry) for entry in self._entries.values()]}
        await self._hub.async_add_executor_job(_write_json, self._path, data)


def generate_entity_id(hub: Hub, domain: str, name: str) -> str:
    """A free `<domain>.<slug>`: neither in the state machine nor held by the registry."""
    registry = hub.entity_registry
    # Room for the domain and a `_<n>` suffix within the 255 characters of an entity id.
    slug = slugify(name)[: MAX_ENTITY_ID_LENGTH - len(domain) - 8].rstrip("_") or "unnamed"
    base = f"{domain}.{slug}"
    candidate, number = base, 2
    while candidate in hub.states or (registry is not None and registry.is_taken(candidate)):
        candidate = f"{base}_{number}"
        number += 1
    return candidate


def _write_json(path: Path, data: Any) -> None:
    write_atomically(path, json_bytes(data))


async def async_add_entities(hub: Hub, platform: str, entities: Iterable[Entity]) -> None:
    """Give each entity its id, restore it if it asks, let it subscribe, and write it."""
    registry = hub.entity_registry
    for entity in entities:
        entity.hub = hub
        entity.platform = platform
        name = entity.name or entity.unique_id or type(entity).__name__
        if entity.unique_id is not None and registry is not None:
            entry = registry.async_get_or_create(entity.domain, platform, entity.unique_id, name)
            entity.entity_id = entry.entity_id
        elif not entity.entity_id:
            entity.entity_id = generate_entity_id(hub, entity.domain, name)
        if entity.should_restore and hub.recorder is not None:
            last = hub.recorder.last_state(entity.entity_id)
            if last is not None:
                await entity.async_restore(last)
        await entity.async_added_to_hub()
        entity.async_write_state()
