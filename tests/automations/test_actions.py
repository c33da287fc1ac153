"""Every action type, run by an automation fired with an event; waits use the test clock."""

from __future__ import annotations

from typing import Any

import pytest

from hub.automations import AutomationManager
from hub.core.bus import Event
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import Clock, LogGuard


async def start(
    hub: Hub, setup_automations: SetupAutomations, actions: list[Any], **extra: Any
) -> AutomationManager:
    manager = await setup_automations(
        [
            {
                "id": "act",
                "triggers": [{"trigger": "event", "event_type": "go"}],
                "actions": actions,
                **extra,
            }
        ]
    )
    hub.bus.async_fire("go", {"plate": "KA01AB1234", "n": 3})
    await hub.async_block_till_done()
    return manager


def last_trace(manager: AutomationManager) -> dict[str, Any]:
    return manager.traces.get("act")[0]


async def test_service_call_with_templated_target_and_data(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("input_text.gate", "gate.entry")
    await start(
        hub,
        setup_automations,
        [
            {
                "action": "test.record",
                "target": {"entity_id": "{{ states('input_text.gate') }}"},
                "data": {
                    "reason": "resident {{ trigger.event.data.plate }}",
                    "times": "{{ trigger.event.data.n * 2 }}",
                },
            },
            {"service": "test.record", "data": {"legacy": True}},  # the older spelling
            {"action": "{{ 'test.' ~ 'record' }}"},
        ],
    )
    assert [call.data for call in calls] == [
        {"entity_id": "gate.entry", "reason": "resident KA01AB1234", "times": 6},
        {"legacy": True},
        {},
    ]


async def test_delay(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await start(
        hub,
        setup_automations,
        [
            record(step=1),
            {"delay": "00:01:30"},
            record(step=2),
            {"delay": {"seconds": "{{ 10 }}"}},
            record(step=3),
        ],
    )
    assert [call.data["step"] for call in calls] == [1]
    await clock.advance(seconds=89)
    assert len(calls) == 1
    await clock.advance(seconds=1)
    assert len(calls) == 2
    await clock.advance(seconds=10)
    assert [call.data["step"] for call in calls] == [1, 2, 3]


async def test_wait_template(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "opening")
    await start(
        hub,
        setup_automations,
        [
            {"wait_template": "{{ is_state('gate.entry', 'open') }}", "timeout": 60},
            record(completed="{{ wait.completed }}"),
            {"wait_template": "{{ is_state('gate.entry', 'closed') }}", "timeout": 60},
            record(completed="{{ wait.completed }}"),
            {"wait_template": "{{ false }}", "timeout": 5, "continue_on_timeout": False},
            record(never=True),
        ],
    )
    await clock.advance(seconds=10)
    hub.states.async_set("gate.entry", "open")
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"completed": True}]
    await clock.advance(seconds=60)  # never closes: times out and carries on
    assert [call.data for call in calls] == [{"completed": True}, {"completed": False}]
    await clock.advance(seconds=5)
    assert len(calls) == 2
    trace = hub.data["automation"].traces.get("act")[0]
    assert trace["execution"] == "finished"
    assert trace["stopped"] == "timed out"
    assert trace["steps"][-1]["path"] == "action/4"


