"""Modes: what a second trigger does while a run is still going."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.automations import AutomationManager
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import Clock
from tests.states import get_state


async def slow_automation(setup_automations: SetupAutomations, **options: Any) -> AutomationManager:
    """Records `start n`, waits 10 s, records `end n`; n is the event's number."""
    return await setup_automations(
        [
            {
                "id": "slow",
                "triggers": [{"trigger": "event", "event_type": "car"}],
                "actions": [
                    record(step="start {{ trigger.event.data.n }}"),
                    {"delay": 10},
                    record(step="end {{ trigger.event.data.n }}"),
                ],
                **options,
            }
        ]
    )


async def fire(hub: Hub, *numbers: int) -> None:
    for n in numbers:
        hub.bus.async_fire("car", {"n": n})
    await hub.async_block_till_done()


def steps(calls: list[ServiceCall]) -> list[str]:
    return [call.data["step"] for call in calls]


async def test_single_drops_and_logs_once(
    hub: Hub,
    clock: Clock,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = await slow_automation(setup_automations)
    await fire(hub, 1, 2, 3)
    await clock.advance(seconds=10)
    assert steps(calls) == ["start 1", "end 1"]
    warnings = [r for r in caplog.records if "dropping this run" in r.getMessage()]
    assert len(warnings) == 1
    assert "Automation slow (mode single): already running" in warnings[0].getMessage()
    executions = [trace["execution"] for trace in manager.traces.get("slow")]
    assert executions == ["dropped", "dropped", "finished"]
    # Idle again: the next trigger runs, and a new busy spell is logged again.
    await fire(hub, 4, 5)
    assert len([r for r in caplog.records if "dropping this run" in r.getMessage()]) == 2
    await clock.advance(seconds=10)
    assert steps(calls)[2:] == ["start 4", "end 4"]


async def test_restart_stops_the_old_run(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    manager = await slow_automation(setup_automations, mode="restart")
    await fire(hub, 1)
    await clock.advance(seconds=5)
    await fire(hub, 2)
    await clock.advance(seconds=10)
    assert steps(calls) == ["start 1", "start 2", "end 2"]
    assert [trace["execution"] for trace in manager.traces.get("slow")] == ["finished", "cancelled"]


async def test_queued_runs_in_order_up_to_max(
    hub: Hub,
    clock: Clock,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager = await slow_automation(setup_automations, mode="queued", max=3)
    await fire(hub, 1, 2, 3, 4)  # 1 runs, 2 and 3 wait, 4 is over max
    assert get_state(hub, "automation.slow").attributes["current"] == 1
    await clock.advance(seconds=30)
    assert steps(calls) == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]
    assert "queue full (max 3)" in caplog.text
    assert sorted(trace["execution"] for trace in manager.traces.get("slow")) == [
        "dropped",
        "finished",
        "finished",
        "finished",
    ]


async def test_parallel_runs_together_up_to_max(
    hub: Hub,
    clock: Clock,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await slow_automation(setup_automations, mode="parallel", max=2)
    await fire(hub, 1, 2, 3)
    assert get_state(hub, "automation.slow").attributes["current"] == 2
    await clock.advance(seconds=10)
    assert steps(calls) == ["start 1", "start 2", "end 1", "end 2"]
    assert "2 runs already going (max 2)" in caplog.text
    assert get_state(hub, "automation.slow").attributes["current"] == 0


@pytest.mark.parametrize("mode", ["single", "restart", "queued", "parallel"])
async def test_state_shows_mode_and_last_triggered(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations, mode: str
) -> None:
    await slow_automation(setup_automations, mode=mode)
    state = hub.states.get("automation.slow")
    assert state is not None
    assert state.state == "on"
    assert state.attributes["mode"] == mode
    assert state.attributes["last_triggered"] is None
    await fire(hub, 1)
    state = hub.states.get("automation.slow")
    assert state is not None
    assert state.attributes["last_triggered"] == clock.now().isoformat()
    await clock.advance(seconds=10)


async def test_stopping_the_hub_cancels_waiting_runs(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    manager = await slow_automation(setup_automations)
    triggered: list[Any] = []
    hub.bus.async_listen("automation_triggered", triggered.append)
    await fire(hub, 1)
    assert [event.data for event in triggered] == [
        {"name": "slow", "entity_id": "automation.slow", "source": "event 'car'"}
    ]
    assert triggered[0].context == calls[0].context  # the run's context, on both
    async with asyncio.timeout(5):
        await hub.async_stop()  # does not wait for the 10 s delay
    assert steps(calls) == ["start 1"]
    assert manager.traces.get("slow")[0]["execution"] == "cancelled"
