"""timer: start, pause, resume, change, cancel, finish, events, and a restart mid-count."""

from __future__ import annotations

from datetime import timedelta

from hub.core.bus import Event
from hub.core.hub import Hub
from tests.integrations.conftest import FROZEN_AT, SetupIntegration, StartHub
from tests.states import get_state

GRACE = {"grace": {"duration": "00:10:00"}}
ENTITY = {"entity_id": "timer.grace"}


def state(hub: Hub) -> tuple[str, str]:
    current = hub.states.get("timer.grace")
    assert current is not None
    return current.state, current.attributes["remaining"]


async def test_countdown(start_hub: StartHub, setup_integration: SetupIntegration) -> None:
    hub = await start_hub()
    await setup_integration(hub, "timer", GRACE)
    events: list[Event] = []
    for kind in ("started", "restarted", "paused", "cancelled", "finished"):
        hub.bus.async_listen(f"timer.{kind}", events.append)

    assert state(hub) == ("idle", "0:10:00")
    await hub.services.async_call("timer", "start", ENTITY)
    assert (
        get_state(hub, "timer.grace").attributes["finishes_at"]
        == (FROZEN_AT + timedelta(minutes=10)).isoformat()
    )
    await hub.scheduler.async_advance(240)
    await hub.services.async_call("timer", "pause", ENTITY)
    assert state(hub) == ("paused", "0:06:00")
    await hub.scheduler.async_advance(3600)  # paused: nothing happens
    await hub.services.async_call("timer", "start", ENTITY)  # resumes with what was left
    await hub.services.async_call("timer", "change", {**ENTITY, "duration": 60})
    await hub.scheduler.async_advance(419)
    assert state(hub)[0] == "active"
    await hub.scheduler.async_advance(1)
    assert state(hub) == ("idle", "0:10:00")
    assert [event.event_type for event in events] == [
        "timer.started",
        "timer.paused",
        "timer.started",
        "timer.finished",
    ]
    await hub.services.async_call("timer", "start", {**ENTITY, "duration": 30})
    await hub.services.async_call("timer", "start", ENTITY)
    await hub.services.async_call("timer", "cancel", ENTITY)
    assert [event.event_type for event in events][-3:] == [
        "timer.started",
        "timer.restarted",
        "timer.cancelled",
    ]
    assert events[-1].data == {"entity_id": "timer.grace"}


async def test_an_active_timer_survives_a_restart(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    await setup_integration(hub, "timer", GRACE)
    await hub.services.async_call("timer", "start", ENTITY)
    await hub.scheduler.async_advance(60)
    await hub.async_stop()

    # Back two minutes later: it still finishes ten minutes after it started.
    hub = await start_hub(at=FROZEN_AT + timedelta(minutes=3))
    finished: list[Event] = []
    hub.bus.async_listen("timer.finished", finished.append)
    await setup_integration(hub, "timer", GRACE)
    assert state(hub) == ("active", "0:07:00")
    await hub.scheduler.async_advance(timedelta(minutes=7))
    assert len(finished) == 1
    assert state(hub)[0] == "idle"


async def test_a_timer_that_ran_out_while_down_finishes_at_once(
    start_hub: StartHub, setup_integration: SetupIntegration
) -> None:
    hub = await start_hub()
    await setup_integration(hub, "timer", GRACE)
    await hub.services.async_call("timer", "start", ENTITY)
    await hub.async_stop()

    hub = await start_hub(at=FROZEN_AT + timedelta(hours=1))
    finished: list[Event] = []
    hub.bus.async_listen("timer.finished", finished.append)
    await setup_integration(hub, "timer", GRACE)
    await hub.scheduler.async_advance(0)
    assert len(finished) == 1
    assert state(hub)[0] == "idle"