async def test_wait_for_trigger(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await start(
        hub,
        setup_automations,
        [
            {
                "wait_for_trigger": [{"trigger": "state", "entity_id": "gate.entry", "to": "open"}],
                "timeout": {"minutes": 2},
            },
            record(by="{{ wait.trigger.entity_id if wait.trigger else 'timeout' }}"),
            {"wait_for_trigger": [{"trigger": "event", "event_type": "never"}], "timeout": 1},
            record(by="{{ wait.trigger.entity_id if wait.trigger else 'timeout' }}"),
        ],
    )
    await clock.advance(seconds=30)
    hub.states.async_set("gate.entry", "open")
    await clock.advance(seconds=1)
    assert [call.data["by"] for call in calls] == ["gate.entry", "timeout"]


async def test_choose_and_if(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "closed")
    await start(
        hub,
        setup_automations,
        [
            {
                "choose": [
                    {"conditions": ["{{ false }}"], "sequence": [record(choice="a")]},
                    {
                        "conditions": [
                            {"condition": "state", "entity_id": "gate.entry", "state": "closed"}
                        ],
                        "sequence": [record(choice="b")],
                    },
                ],
                "default": [record(choice="default")],
            },
            {
                "choose": [{"conditions": "{{ false }}", "sequence": record(choice="c")}],
                "default": record(choice="d"),
            },
            {
                "if": "{{ trigger.event.data.n > 2 }}",
                "then": [record(branch="then")],
                "else": [record(branch="else")],
            },
            {
                "if": ["{{ false }}"],
                "then": [record(branch="then2")],
                "else": [record(branch="else2")],
            },
            {"if": ["{{ false }}"], "then": [record(branch="nothing")]},
        ],
    )
    assert [call.data for call in calls] == [
        {"choice": "b"},
        {"choice": "d"},
        {"branch": "then"},
        {"branch": "else2"},
    ]


async def test_repeat_count_while_until_for_each(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await start(
        hub,
        setup_automations,
        [
            {
                "repeat": {
                    "count": "{{ trigger.event.data.n }}",
                    "sequence": [record(count="{{ repeat.index }}/{{ repeat.last }}")],
                }
            },
            {"variables": {"left": 2}},
            {
                "repeat": {
                    "while": ["{{ repeat.index <= left }}"],
                    "sequence": [record(loop="while {{ repeat.index }}")],
                }
            },
            {
                "repeat": {
                    "until": ["{{ repeat.index == 2 }}"],
                    "sequence": [record(loop="until {{ repeat.index }}")],
                }
            },
            {
                "repeat": {
                    "for_each": ["A1", "B2"],
                    "sequence": [record(item="{{ repeat.item }}", first="{{ repeat.first }}")],
                }
            },
            {"repeat": {"for_each": "{{ ['x'] }}", "sequence": [record(item="{{ repeat.item }}")]}},
        ],
    )
    assert [call.data for call in calls] == [
        {"count": "1/False"},
        {"count": "2/False"},
        {"count": "3/True"},
        {"loop": "while 1"},
        {"loop": "while 2"},
        {"loop": "until 1"},
        {"loop": "until 2"},
        {"item": "A1", "first": True},
        {"item": "B2", "first": False},
        {"item": "x"},
    ]


async def test_variables_and_event(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    fired: list[Event] = []
    hub.bus.async_listen("gate_report", fired.append)
    await start(
        hub,
        setup_automations,
        [
            {"variables": {"plate": "{{ trigger.event.data.plate }}", "count": "{{ base + 1 }}"}},
            {
                "event": "gate_report",
                "event_data": {"plate": "{{ plate }}", "count": "{{ count }}"},
            },
        ],
        variables={"base": 41},
    )
    assert [event.data for event in fired] == [{"plate": "KA01AB1234", "count": 42}]
    assert fired[0].context.parent_id is not None  # caused by the "go" event


async def test_parallel(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await start(
        hub,
        setup_automations,
        [
            {
                "parallel": [
                    {"sequence": [{"delay": 10}, record(branch="slow")]},
                    record(branch="fast"),
                ]
            },
            record(branch="after"),
        ],
    )
    assert [call.data["branch"] for call in calls] == ["fast"]
    await clock.advance(seconds=10)
    assert [call.data["branch"] for call in calls] == ["fast", "slow", "after"]


async def test_stop_and_condition_end_the_run(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations, log_guard: LogGuard
) -> None:
    manager = await start(
        hub,
        setup_automations,
        [
            record(step=1),
            {"condition": "template", "value_template": "{{ false }}"},
            record(step=2),
        ],
    )
    assert last_trace(manager)["execution"] == "condition_failed"
    calls.clear()
    await setup_automations(
        [
            {
                "id": "act",
                "triggers": [{"trigger": "event", "event_type": "go"}],
                "actions": [record(step=1), {"stop": "nothing to do"}, record(step=2)],
            },
            {
                "id": "err",
                "triggers": [{"trigger": "event", "event_type": "go"}],
                "actions": [{"stop": "gate jammed", "error": True}],
            },
        ]
    )
    log_guard.allowed = True
    hub.bus.async_fire("go")
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"step": 1}]
    assert last_trace(manager)["execution"] == "finished"
    failed = manager.traces.get("err")[0]
    assert failed["execution"] == "failed"
    assert "stopped: gate jammed" in failed["error"]


async def test_failing_step_stops_unless_continue_on_error(
    hub: Hub,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    log_guard: LogGuard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_guard.allowed = True
    manager = await start(
        hub,
        setup_automations,
        [
            {"action": "test.fail", "continue_on_error": True},
            record(step="after continue"),
            {"action": "test.fail"},
            record(step="never"),
        ],
    )
    assert [call.service for call in calls] == ["fail", "record", "fail"]
    trace = last_trace(manager)
    assert trace["execution"] == "failed"
    assert trace["steps"][0]["error"] == "the barrier controller did not answer"
    assert (
        "Automation act failed: action/2 (service): the barrier controller did not answer"
        in caplog.text
    )


async def test_template_error_names_automation_template_and_error(
    hub: Hub,
    calls: list[ServiceCall],
    setup_automations: SetupAutomations,
    log_guard: LogGuard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_guard.allowed = True
    manager = await start(
        hub, setup_automations, [record(x="{{ trigger.event.data.missing.deeper }}")]
    )
    assert calls == []
    message = last_trace(manager)["error"]
    assert "template '{{ trigger.event.data.missing.deeper }}'" in message
    assert "UndefinedError" in message
    assert "Automation act failed: action/0 (service): template" in caplog.text
    # The hub keeps going: the next trigger runs again.
    hub.bus.async_fire("go", {"missing": {"deeper": 1}})
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"x": 1}]


async def test_unknown_service_fails_the_run_clearly(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations, log_guard: LogGuard
) -> None:
    log_guard.allowed = True
    manager = await start(hub, setup_automations, [{"action": "gate.open"}])
    assert "service gate.open not found" in last_trace(manager)["error"]


async def test_disabled_step_is_skipped(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await start(hub, setup_automations, [{**record(step=1), "enabled": False}, record(step=2)])
    assert [call.data for call in calls] == [{"step": 2}]


async def test_trace_records_steps_with_timing(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    manager = await start(
        hub, setup_automations, [{"delay": 5, "alias": "wait a bit"}, record(a=1)]
    )
    await clock.advance(seconds=5)
    trace = last_trace(manager)
    assert trace["execution"] == "finished"
    delay, call = trace["steps"]
    assert delay["path"] == "action/0"
    assert delay["alias"] == "wait a bit"
    assert delay["duration"] == 5.0
    assert call["result"] == {"service": "test.record", "data": {"a": 1}}
    assert trace["trigger"]["event"]["event_type"] == "go"
    assert trace["context"]["parent_id"] == trace["trigger_context"]["id"]
    assert trace["finish"] - trace["start"] == 5.0
