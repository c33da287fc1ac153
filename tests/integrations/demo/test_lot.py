"""The demo lot: a seeded timetable, frames that show what its ground truth says."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
import voluptuous as vol

from hub.core.hub import Hub
from hub.integrations import demo
from hub.integrations.demo import DemoLot
from hub.integrations.demo.lane import ARM_Y
from hub.integrations.demo.layout import SLOTS, SLOTS_FILE, slots_yaml
from hub.integrations.demo.overhead import OverheadRenderer
from hub.integrations.demo.schedule import Visit
from tests.conftest import Clock

from .conftest import read_plate, setup_demo


async def test_same_seed_same_lot_other_seed_other_lot(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=3)
    now = clock.now().timestamp()
    twin = await setup_demo(hub, seed=3)
    other = await setup_demo(hub, seed=4)
    moments = [now + minutes * 60 for minutes in range(0, 120, 7)]
    # Asked in a different order, the twin still agrees: answers depend on time only.
    assert [twin.occupied_slots(at) for at in reversed(moments)][::-1] == [
        lot.occupied_slots(at) for at in moments
    ]
    assert [other.occupied_slots(at) for at in moments] != [
        lot.occupied_slots(at) for at in moments
    ]
    frame = await asyncio.to_thread(lot.render, "overhead", moments[3])
    again = await asyncio.to_thread(twin.render, "overhead", moments[3])
    assert np.array_equal(frame, again)


async def test_cars_come_and_go_with_the_clock(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=5, time_scale=10, arrivals_per_hour=30)
    start = lot.occupied_slots()
    begin = clock.now().timestamp()
    moving = [lot.driving(begin + s) for s in range(0, 1800, 2)]
    assert any(moving)
    # A car driving to its space is never counted in it at the same time.
    for second in range(0, 1800, 2):
        assert not set(lot.driving(begin + second)) & set(lot.occupied_slots(begin + second))
    assert 6 <= len(start) <= 18  # about half of 24 spaces at the start
    assert len(set(start.values())) == len(start)  # one plate per car
    await clock.advance(seconds=30 * 60)  # five simulated hours
    later = lot.occupied_slots()
    assert later != start
    visits = lot.visits()
    assert any(visit.arrive > 0 for visit in visits)
    # Each parked car came through the entry lane before it parked.
    for visit in visits:
        if visit.arrive > 0:
            assert visit.park > visit.arrive


async def test_time_scale_speeds_the_lot_up(hub: Hub, clock: Clock) -> None:
    slow = await setup_demo(hub, seed=5, time_scale=1)
    fast = await setup_demo(hub, seed=5, time_scale=60)
    now = clock.now().timestamp()
    assert fast.sim_time(now + 60) == slow.sim_time(now + 3600) == 3600
    # In ten real minutes, the fast lot sees hours of traffic; the slow one a few cars.
    arrived_fast = [v for v in fast.visits(now + 600) if v.arrive > 0]
    arrived_slow = [v for v in slow.visits(now + 600) if v.arrive > 0]
    assert len(arrived_fast) > 5 * max(1, len(arrived_slow))


async def test_overhead_frame_shows_the_parked_cars(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=11)
    start = clock.now().timestamp()
    # A moment when no car is on its way into or out of a space.
    at = next(start + s for s in range(600, 900, 5) if not lot.driving(start + s))
    frame = await asyncio.to_thread(lot.render, "overhead", at)
    assert frame.shape == (720, 1280, 3)
    assert frame.dtype == np.uint8
    # The same moment with no cars at all, as a reference.
    empty = await asyncio.to_thread(
        OverheadRenderer(11, lot.time_scale).render, lot.sim_time(at), []
    )
    occupied = lot.occupied_slots(at)
    assert 0 < len(occupied) < len(SLOTS)
    for slot in SLOTS:
        y0, y1, x0, x1 = slot.y + 10, slot.y + slot.height - 10, slot.x + 8, slot.x + slot.width - 8
        change = np.abs(frame[y0:y1, x0:x1].astype(int) - empty[y0:y1, x0:x1].astype(int))
        changed = float((change.max(axis=2) > 12).mean())
        if slot.id in occupied:
            assert changed > 0.6, f"{slot.id} should show a car"
        else:
            assert changed < 0.1, f"{slot.id} should be empty"


async def test_lane_camera_shows_the_plate_ground_truth_names(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=2, arrivals_per_hour=40)
    checked = {"entry": 0, "exit": 0}
    start = clock.now().timestamp()
    for lane in ("entry", "exit"):
        for second in range(0, 3600, 2):
            at = start + second
            car = lot.lane_car(lane, at)
            if car is None or car.phase != "waiting":
                continue
            frame = await asyncio.to_thread(lot.render, lane, at)
            assert car.plate_box is not None
            assert read_plate(frame, car.plate_box) == car.plate
            checked[lane] += 1
            if checked[lane] == 3:
                break
    assert checked == {"entry": 3, "exit": 3}


async def test_a_lane_car_shows_its_whole_plate_first(hub: Hub, clock: Clock) -> None:
    """The lane cameras face the oncoming cars: a car's front plate is the first of it in
    view, whole within a tenth of a second (tests/integrations/lpr reads it then)."""
    lot = await setup_demo(hub, seed=2, arrivals_per_hour=40)
    start = clock.now().timestamp()
    checked = 0
    for lane in ("entry", "exit"):
        moments = (start + step / 100 for step in range(0, 360_000))
        came = next(at for at in moments if lot.lane_car(lane, at) is not None)
        whole = next(
            came + step / 1000
            for step in range(0, 2000)
            if (car := lot.lane_car(lane, came + step / 1000)) and car.plate_box is not None
        )
        assert whole - came <= 0.1
        car = lot.lane_car(lane, whole)
        assert car is not None
        assert car.plate_box is not None
        assert car.phase == "approaching"
        assert car.plate_box[1] < 60  # at the top of the picture, where it came in
        checked += 1
    assert checked == 2


async def test_lane_is_empty_between_cars(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=2)
    start = clock.now().timestamp()
    empty = [start + s for s in range(0, 600, 3) if lot.lane_car("entry", start + s) is None]
    assert empty
    waiting = [start + s for s in range(0, 600, 3) if lot.lane_car("entry", start + s)]
    assert waiting


def _arm_colour(frame: np.ndarray) -> bool:
    """True if the closed arm's stripes are drawn across the lane."""
    row = frame[ARM_Y - 2 : ARM_Y + 3, 320:620].reshape(-1, 3).astype(int)
    red = (row[:, 2] > 170) & (row[:, 1] < 90)
    white = row.min(axis=1) > 200
    return float((red | white).mean()) > 0.8


