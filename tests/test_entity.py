"""Entities: writing states, availability, stable ids across restarts, restore."""

from __future__ import annotations

from pathlib import Path

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.entity import Entity, EntityRegistry, async_add_entities, generate_entity_id
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from hub.validation import slugify


class FreeSpaces(Entity):
    domain = "sensor"
    _attr_unit_of_measurement = "spaces"

    def __init__(self, name: str, unique_id: str | None, free: int) -> None:
        super().__init__()
        self._attr_name = name
        self._attr_unique_id = unique_id
        self._attr_state = free
        self._attr_extra_state_attributes = {"total": 20}


def test_slugify() -> None:
    assert slugify("Entry Gate #2") == "entry_gate_2"
    assert slugify("Café Lot") == "cafe_lot"
    assert slugify("***") == "unnamed"


async def test_entity_writes_state_with_attributes(hub: Hub) -> None:
    entity = FreeSpaces("North lot free spaces", None, 12)
    await async_add_entities(hub, "occupancy", [entity])

    state = hub.states.get("sensor.north_lot_free_spaces")
    assert state is not None
    assert state.state == "12"
    assert state.attributes == {
        "total": 20,
        "friendly_name": "North lot free spaces",
        "unit_of_measurement": "spaces",
    }

    entity._attr_available = False
    entity.async_write_state()
    state = hub.states.get(entity.entity_id)
    assert state is not None
    assert state.state == "unavailable"


async def test_two_entities_with_one_name_get_distinct_ids(hub: Hub) -> None:
    first = FreeSpaces("Lot", None, 1)
    second = FreeSpaces("Lot", None, 2)
    await async_add_entities(hub, "occupancy", [first, second])
    assert (first.entity_id, second.entity_id) == ("sensor.lot", "sensor.lot_2")


async def _registry_for(tmp_path: Path, *, recorder: bool = False) -> tuple[Hub, EntityRegistry]:
    """A hub as bootstrap builds one: registry, and the recorder when asked for."""
    hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path)
    registry = EntityRegistry(hub)
    await registry.async_load()
    hub.entity_registry = registry
    if recorder:
        await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), tmp_path))
    return hub, registry


class Counter(Entity):
    """A helper entity that should come back with its value after a restart."""

    domain = "counter"
    _attr_should_restore = True

    def __init__(self, value: int | None = None) -> None:
        super().__init__()
        self._attr_name = "Cars today"
        self._attr_unique_id = "cars-today"
        self._attr_state = value


async def test_entity_that_asks_gets_its_last_state_back(tmp_path: Path) -> None:
    hub, _ = await _registry_for(tmp_path, recorder=True)
    await async_add_entities(hub, "counter", [Counter(41)])
    await hub.async_stop()  # the recorder's final flush keeps the state

    hub, _ = await _registry_for(tmp_path, recorder=True)
    restored = Counter()
    await async_add_entities(hub, "counter", [restored])
    state = hub.states.get("counter.cars_today")
    assert state is not None
    assert state.state == "41"
    assert restored.state == "41"
    await hub.async_stop()


async def test_registered_ids_survive_a_restart(tmp_path: Path) -> None:
    hub, _ = await _registry_for(tmp_path)
    await async_add_entities(hub, "occupancy", [FreeSpaces("Lot", "lot-north", 3)])
    await hub.async_stop()  # the registry is saved on close

    # After the restart another "Lot" appears first: the registered one keeps its id.
    hub, registry = await _registry_for(tmp_path)
    newcomer = FreeSpaces("Lot", "lot-south", 4)
    original = FreeSpaces("Lot", "lot-north", 5)
    await async_add_entities(hub, "occupancy", [newcomer, original])
    assert original.entity_id == "sensor.lot"
    assert newcomer.entity_id == "sensor.lot_2"
    assert len(registry) == 2
    await hub.async_stop()


async def test_a_5000_character_name_gives_an_entity_id_within_255(hub: Hub) -> None:
    """Finding 13: a discovered device may announce any name; its id still fits."""
    entity_id = generate_entity_id(hub, "sensor", "bay " * 1250)
    assert len(entity_id) <= 255
    hub.states.async_set(entity_id, "on")
    assert generate_entity_id(hub, "sensor", "bay " * 1250) == entity_id + "_2"
