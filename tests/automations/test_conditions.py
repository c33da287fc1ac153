"""Conditions: each type, nesting, the string shorthand, and what the trace records."""

from __future__ import annotations

from typing import Any

import pytest

from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations
from tests.conftest import Clock, LogGuard


async def run_with(
    hub: Hub, setup_automations: SetupAutomations, conditions: list[Any], **trigger: Any
) -> bool:
    """Set up one automation with `conditions`, fire its event, say whether it ran."""
    manager = await setup_automations(
        [
            {
                "id": "cond",
                "triggers": [
                    {"trigger": "event", "event_type": "go", "id": "first"},
                    {"trigger": "event", "event_type": "go_second", "id": "second"},
                ],
                "conditions": conditions,
                "actions": [{"action": "test.record"}],
            }
        ]
    )
    calls_before = len(manager.traces.get("cond"))
    hub.bus.async_fire(trigger.get("event", "go"))
    await hub.async_block_till_done()
    traces = manager.traces.get("cond")
    assert len(traces) == calls_before + 1
    return bool(traces[0]["execution"] == "finished")


@pytest.mark.usefixtures("calls")
async def test_state_condition(hub: Hub, setup_automations: SetupAutomations) -> None:
    hub.states.async_set("gate.entry", "closed", {"mode": "auto"})
    hub.states.async_set("gate.exit", "open")
    cond = {"condition": "state", "entity_id": "gate.entry", "state": "closed"}
    assert await run_with(hub, setup_automations, [cond])
    cond_list = {"condition": "state", "entity_id": "gate.entry", "state": ["open", "opening"]}
    assert not await run_with(hub, setup_automations, [cond_list])
    both = {"condition": "state", "entity_id": ["gate.entry", "gate.exit"], "state": "closed"}
    assert not await run_with(hub, setup_automations, [both])
    assert await run_with(hub, setup_automations, [{**both, "match": "any"}])
    attr = {"condition": "state", "entity_id": "gate.entry", "attribute": "mode", "state": "auto"}
    assert await run_with(hub, setup_automations, [attr])


@pytest.mark.usefixtures("calls")
async def test_state_condition_for(
    hub: Hub, clock: Clock, setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "open")
    cond = {"condition": "state", "entity_id": "gate.entry", "state": "open", "for": "00:05"}
    assert not await run_with(hub, setup_automations, [cond])
    await clock.advance(minutes=5)
    assert await run_with(hub, setup_automations, [cond])


@pytest.mark.usefixtures("calls")
async def test_numeric_state_condition(
    hub: Hub, setup_automations: SetupAutomations, log_guard: LogGuard
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "4", {"total": 20})
    hub.states.async_set("sensor.threshold", "5")
    below = {
        "condition": "numeric_state",
        "entity_id": "sensor.lot_free_spaces",
        "below": "sensor.threshold",
    }
    assert await run_with(hub, setup_automations, [below])
    above = {"condition": "numeric_state", "entity_id": "sensor.lot_free_spaces", "above": 4}
    assert not await run_with(hub, setup_automations, [above])
    attr = {
        "condition": "numeric_state",
        "entity_id": "sensor.lot_free_spaces",
        "attribute": "total",
        "above": 10,
        "below": 30,
    }
    assert await run_with(hub, setup_automations, [attr])
    missing = {"condition": "numeric_state", "entity_id": "sensor.nothing", "above": 1}
    assert not await run_with(hub, setup_automations, [missing])
    traces = hub.data["automation"].traces.get("cond")
    assert traces[0]["conditions"][0] == {
        "path": "condition/0",
        "result": False,
        "error": "sensor.nothing has no numeric value",
    }


@pytest.mark.usefixtures("calls")
async def test_template_condition_and_shorthand(
    hub: Hub, setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "closed")
    assert await run_with(hub, setup_automations, ["{{ is_state('gate.entry', 'closed') }}"])
    full = {"condition": "template", "value_template": "{{ trigger.id == 'second' }}"}
    assert not await run_with(hub, setup_automations, [full])
    assert await run_with(hub, setup_automations, [full], event="go_second")


@pytest.mark.usefixtures("calls")
async def test_and_or_not(hub: Hub, setup_automations: SetupAutomations) -> None:
    yes, no = "{{ true }}", "{{ false }}"
    assert await run_with(hub, setup_automations, [{"condition": "or", "conditions": [no, yes]}])
    assert not await run_with(
        hub, setup_automations, [{"condition": "and", "conditions": [yes, no]}]
    )
    assert await run_with(hub, setup_automations, [{"condition": "not", "conditions": [no, no]}])
    assert not await run_with(hub, setup_automations, [{"not": [no, yes]}])  # shorthand
    nested = {"or": [{"and": [yes, no]}, {"not": [no]}]}
    assert await run_with(hub, setup_automations, [nested])
    assert not await run_with(hub, setup_automations, [yes, no])  # a list means all


@pytest.mark.usefixtures("calls")
async def test_time_condition(hub: Hub, clock: Clock, setup_automations: SetupAutomations) -> None:
    # The clock starts on Monday 2026-03-02 at 08:00 UTC (the hub's zone).
    assert await run_with(
        hub, setup_automations, [{"condition": "time", "after": "07:00", "before": "09:00"}]
    )
    assert not await run_with(hub, setup_automations, [{"condition": "time", "after": "08:30"}])
    overnight = {"condition": "time", "after": "22:00", "before": "06:00"}
    assert not await run_with(hub, setup_automations, [overnight])
    assert await run_with(
        hub, setup_automations, [{"condition": "time", "weekday": ["mon", "tue"]}]
    )
    assert not await run_with(hub, setup_automations, [{"condition": "time", "weekday": "sat"}])
    await clock.advance(hours=15)  # 23:00
    assert await run_with(hub, setup_automations, [overnight])


@pytest.mark.usefixtures("calls")
async def test_trigger_condition(hub: Hub, setup_automations: SetupAutomations) -> None:
    cond = {"condition": "trigger", "id": "second"}
    assert not await run_with(hub, setup_automations, [cond])
    assert await run_with(hub, setup_automations, [cond], event="go_second")


async def test_trace_records_each_condition(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "open")
    assert not await run_with(
        hub,
        setup_automations,
        [
            "{{ true }}",
            {
                "or": [
                    {"condition": "state", "entity_id": "gate.entry", "state": "closed"},
                    "{{ false }}",
                ]
            },
        ],
    )
    trace = hub.data["automation"].traces.get("cond")[0]
    assert trace["execution"] == "condition_failed"
    results = {entry["path"]: entry["result"] for entry in trace["conditions"]}
    assert results == {
        "condition/0": True,
        "condition/1/conditions/0": False,
        "condition/1/conditions/1": False,
        "condition/1": False,
        "condition": False,
    }
    assert calls == []


async def test_disabled_condition_passes(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    cond = {"condition": "template", "value_template": "{{ false }}", "enabled": False}
    assert await run_with(hub, setup_automations, [cond])
    assert len(calls) == 1


async def test_template_error_in_condition_is_false_and_named(
    hub: Hub,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert not await run_with(hub, setup_automations, ["{{ states('sensor.x') | float > 1 }}"])
    assert "Automation cond: condition condition/0: template" in caplog.text
    assert "float got invalid input 'unknown'" in caplog.text
    assert calls == []