async def test_barrier_follows_the_gate_entity(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=2, gates={"entry": "gate.front"})
    start = clock.now().timestamp()
    at = next(start + s for s in range(0, 600, 3) if lot.lane_car("entry", start + s) is None)

    hub.states.async_set("gate.front", "closed")
    closed = await asyncio.to_thread(lot.render, "entry", at)
    hub.states.async_set("gate.front", "open")
    opened = await asyncio.to_thread(lot.render, "entry", at)
    hub.states.async_set("gate.front", "opening")
    moving = await asyncio.to_thread(lot.render, "entry", at)

    assert _arm_colour(closed)
    assert not _arm_colour(opened)
    assert not _arm_colour(moving)
    assert not np.array_equal(opened, moving)


async def test_without_a_gate_entity_the_arm_lifts_for_each_car(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=2)
    start = clock.now().timestamp()
    moments = [start + s / 2 for s in range(0, 1200)]
    waiting = next(
        at for at in moments if (c := lot.lane_car("entry", at)) and c.phase == "waiting"
    )
    passing = next(
        at for at in moments if (c := lot.lane_car("entry", at)) and c.phase == "passing"
    )
    assert _arm_colour(await asyncio.to_thread(lot.render, "entry", waiting))
    assert not _arm_colour(await asyncio.to_thread(lot.render, "entry", passing))


