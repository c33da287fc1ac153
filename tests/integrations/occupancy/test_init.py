"""The occupancy integration end to end: frames in, slot and free-space entities out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub
from tests.states import get_state

from ...conftest import Clock
from .conftest import SetupOccupancy, draw_async

TAKEN = [True, False, True, True, False, False, True, False, False, True, True, False]


async def test_slots_and_free_spaces_follow_the_frames(
    hub: Hub,
    clock: Clock,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lots = await setup_occupancy(lot_config)
    lot = lots["north"]
    assert get_state(hub, "binary_sensor.north_slot_a1").state == "unknown"
    assert get_state(hub, "sensor.north_free_spaces").state == "unknown"

    assert await lot.async_process_frame(await draw_async(frame, TAKEN))
    states = [get_state(hub, f"binary_sensor.north_slot_a{i + 1}") for i in range(12)]
    assert [s.state for s in states] == ["on" if t else "off" for t in TAKEN]
    first = states[0]
    assert first is not None
    assert first.attributes["confidence"] > 0.9
    assert first.attributes["since"] == clock.now().isoformat()
    assert first.attributes["reserved"] is False
    free = hub.states.get("sensor.north_free_spaces")
    assert free is not None
    assert free.state == str(TAKEN.count(False))
    assert free.attributes["total"] == 12
    assert free.attributes["occupied"] == TAKEN.count(True)


async def test_a_slot_flips_only_after_the_change_held(
    hub: Hub,
    clock: Clock,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lot = (await setup_occupancy(lot_config))["north"]
    await lot.async_process_frame(await draw_async(frame, TAKEN))
    arrived = list(TAKEN)
    arrived[1] = True  # a car pulls into a2

    await clock.advance(seconds=1)
    await lot.async_process_frame(await draw_async(frame, arrived, seed=1))
    assert get_state(hub, "binary_sensor.north_slot_a2").state == "off"
    await clock.advance(seconds=2)
    await lot.async_process_frame(await draw_async(frame, arrived, seed=2))
    assert get_state(hub, "binary_sensor.north_slot_a2").state == "off"
    await clock.advance(seconds=1.5)
    await lot.async_process_frame(await draw_async(frame, arrived, seed=3))
    state = hub.states.get("binary_sensor.north_slot_a2")
    assert state is not None
    assert state.state == "on"
    assert state.attributes["since"] == clock.now().isoformat()
    assert get_state(hub, "sensor.north_free_spaces").state == str(arrived.count(False))

    # A car that only crosses a space for a moment never flips it.
    crossing = list(arrived)
    crossing[4] = True
    await clock.advance(seconds=1)
    await lot.async_process_frame(await draw_async(frame, crossing, seed=4))
    await clock.advance(seconds=1)
    await lot.async_process_frame(await draw_async(frame, arrived, seed=5))
    await clock.advance(seconds=5)
    await lot.async_process_frame(await draw_async(frame, arrived, seed=6))
    assert get_state(hub, "binary_sensor.north_slot_a5").state == "off"


async def test_unchanged_slots_are_not_classified_again(
    hub: Hub,
    clock: Clock,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lot = (await setup_occupancy(lot_config))["north"]
    image = await draw_async(frame, TAKEN)
    await lot.async_process_frame(image)
    assert lot.classified_slots == 12
    await clock.advance(seconds=1)
    await lot.async_process_frame(image.copy())
    assert lot.classified_slots == 12  # nothing moved: nothing classified
    changed = list(TAKEN)
    changed[1] = True
    await clock.advance(seconds=1)
    await lot.async_process_frame(await draw_async(frame, changed))
    assert lot.classified_slots == 13  # only the slot that changed
    await clock.advance(seconds=31)
    await lot.async_process_frame(await draw_async(frame, changed))
    assert lot.classified_slots == 25  # all slots, once they are due for a re-check


async def test_a_frame_arriving_while_busy_is_dropped_and_counted(
    hub: Hub,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lot = (await setup_occupancy(lot_config))["north"]
    image = await draw_async(frame, TAKEN)
    results = await asyncio.gather(lot.async_process_frame(image), lot.async_process_frame(image))
    assert sorted(results) == [False, True]
    assert lot.dropped == 1


async def test_slots_go_unavailable_with_their_camera(
    hub: Hub,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lot = (await setup_occupancy(lot_config))["north"]
    await lot.async_process_frame(await draw_async(frame, TAKEN))
    hub.states.async_set("camera.north", "unavailable")
    assert get_state(hub, "binary_sensor.north_slot_a1").state == "unavailable"
    assert get_state(hub, "sensor.north_free_spaces").state == "unavailable"
    hub.states.async_set("camera.north", "streaming")
    assert get_state(hub, "binary_sensor.north_slot_a1").state == "on"


async def test_groups_and_reserved_slots(
    hub: Hub,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    slots = lot_config["lots"]["north"]["slots"]
    slots[1]["group"] = "ev"
    slots[4]["reserved"] = True
    lot = (await setup_occupancy(lot_config))["north"]
    await lot.async_process_frame(await draw_async(frame, TAKEN))
    a2 = hub.states.get("binary_sensor.north_slot_a2")
    assert a2 is not None
    assert a2.attributes["group"] == "ev"
    free = hub.states.get("sensor.north_free_spaces")
    assert free is not None
    assert free.state == str(TAKEN.count(False) - 1)  # a5 is free but reserved
    assert free.attributes["reserved"] == 1
    assert free.attributes["free_by_group"] == {"ev": 1, "other": TAKEN.count(False) - 2}


async def test_calibrate_service_keeps_the_lot_model_in_the_data_dir(
    hub: Hub,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    lot = (await setup_occupancy(lot_config))["north"]
    with pytest.raises(ServiceValidationError, match="has not received a frame"):
        await hub.services.async_call("occupancy", "calibrate", {"lot": "north", "occupied": []})
    await lot.async_process_frame(await draw_async(frame, TAKEN))
    occupied = [f"a{i + 1}" for i, taken in enumerate(TAKEN) if taken]
    result = await hub.services.async_call(
        "occupancy", "calibrate", {"lot": "north", "occupied": occupied, "skip": ["a12"]}
    )
    assert result == {"lot": "north", "labelled_slots": 11, "calibrated": True}
    assert await asyncio.to_thread((hub.data_dir / "occupancy" / "north.json").is_file)
    result = await hub.services.async_call(
        "occupancy", "calibrate", {"lot": "north", "occupied": occupied}
    )
    assert result["labelled_slots"] == 23  # added to, not replaced
    with pytest.raises(ServiceValidationError, match=r"no such slot.*'z9'"):
        await hub.services.async_call(
            "occupancy", "calibrate", {"lot": "north", "occupied": ["z9"]}
        )
    with pytest.raises(ServiceValidationError, match="no lot named 'south'"):
        await hub.services.async_call("occupancy", "calibrate", {"lot": "south", "occupied": []})


async def test_save_slots_writes_the_file_and_reloads_the_lot(
    hub: Hub,
    tmp_path: Path,
    setup_occupancy: SetupOccupancy,
    lot_config: dict[str, Any],
    frame: Callable[..., np.ndarray],
) -> None:
    slots = lot_config["lots"]["north"].pop("slots")
    slots_file = tmp_path / "north_slots.yaml"
    await asyncio.to_thread(
        slots_file.write_text,
        "slots:\n"
        + "".join(f"  - {{id: {s['id']}, polygon: {s['polygon']}}}\n" for s in slots[:3]),
    )
    lot_config["lots"]["north"]["slots_file"] = "north_slots.yaml"
    lots = await setup_occupancy(lot_config)
    assert len(lots["north"].slots) == 3
    result = await hub.services.async_call(
        "occupancy", "save_slots", {"lot": "north", "slots": slots[:5]}
    )
    assert result["slots"] == 5
    assert len(lots["north"].slots) == 5
    assert hub.states.get("binary_sensor.north_slot_a5") is not None
    text = await asyncio.to_thread(slots_file.read_text)
    assert text.count("polygon:") == 5
    await lots["north"].async_process_frame(await draw_async(frame, TAKEN))
    assert get_state(hub, "sensor.north_free_spaces").attributes["total"] == 5


async def test_inline_slots_cannot_be_saved_by_the_service(
    hub: Hub, setup_occupancy: SetupOccupancy, lot_config: dict[str, Any]
) -> None:
    await setup_occupancy(lot_config)
    with pytest.raises(ServiceValidationError, match="give it a slots_file"):
        await hub.services.async_call(
            "occupancy",
            "save_slots",
            {"lot": "north", "slots": [{"id": 1, "polygon": [[0, 0], [9, 0], [9, 9]]}]},
        )


async def test_a_broken_slots_file_is_named_in_the_error(
    hub: Hub, tmp_path: Path, setup_occupancy: SetupOccupancy, lot_config: dict[str, Any]
) -> None:
    del lot_config["lots"]["north"]["slots"]
    lot_config["lots"]["north"]["slots_file"] = "bad.yaml"
    await asyncio.to_thread(
        (tmp_path / "bad.yaml").write_text, "slots:\n  - {id: a1, polygon: [[0, 0], [1]]}\n"
    )
    with pytest.raises(HubError, match=r"bad.yaml: slots: .*polygon.*expected an \[x, y\] pair"):
        await setup_occupancy(lot_config)


async def test_a_lot_whose_camera_is_already_down_starts_unavailable(
    hub: Hub, setup_occupancy: SetupOccupancy, lot_config: dict[str, Any]
) -> None:
    hub.states.async_set("camera.north", "unavailable")
    await setup_occupancy(lot_config)
    assert get_state(hub, "binary_sensor.north_slot_a1").state == "unavailable"
