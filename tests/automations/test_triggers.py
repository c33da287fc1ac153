"""Every trigger type, with the clock moved by the tests."""

from __future__ import annotations

from typing import Any

import pytest

from hub.config import HubConfig
from hub.core.context import Context
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from tests.automations.conftest import SetupAutomations, record
from tests.conftest import Clock


def automation(trigger: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {
        "id": "under_test",
        "mode": "parallel",
        "triggers": [trigger],
        "actions": [record(**data)],
    }


async def test_state_from_to(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("gate.entry", "closed")
    await setup_automations(
        [
            automation(
                {"trigger": "state", "entity_id": "gate.entry", "from": "closed", "to": "open"},
                was="{{ trigger.from_state.state }}",
                now="{{ trigger.to_state.state }}",
                who="{{ trigger.entity_id }}",
            )
        ]
    )
    hub.states.async_set("gate.entry", "opening")
    hub.states.async_set("gate.entry", "open")  # from opening: no
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")  # from closed: yes
    hub.states.async_set("gate.entry", "open", {"last_plate": "X"})  # attribute only: no
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"was": "closed", "now": "open", "who": "gate.entry"}]


async def test_state_any_change_and_attribute(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation({"trigger": "state", "entity_id": "sensor.a"}, kind="any"),
            automation(
                {
                    "trigger": "state",
                    "entity_id": "gate.entry",
                    "attribute": "last_plate",
                    "to": "KA01",
                },
                kind="attr",
            )
            | {"id": "attr"},
        ]
    )
    hub.states.async_set("sensor.a", "1")
    hub.states.async_set("sensor.a", "1", {"unit": "x"})  # attributes count without from/to
    hub.states.async_set("gate.entry", "closed", {"last_plate": "KA01"})
    hub.states.async_set("gate.entry", "open", {"last_plate": "KA01"})  # attribute unchanged
    await hub.async_block_till_done()
    assert [call.data["kind"] for call in calls] == ["any", "any", "attr"]


async def test_state_yaml_on_means_the_state_on(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [automation({"trigger": "state", "entity_id": "input_boolean.x", "to": True})]
    )
    hub.states.async_set("input_boolean.x", "on")
    await hub.async_block_till_done()
    assert len(calls) == 1


async def test_state_for_fires_after_holding_and_cancels_on_change(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation(
                {
                    "trigger": "state",
                    "entity_id": "binary_sensor.lot_slot_1",
                    "to": "on",
                    "for": "00:10:00",
                },
                held="{{ trigger.for.total_seconds() }}",
            )
        ]
    )
    hub.states.async_set("binary_sensor.lot_slot_1", "on")
    await clock.advance(minutes=9)
    hub.states.async_set("binary_sensor.lot_slot_1", "on", {"confidence": 0.9})  # same state
    hub.states.async_set("binary_sensor.lot_slot_1", "off")
    await clock.advance(minutes=5)
    assert calls == []
    hub.states.async_set("binary_sensor.lot_slot_1", "on")
    await clock.advance(minutes=9, seconds=59)
    assert calls == []
    await clock.advance(seconds=1)
    assert [call.data for call in calls] == [{"held": 600.0}]


