"""The state machine: set, no-op, last_changed, tracking one entity, removal."""

from __future__ import annotations

import json

import pytest

from hub.core.bus import Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.exceptions import InvalidEntityId, ServiceValidationError
from hub.core.hub import Hub
from tests.conftest import Clock


async def test_set_creates_state_and_announces_it(hub: Hub) -> None:
    changes: list[Event] = []
    hub.bus.async_listen(EVENT_STATE_CHANGED, changes.append)

    from_json = json.loads('{"state": 12}')["state"]  # untyped, as a REST body's state is
    state = hub.states.async_set("sensor.lot_free_spaces", from_json, {"total": 20})

    assert state is not None
    assert hub.states.get("sensor.lot_free_spaces") is state
    assert state.state == "12"  # states are strings
    assert state.attributes == {"total": 20}
    assert state.domain == "sensor"
    assert state.object_id == "lot_free_spaces"
    assert changes[0].data["old_state"] is None
    assert changes[0].data["new_state"] is state
    assert changes[0].context is state.context


async def test_unchanged_set_is_a_no_op(hub: Hub) -> None:
    changes: list[Event] = []
    hub.bus.async_listen(EVENT_STATE_CHANGED, changes.append)
    hub.states.async_set("gate.entry", "closed", {"last_command": "CLOSE"})
    assert hub.states.async_set("gate.entry", "closed", {"last_command": "CLOSE"}) is None
    assert len(changes) == 1


async def test_attribute_change_keeps_last_changed(hub: Hub, clock: Clock) -> None:
    first = hub.states.async_set("binary_sensor.lot_slot_1", "on", {"confidence": 0.8})
    await clock.advance(seconds=30)
    second = hub.states.async_set("binary_sensor.lot_slot_1", "on", {"confidence": 0.9})
    await clock.advance(seconds=30)
    third = hub.states.async_set("binary_sensor.lot_slot_1", "off")

    assert first is not None
    assert second is not None
    assert third is not None
    assert second.last_changed == first.last_changed
    assert (second.last_updated - first.last_updated).total_seconds() == 30
    assert (third.last_changed - first.last_changed).total_seconds() == 60
    # Attributes not given are kept, as a barrier controller only reporting state expects.
    assert third.attributes == {"confidence": 0.9}


async def test_force_update_announces_even_when_unchanged(hub: Hub) -> None:
    changes: list[Event] = []
    hub.bus.async_listen(EVENT_STATE_CHANGED, changes.append)
    hub.states.async_set("sensor.x", "1")
    hub.states.async_set("sensor.x", "1", force_update=True)
    assert len(changes) == 2


async def test_attributes_are_read_only_copies(hub: Hub) -> None:
    attributes = {"plate": "KA01AB1234"}
    state = hub.states.async_set("sensor.entry_last_plate", "KA01AB1234", attributes)
    attributes["plate"] = "CHANGED"
    assert state is not None
    assert state.attributes["plate"] == "KA01AB1234"
    with pytest.raises(TypeError):
        state.attributes["plate"] = "X"  # type: ignore[index]


@pytest.mark.parametrize(
    "entity_id", ["sensor", "Sensor.x", "sensor.", ".x", "sensor.x-y", "sensor.x.y", "sensor._x"]
)
async def test_invalid_entity_ids_are_refused(hub: Hub, entity_id: str) -> None:
    with pytest.raises(InvalidEntityId, match="invalid entity id"):
        hub.states.async_set(entity_id, "on")


async def test_overlong_state_is_refused(hub: Hub) -> None:
    with pytest.raises(ServiceValidationError, match="longer than 255"):
        hub.states.async_set("sensor.x", "x" * 256)


async def test_tracking_one_entity_sees_only_its_changes(hub: Hub) -> None:
    seen: list[str] = []
    unsubscribe = hub.states.async_track(
        ["gate.entry", "gate.exit"], lambda event: seen.append(event.data["entity_id"])
    )
    hub.states.async_set("gate.entry", "open")
    hub.states.async_set("gate.side", "open")
    hub.states.async_set("gate.exit", "open")
    unsubscribe()
    hub.states.async_set("gate.entry", "closed")
    assert seen == ["gate.entry", "gate.exit"]


async def test_untracking_one_subscription_keeps_the_other(hub: Hub) -> None:
    seen: list[str] = []

    def listener(event: Event) -> None:
        seen.append(event.data["entity_id"])

    first = hub.states.async_track("gate.entry", listener)
    hub.states.async_track("gate.entry", listener)
    first()
    hub.states.async_set("gate.entry", "open")
    assert seen == ["gate.entry"]


