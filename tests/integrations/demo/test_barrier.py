"""Demo cars wait at a closed barrier until their gate opens (or WAIT_SECONDS pass)."""

from __future__ import annotations

from hub.core.hub import Hub
from hub.integrations.demo import DemoLot
from hub.integrations.demo.const import APPROACH_SECONDS, PASS_SECONDS, WAIT_SECONDS
from tests.conftest import Clock

from .conftest import setup_demo


def _phase(lot: DemoLot, at: float | None) -> str | None:
    car = lot.lane_car("entry", at)
    return car.phase if car is not None else None


async def test_a_car_waits_for_its_gate_and_drives_on_when_it_opens(hub: Hub, clock: Clock) -> None:
    hub.states.async_set("gate.entry", "closed")
    lot = await setup_demo(hub, seed=7)
    [first] = [v for v in lot.visits(clock.now().timestamp() + 60) if v.arrive > 0][:1]
    arrive = lot._start + first.arrive / lot.time_scale
    await clock.advance(arrive + 8 - clock.now().timestamp())
    assert _phase(lot, None) == "waiting"  # 8 s at a closed barrier, still there
    hub.states.async_set("gate.entry", "opening")
    await clock.advance(1)
    assert _phase(lot, None) == "waiting"  # the arm is still going up
    hub.states.async_set("gate.entry", "open")
    await clock.advance(PASS_SECONDS / 2)
    assert _phase(lot, None) == "passing"
    await clock.advance(PASS_SECONDS)
    assert lot.lane_car("entry") is None  # through, out of the lane camera's view
    # The ground truth of the past does not change: it waited 9 s.
    assert _phase(lot, arrive + 8.9) == "waiting"
    assert _phase(lot, arrive - APPROACH_SECONDS / 2) == "approaching"


async def test_a_car_drives_on_after_waiting_its_longest(hub: Hub, clock: Clock) -> None:
    hub.states.async_set("gate.entry", "closed")
    lot = await setup_demo(hub, seed=7)
    [first] = [v for v in lot.visits(clock.now().timestamp() + 60) if v.arrive > 0][:1]
    arrive = lot._start + first.arrive / lot.time_scale
    assert _phase(lot, arrive + WAIT_SECONDS - 0.1) == "waiting"
    assert _phase(lot, arrive + WAIT_SECONDS + 0.1) == "passing"
    assert _phase(lot, arrive + WAIT_SECONDS + PASS_SECONDS + 0.1) is None


async def test_without_a_gate_entity_the_arm_lifts_by_itself(hub: Hub, clock: Clock) -> None:
    lot = await setup_demo(hub, seed=7)
    [first] = [v for v in lot.visits(clock.now().timestamp() + 60) if v.arrive > 0][:1]
    arrive = lot._start + first.arrive / lot.time_scale
    assert _phase(lot, arrive + 3.9) == "waiting"
    assert _phase(lot, arrive + 4.1) == "passing"