async def test_state_for_is_cancelled_by_a_change_its_filters_do_not_want(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    """`unavailable` is neither the `from:` nor the `to:` state, yet it breaks the hold."""
    hub.states.async_set("gate.entry", "closed")
    await setup_automations(
        [
            automation(
                {
                    "trigger": "state",
                    "entity_id": "gate.entry",
                    "from": "closed",
                    "to": "open",
                    "for": "00:10:00",
                }
            )
        ]
    )
    hub.states.async_set("gate.entry", "open")
    await clock.advance(minutes=5)
    hub.states.async_set("gate.entry", "unavailable")
    hub.states.async_set("gate.entry", "open")  # from unavailable: not a new match
    await clock.advance(minutes=30)
    assert calls == []
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.entry", "open")
    await clock.advance(minutes=10)
    assert len(calls) == 1


async def test_state_for_template(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("input_number.minutes", "2")
    await setup_automations(
        [
            automation(
                {
                    "trigger": "state",
                    "entity_id": "gate.entry",
                    "to": "open",
                    "for": {"minutes": "{{ states('input_number.minutes') | int }}"},
                }
            )
        ]
    )
    hub.states.async_set("gate.entry", "open")
    await clock.advance(seconds=119)
    assert calls == []
    await clock.advance(seconds=1)
    assert len(calls) == 1


async def test_numeric_state_fires_on_crossing_only(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "0")  # already in range: no fire
    hub.states.async_set("sensor.limit", "5")
    await setup_automations(
        [
            automation(
                {"trigger": "numeric_state", "entity_id": "sensor.lot_free_spaces", "below": 1},
                kind="full",
            ),
            automation(
                {
                    "trigger": "numeric_state",
                    "entity_id": "sensor.lot_free_spaces",
                    "above": "sensor.limit",
                    "for": 30,
                },
                kind="plenty",
            )
            | {"id": "plenty"},
            automation(
                {
                    "trigger": "numeric_state",
                    "entity_id": "gate.entry",
                    "value_template": "{{ state.attributes.cars }}",
                    "above": 99,
                },
                kind="busy",
            )
            | {"id": "busy"},
        ]
    )
    hub.states.async_set("sensor.lot_free_spaces", "0", {"x": 1})
    hub.states.async_set("sensor.lot_free_spaces", "3")
    hub.states.async_set("sensor.lot_free_spaces", "0")  # crossed below 1: fires
    hub.states.async_set("sensor.lot_free_spaces", "unavailable")
    hub.states.async_set("sensor.lot_free_spaces", "8")  # above 5 but must hold 30 s
    await clock.advance(seconds=20)
    hub.states.async_set("sensor.lot_free_spaces", "9")  # still above: keeps waiting
    await clock.advance(seconds=10)
    hub.states.async_set("gate.entry", "open", {"cars": 100})
    hub.states.async_set("gate.entry", "open", {"cars": 120})
    await hub.async_block_till_done()
    assert [call.data["kind"] for call in calls] == ["full", "plenty", "busy"]


async def test_event_trigger_matches_data(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation(
                {
                    "trigger": "event",
                    "event_type": "overstay",
                    "event_data": {"lot": "north"},
                },
                plate="{{ trigger.event.data.plate }}",
            )
        ]
    )
    hub.bus.async_fire("overstay", {"lot": "south", "plate": "A"})
    hub.bus.async_fire("overstay", {"lot": "north", "plate": "B"})
    hub.bus.async_fire("anomaly", {"lot": "north", "plate": "C"})
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"plate": "B"}]


async def test_time_trigger_at_a_time_and_from_an_entity(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    # The hub's zone is UTC (the clock starts at 08:00).
    hub.states.async_set("sensor.report_time", "09:30")
    await setup_automations(
        [
            automation(
                {"trigger": "time", "at": "08:15"}, at="{{ trigger.now.strftime('%H:%M') }}"
            ),
            automation({"trigger": "time", "at": "sensor.report_time"}, at="entity") | {"id": "e"},
        ]
    )
    await clock.advance(minutes=15)
    assert [call.data["at"] for call in calls] == ["08:15"]
    hub.states.async_set("sensor.report_time", "10:00")  # moved: 09:30 no longer fires
    await clock.advance(hours=1, minutes=30)
    assert [call.data["at"] for call in calls] == ["08:15"]
    await clock.advance(minutes=15)
    assert [call.data["at"] for call in calls] == ["08:15", "entity"]
    await clock.advance(hours=24)  # both are daily
    assert [call.data["at"] for call in calls] == ["08:15", "entity", "08:15", "entity"]


async def test_time_pattern(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation(
                {"trigger": "time_pattern", "minutes": "/15"}, at="{{ trigger.now.minute }}"
            ),
            automation({"trigger": "time_pattern", "hours": 9}, at="nine") | {"id": "nine"},
        ]
    )
    await clock.advance(hours=1, minutes=1)
    assert [call.data["at"] for call in calls][:3] == [15, 30, 45]
    assert sorted(str(call.data["at"]) for call in calls[3:]) == ["0", "nine"]  # both at 09:00


async def test_template_trigger_fires_when_it_turns_true(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "0")  # true at set-up: does not fire
    await setup_automations(
        [
            automation(
                {
                    "trigger": "template",
                    "value_template": "{{ states('sensor.lot_free_spaces') | int(0) == 0 }}",
                },
                by="{{ trigger.entity_id }}",
            )
        ]
    )
    hub.states.async_set("sensor.lot_free_spaces", "2")
    hub.states.async_set("sensor.lot_free_spaces", "0")
    hub.states.async_set("sensor.lot_free_spaces", "0", {"total": 20})  # stays true: no
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [{"by": "sensor.lot_free_spaces"}]


async def test_template_trigger_for(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation(
                {
                    "trigger": "template",
                    "value_template": "{{ is_state('gate.entry', 'open') }}",
                    "for": 60,
                }
            )
        ]
    )
    hub.states.async_set("gate.entry", "open")
    await clock.advance(seconds=30)
    hub.states.async_set("gate.entry", "closed")
    await clock.advance(seconds=60)
    assert calls == []
    hub.states.async_set("gate.entry", "open")
    await clock.advance(seconds=60)
    assert len(calls) == 1