async def test_tracking_to_states_sees_only_changes_into_them(hub: Hub) -> None:
    seen: list[tuple[str, str | None]] = []

    def listener(event: Event) -> None:
        new = event.data["new_state"]
        seen.append((event.data["entity_id"], new.state if new is not None else None))

    hub.states.async_set("gate.entry", "closed")
    unsubscribe = hub.states.async_track(["gate.entry", "gate.exit"], listener, to_states={"open"})
    hub.states.async_set("gate.entry", "opening")
    hub.states.async_set("gate.entry", "open")
    hub.states.async_set("gate.entry", "open", {"by": "keypad"})  # still open: told again
    hub.states.async_set("gate.exit", "open")
    hub.states.async_remove("gate.exit")  # a removal is no change into a state
    unsubscribe()
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")
    assert seen == [("gate.entry", "open"), ("gate.entry", "open"), ("gate.exit", "open")]


async def test_tracking_from_states_sees_only_changes_out_of_them(hub: Hub) -> None:
    seen: list[str] = []
    hub.states.async_track(
        "gate.entry", lambda event: seen.append(event.data["new_state"].state), from_states=["open"]
    )
    hub.states.async_set("gate.entry", "open")  # created: it came from no state
    hub.states.async_set("gate.entry", "closing")
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")
    hub.states.async_set("gate.entry", "open", {"by": "keypad"})  # from open, still open
    assert seen == ["closing", "open"]


async def test_trackers_waiting_for_different_states_each_get_theirs(hub: Hub) -> None:
    seen: list[str] = []
    hub.states.async_track(
        "gate.entry",
        lambda e: seen.append(f"open: {e.data['new_state'].state}"),
        to_states=["open"],
    )
    hub.states.async_track(
        "gate.entry",
        lambda e: seen.append(f"shut: {e.data['new_state'].state}"),
        to_states=["closed", "jammed"],
    )
    for state in ("opening", "open", "closing", "closed", "jammed"):
        hub.states.async_set("gate.entry", state)
    assert seen == ["open: open", "shut: closed", "shut: jammed"]


async def test_filtered_and_plain_trackers_keep_their_order(hub: Hub) -> None:
    order: list[str] = []
    hub.bus.async_listen(EVENT_STATE_CHANGED, lambda _event: order.append("bus"))
    hub.states.async_track("gate.entry", lambda _event: order.append("first"))
    hub.states.async_track(
        "gate.entry", lambda _event: order.append("open only"), to_states=["open"]
    )
    hub.states.async_track("gate.entry", lambda _event: order.append("last"))
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")
    assert order == ["bus", "first", "last", "bus", "first", "open only", "last"]


async def test_unsubscribing_a_filtered_subscription_keeps_the_plain_one(hub: Hub) -> None:
    seen: list[str] = []

    def listener(event: Event) -> None:
        seen.append(event.data["new_state"].state)

    hub.states.async_track("gate.entry", listener)
    filtered = hub.states.async_track("gate.entry", listener, to_states=["open"])
    filtered()
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")
    assert seen == ["closed", "open"]


async def test_remove_announces_and_forgets(hub: Hub) -> None:
    changes: list[Event] = []
    hub.states.async_set("camera.entry", "streaming")
    hub.states.async_track("camera.entry", changes.append)
    assert hub.states.async_remove("camera.entry") is True
    assert hub.states.get("camera.entry") is None
    assert changes[0].data["new_state"] is None
    assert hub.states.async_remove("camera.entry") is False


async def test_query_by_domain(hub: Hub) -> None:
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("sensor.free", "3")
    assert [state.entity_id for state in hub.states.async_all("gate")] == ["gate.entry"]
    assert hub.states.async_entity_ids("sensor") == ["sensor.free"]
    assert len(hub.states.async_all()) == 2


async def test_as_dict_is_the_api_shape(hub: Hub, clock: Clock) -> None:
    state = hub.states.async_set("sensor.free", "3", {"total": 20})
    assert state is not None
    data = state.as_dict()
    assert data["entity_id"] == "sensor.free"
    assert data["state"] == "3"
    assert data["attributes"] == {"total": 20}
    assert data["last_changed"] == "2026-03-02T08:00:00+00:00"
    assert data["context"]["id"] == state.context.id
