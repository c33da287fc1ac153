"""automation.trigger / turn_on / turn_off / toggle / reload."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import Clock, LogGuard
from tests.states import get_state

GATE_AUTOMATION = {
    "id": "gate",
    "alias": "Open the gate",
    "triggers": [{"trigger": "event", "event_type": "car"}],
    "conditions": ["{{ false }}"],
    "actions": [record(by="{{ trigger.platform }}", extra="{{ extra | default('-') }}")],
}


async def test_trigger_service_skips_conditions_by_default(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations([GATE_AUTOMATION])
    assert hub.states.get("automation.open_the_gate") is not None  # named after the alias
    await hub.services.async_call(
        "automation",
        "trigger",
        {"entity_id": "automation.open_the_gate", "variables": {"extra": 5}},
    )
    await hub.services.async_call(
        "automation", "trigger", {"entity_id": "automation.open_the_gate", "skip_condition": False}
    )
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"by": None, "extra": 5}]


async def test_turn_off_detaches_and_stops_runs(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            {
                "id": "slow",
                "triggers": [{"trigger": "event", "event_type": "car"}],
                "actions": [{"delay": 10}, record(done=True)],
            }
        ]
    )
    hub.bus.async_fire("car")
    await hub.async_block_till_done()
    await hub.services.async_call("automation", "turn_off", {"entity_id": "automation.slow"})
    assert get_state(hub, "automation.slow").state == "off"
    hub.bus.async_fire("car")
    await clock.advance(seconds=20)
    assert calls == []

    await hub.services.async_call("automation", "toggle", {"entity_id": "all"})
    assert get_state(hub, "automation.slow").state == "on"
    hub.bus.async_fire("car")
    await clock.advance(seconds=10)
    assert len(calls) == 1
    await hub.services.async_call("automation", "toggle", {"entity_id": "automation.slow"})
    await hub.services.async_call("automation", "turn_on", {"entity_id": "automation.slow"})
    assert get_state(hub, "automation.slow").state == "on"


async def test_turn_off_can_let_runs_finish(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            {
                "id": "slow",
                "triggers": [{"trigger": "event", "event_type": "car"}],
                "actions": [{"delay": 10}, record(done=True)],
            }
        ]
    )
    hub.bus.async_fire("car")
    await hub.services.async_call(
        "automation", "turn_off", {"entity_id": "automation.slow", "stop_actions": False}
    )
    await clock.advance(seconds=10)
    assert len(calls) == 1


async def test_unknown_entity_is_named(hub: Hub, setup_automations: SetupAutomations) -> None:
    await setup_automations([GATE_AUTOMATION])
    with pytest.raises(ServiceValidationError, match=r"unknown entity automation\.nope"):
        await hub.services.async_call("automation", "turn_on", {"entity_id": "automation.nope"})


async def write_config(path: Path, automations: str) -> None:
    text = "hub:\n  name: Test\nrecorder:\n  keep_days: 3\nautomation:\n" + textwrap.indent(
        textwrap.dedent(automations), "  "
    )
    await asyncio.to_thread(path.write_text, text)


async def test_reload_replaces_automations_and_keeps_their_state(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations([GATE_AUTOMATION, {**GATE_AUTOMATION, "id": "old", "alias": "Old"}])
    await hub.services.async_call(
        "automation", "turn_off", {"entity_id": "automation.open_the_gate"}
    )
    await write_config(
        hub.config_path,
        """
        - id: gate
          alias: Open the gate
          trigger: {trigger: event, event_type: car}
          action: {action: test.record, data: {version: 2}}
        - id: new_one
          triggers: [{trigger: event, event_type: car}]
          actions: [{action: test.record, data: {version: "new"}}]
        """,
    )
    reloaded: list[Any] = []
    hub.bus.async_listen("automation_reloaded", reloaded.append)
    await hub.services.async_call("automation", "reload")
    assert hub.states.get("automation.old") is None
    assert get_state(hub, "automation.open_the_gate").state == "off"  # kept across the reload
    assert get_state(hub, "automation.new_one").state == "on"
    hub.bus.async_fire("car")
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"version": "new"}]
    assert reloaded[0].data == {"count": 2}


async def test_broken_reload_keeps_the_running_automations(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations, log_guard: LogGuard
) -> None:
    await setup_automations([{**GATE_AUTOMATION, "conditions": []}])
    await write_config(
        hub.config_path,
        """
        - id: gate
          triggers: [{trigger: numeric_state, entity_id: sensor.x, above: lots}]
          actions: [{action: test.record}]
        - id: second
          triggers: [{trigger: nonsense}]
          actions: [{delay: forever}]
        """,
    )
    log_guard.allowed = True
    with pytest.raises(ServiceValidationError) as err:
        await hub.services.async_call("automation", "reload")
    message = str(err.value)
    assert (
        "config.yaml:8: automation.0.triggers.0.above: expected a number or an entity id" in message
    )
    assert (
        "config.yaml:11: automation.1.triggers.0.trigger: unknown trigger type 'nonsense'"
        in message
    )
    assert "config.yaml:12: automation.1.actions.0.delay: expected a time period" in message
    hub.bus.async_fire("car")
    await hub.async_block_till_done()
    assert len(calls) == 1  # the old automation still runs


async def test_reload_of_unreadable_yaml_is_reported(
    hub: Hub, setup_automations: SetupAutomations, log_guard: LogGuard
) -> None:
    await setup_automations([GATE_AUTOMATION])
    await asyncio.to_thread(hub.config_path.write_text, "automation:\n  - id: x\n    trigger: [\n")
    log_guard.allowed = True
    with pytest.raises(ServiceValidationError, match=r"config.yaml:\d+: invalid YAML"):
        await hub.services.async_call("automation", "reload")
    assert hub.states.get("automation.open_the_gate") is not None


async def test_reload_is_not_stopped_by_problems_in_other_sections(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations([GATE_AUTOMATION])
    text = (
        "hub:\n  name: Test\nmqtt:\n  password: !secret not_there\nautomation:\n"
        "  - id: new_one\n"
        "    triggers: [{trigger: event, event_type: car}]\n"
        "    actions: [{action: test.record, data: {version: new}}]\n"
    )
    await asyncio.to_thread(hub.config_path.write_text, text)
    await hub.services.async_call("automation", "reload")
    assert hub.states.get("automation.open_the_gate") is None
    hub.bus.async_fire("car")
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"version": "new"}]