def test_slots_file_matches_the_layout() -> None:
    assert SLOTS_FILE.read_text(encoding="utf-8") == slots_yaml()
    assert len(SLOTS) >= 20


def test_bad_demo_config_is_named() -> None:
    with pytest.raises(vol.Invalid, match=r"expected 0\.1 to 1000"):
        demo.CONFIG_SCHEMA({"time_scale": 0})
    with pytest.raises(vol.Invalid, match="plate"):
        demo.CONFIG_SCHEMA({"plates": ["NOT A PLATE!"]})


def test_known_plates_come_back() -> None:
    from hub.integrations.demo.schedule import Schedule

    schedule = Schedule(1, 10.0, 60, 900, ("RESIDNT1",), returning_share=0.5)
    plates = [visit.car.plate for visit in schedule.visits_until(20 * 3600)]
    assert plates.count("RESIDNT1") >= 2


def test_a_busy_lot_never_double_books() -> None:
    from hub.integrations.demo.schedule import Schedule

    lane = 10.0
    schedule = Schedule(3, lane, 120, 4 * 3600, ("RESIDNT1", "RESIDNT2"), returning_share=0.5)
    visits = schedule.visits_until(12 * 3600)
    arrived = [visit for visit in visits if visit.arrive > 0]
    # 120 an hour ask to come in; a lot of 24 with four-hour stays turns most away.
    assert 24 <= len(arrived) < 12 * 120 / 2
    by_slot: dict[str, list[tuple[float, float]]] = {}
    for visit in visits:
        by_slot.setdefault(visit.slot, []).append((visit.park, visit.leave))
    for slot, stays in by_slot.items():
        stays.sort()
        for (_, leave), (park, _) in itertools.pairwise(stays):
            assert leave < park, f"two cars in {slot}"
    for window, cars in ((Visit.entry_window, arrived), (Visit.exit_window, visits)):
        spans = sorted(window(visit, lane) for visit in cars)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, "two cars in one lane"
    plates = [visit.car.plate for visit in visits]
    assert plates.count("RESIDNT1") >= 2


NIGHT_START = datetime(2026, 3, 2, 22, 0, tzinfo=UTC).timestamp()


def _lot_starting_at_ten_pm(day_night: bool) -> DemoLot:
    start = NIGHT_START
    return DemoLot(
        seed=4, time_scale=10, arrivals_per_hour=40, mean_stay=2700, known_plates=(),
        returning_share=0, gates={}, start=start, clock=lambda: start,
        gate_state=lambda _entity: None, time_zone=UTC, day_night=day_night,
    )  # fmt: skip


async def test_day_night_darkens_the_lot_but_plates_stay_readable() -> None:
    night = _lot_starting_at_ten_pm(day_night=True)
    always_day = _lot_starting_at_ten_pm(day_night=False)
    start = NIGHT_START
    assert night.darkness(start) == 1.0
    assert always_day.darkness(start) == 0.0
    # Ten simulated hours later (one real hour) it is 08:00 the next morning: day again.
    assert night.darkness(start + 3600) == 0.0
    dark = await asyncio.to_thread(night.render, "overhead", start)
    lit = await asyncio.to_thread(always_day.render, "overhead", start)
    assert dark.mean() < 0.6 * lit.mean()
    at = next(
        start + s / 2
        for s in range(0, 4000)
        if (car := night.lane_car("entry", start + s / 2)) and car.phase == "waiting"
    )
    car = night.lane_car("entry", at)
    frame = await asyncio.to_thread(night.render, "entry", at)
    assert car is not None
    assert car.plate_box is not None
    assert read_plate(frame, car.plate_box) == car.plate