async def test_hub_start_and_shutdown(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    from hub.core.hub import CoreState

    hub.state = CoreState.starting  # as during bootstrap: integrations set up, then start
    await setup_automations(
        [
            automation({"trigger": "hub", "event": "start"}, on="start"),
            automation({"trigger": "hub", "event": "shutdown"}, on="shutdown") | {"id": "bye"},
        ]
    )
    await hub.async_start()
    await hub.async_block_till_done()
    assert [call.data["on"] for call in calls] == ["start"]
    await hub.async_stop()
    assert [call.data["on"] for call in calls] == ["start", "shutdown"]


async def test_plate_trigger_filters(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            automation(
                {
                    "trigger": "plate",
                    "camera": "camera.entry",
                    "list": "residents",
                    "min_confidence": 0.8,
                },
                plate="{{ trigger.plate }}",
                kind="resident",
            ),
            automation(
                {"trigger": "plate", "plate": "ka01*"}, plate="{{ trigger.plate }}", kind="pattern"
            )
            | {"id": "pattern"},
        ]
    )
    base = {"camera": "camera.entry", "direction": "entry", "confidence": 0.93}
    hub.bus.async_fire("plate_detected", {**base, "plate": "KA 01 AB 1234", "list": "residents"})
    hub.bus.async_fire("plate_detected", {**base, "plate": "MH12ZZ0001", "list": None})
    hub.bus.async_fire(
        "plate_detected", {**base, "plate": "MH12ZZ0002", "list": "residents", "confidence": 0.5}
    )
    hub.bus.async_fire(
        "plate_detected", {**base, "plate": "MH12ZZ0003", "list": "residents", "camera": "exit"}
    )
    hub.bus.async_fire(
        "plate_detected", {**base, "plate": "", "list": "residents"}
    )  # garbled: dropped
    await hub.async_block_till_done()
    assert [(call.data["kind"], call.data["plate"]) for call in calls] == [
        ("resident", "KA01AB1234"),
        ("pattern", "KA01AB1234"),
    ]


async def test_trigger_ids_variables_and_context(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    await setup_automations(
        [
            {
                "id": "ids",
                "variables": {"lot": "north"},
                "triggers": [
                    {
                        "trigger": "event",
                        "event_type": "a",
                        "id": "from_a",
                        "variables": {"n": "{{ 1 + 1 }}"},
                    },
                    {"trigger": "event", "event_type": "b"},
                ],
                "actions": [
                    record(
                        id="{{ trigger.id }}",
                        idx="{{ trigger.idx }}",
                        n="{{ n | default(0) }}",
                        lot="{{ lot }}",
                    )
                ],
                "mode": "parallel",
            }
        ]
    )
    cause = Context(user_id="operator")
    hub.bus.async_fire("a", context=cause)
    hub.bus.async_fire("b")
    await hub.async_block_till_done()
    assert [call.data for call in calls] == [
        {"id": "from_a", "idx": 0, "n": 2, "lot": "north"},  # a rendered "0" reads as 0
        {"id": 1, "idx": 1, "n": 0, "lot": "north"},
    ]
    # The service call's context is the run's, whose parent is what caused the trigger.
    assert calls[0].context.parent_id == cause.id


@pytest.mark.parametrize(
    "trigger",
    [
        {"trigger": "state", "entity_id": "gate.entry", "enabled": False},
        {"trigger": "event", "event_type": "x", "enabled": "off"},
    ],
)
async def test_disabled_trigger_is_not_attached(
    hub: Hub, calls: list[ServiceCall], setup_automations: SetupAutomations, trigger: dict[str, Any]
) -> None:
    await setup_automations([automation(trigger)])
    hub.states.async_set("gate.entry", "open")
    hub.bus.async_fire("x")
    await hub.async_block_till_done()
    assert calls == []


@pytest.mark.parametrize("hub_config", [HubConfig(time_zone="Europe/Amsterdam")])
async def test_time_trigger_follows_local_time_across_dst(
    hub: Hub, clock: Clock, calls: list[ServiceCall], setup_automations: SetupAutomations
) -> None:
    # 08:00 UTC is 09:00 in Amsterdam in March (CET); summer time starts on 29 March.
    await setup_automations(
        [
            automation(
                {"trigger": "time", "at": "09:30"},
                utc="{{ utcnow().strftime('%d %H:%M') }}",
                local="{{ now().strftime('%H:%M') }}",
            )
        ]
    )
    await clock.advance(minutes=30)
    await clock.advance(days=28)
    assert len(calls) == 29
    assert calls[0].data == {"utc": "02 08:30", "local": "09:30"}
    assert calls[-1].data == {"utc": "30 07:30", "local": "09:30"}  # CEST: UTC+2
