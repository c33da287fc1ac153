"""The one clock: timers fire when the (frozen) clock is moved, in order, and cancel cleanly."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from hub.core.hub import Hub
from tests.conftest import FROZEN_AT, Clock


async def test_call_later_fires_when_due_not_before(hub: Hub, clock: Clock) -> None:
    fired: list[datetime] = []
    hub.scheduler.async_call_later(90, fired.append)
    await clock.advance(seconds=89)
    assert fired == []
    await clock.advance(seconds=1)
    assert fired == [FROZEN_AT + timedelta(seconds=90)]


async def test_timers_fire_in_order_with_the_clock_at_their_time(hub: Hub, clock: Clock) -> None:
    fired: list[tuple[str, datetime]] = []
    hub.scheduler.async_call_later(20, lambda now: fired.append(("b", now)))
    hub.scheduler.async_call_at(
        FROZEN_AT + timedelta(seconds=10), lambda now: fired.append(("a", now))
    )
    await clock.advance(minutes=1)
    assert fired == [
        ("a", FROZEN_AT + timedelta(seconds=10)),
        ("b", FROZEN_AT + timedelta(seconds=20)),
    ]
    assert clock.now() == FROZEN_AT + timedelta(minutes=1)


async def test_cancel(hub: Hub, clock: Clock) -> None:
    fired: list[datetime] = []
    cancel = hub.scheduler.async_call_later(5, fired.append)
    cancel()
    await clock.advance(seconds=10)
    assert fired == []


async def test_interval_keeps_its_cadence(hub: Hub, clock: Clock) -> None:
    fired: list[datetime] = []
    cancel = hub.scheduler.async_track_interval(timedelta(minutes=1), fired.append)
    await clock.advance(minutes=3, seconds=30)
    cancel()
    await clock.advance(minutes=5)
    assert [(now - FROZEN_AT).total_seconds() for now in fired] == [60, 120, 180]


async def test_coroutine_timer_action_is_awaited(hub: Hub, clock: Clock) -> None:
    done: list[str] = []

    async def action(now: datetime) -> None:
        await asyncio.sleep(0)
        done.append("sent")

    hub.scheduler.async_call_later(1, action)
    await clock.advance(seconds=1)
    assert done == ["sent"]


async def test_state_held_for_duration_fires_once(hub: Hub, clock: Clock) -> None:
    """The overstay building block: occupied for two hours -> one alert."""
    fired: list[datetime] = []
    hub.states.async_set("binary_sensor.lot_slot_7", "off")
    hub.scheduler.async_track_state_for(
        "binary_sensor.lot_slot_7", "on", timedelta(hours=2), fired.append
    )
    hub.states.async_set("binary_sensor.lot_slot_7", "on")
    await clock.advance(hours=1)
    hub.states.async_set("binary_sensor.lot_slot_7", "on", {"confidence": 0.9})  # not a change
    await clock.advance(minutes=59)
    assert fired == []
    await clock.advance(minutes=1)
    assert fired == [FROZEN_AT + timedelta(hours=2)]
    await clock.advance(hours=5)
    assert len(fired) == 1


async def test_state_for_rearms_when_state_leaves_and_comes_back(hub: Hub, clock: Clock) -> None:
    fired: list[datetime] = []
    hub.states.async_set("binary_sensor.lot_slot_7", "on")
    await clock.advance(minutes=30)
    # Already occupied for 30 minutes: the wait counts from when it became occupied.
    cancel = hub.scheduler.async_track_state_for(
        "binary_sensor.lot_slot_7", ["on"], timedelta(hours=1), fired.append
    )
    await clock.advance(minutes=20)
    hub.states.async_set("binary_sensor.lot_slot_7", "off")
    await clock.advance(hours=2)
    assert fired == []
    hub.states.async_set("binary_sensor.lot_slot_7", "on")
    await clock.advance(hours=1)
    assert len(fired) == 1
    cancel()
    assert hub.scheduler.pending == 0


async def test_real_clock_timer_fires_on_its_own(hub: Hub) -> None:
    fired = asyncio.Event()
    hub.scheduler.async_call_later(0.02, lambda now: fired.set())
    await asyncio.wait_for(fired.wait(), 2)


async def test_real_clock_earlier_timer_rearms(hub: Hub) -> None:
    order: list[str] = []
    done = asyncio.Event()

    def late(now: datetime) -> None:
        order.append("late")
        done.set()

    hub.scheduler.async_call_later(0.08, late)
    hub.scheduler.async_call_later(0.01, lambda now: order.append("early"))
    await asyncio.wait_for(done.wait(), 2)
    assert order == ["early", "late"]
