"""The automation YAML: both spellings, and errors that say where and what, all at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import voluptuous as vol

from hub.automations import AUTOMATIONS_SCHEMA
from hub.bootstrap import load
from hub.yaml_loader import ConfigError


def test_both_spellings_and_the_older_keys() -> None:
    new, old = AUTOMATIONS_SCHEMA(
        [
            {
                "triggers": [{"trigger": "event", "event_type": "x"}],
                "conditions": "{{ true }}",
                "actions": [{"action": "gate.open"}],
            },
            {
                "trigger": {"platform": "event", "event_type": "x"},
                "condition": [{"condition": "state", "entity_id": "gate.entry", "state": "closed"}],
                "action": {"service": "gate.open", "data": {"reason": "{{ 1 }}"}},
            },
        ]
    )
    assert new["triggers"][0]["trigger"] == old["triggers"][0]["trigger"] == "event"
    assert new["conditions"][0] == {
        "condition": "template",
        "value_template": "{{ true }}",
        "enabled": True,
    }
    assert old["actions"][0]["action"] == "gate.open"
    assert new["mode"] == "single"
    assert new["max"] == 10


@pytest.mark.parametrize(
    ("automation", "message"),
    [
        ({"actions": []}, "required key not provided: triggers"),
        (
            {"trigger": [], "triggers": [], "actions": []},
            "two or more values in the same group of exclusion 'triggers'",
        ),
        (
            {"triggers": {"trigger": "state"}, "actions": []},
            "required key not provided @ data[0]['triggers'][0]['entity_id']",
        ),
        (
            {"triggers": {"trigger": "time_pattern", "minutes": "/75"}, "actions": []},
            "'/N' needs N from 1 to 60",
        ),
        (
            {"triggers": {"trigger": "event", "event_type": "x"}, "actions": [{"open": "gate"}]},
            "unknown action",
        ),
        (
            {"triggers": {"trigger": "event", "event_type": "x"}, "actions": {"action": "Gate"}},
            "expected a service as domain.service",
        ),
        (
            {
                "triggers": {"trigger": "event", "event_type": "x"},
                "actions": {"action": "a.b", "data": {"x": "{{ oops( }}"}},
            },
            "invalid template",
        ),
        (
            {"triggers": {"trigger": "event", "event_type": "x"}, "actions": [], "mode": "fast"},
            "expected one of single, restart, queued, parallel",
        ),
        (
            {
                "triggers": {"trigger": "mqtt", "topic": "lot/#/x"},
                "actions": [],
            },
            "'#' must be a whole, last level",
        ),
    ],
)
def test_errors_say_what_is_wrong(automation: dict[str, object], message: str) -> None:
    with pytest.raises(vol.Invalid) as err:
        AUTOMATIONS_SCHEMA([automation])
    assert message in str(err.value)


async def test_check_config_lists_every_broken_automation_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    text = """\
automation:
  - id: first
    triggers:
      - trigger: numeric_state
        entity_id: sensor.demo_free_spaces
    actions: []
  - id: second
    triggers: {trigger: state, entity_id: gate.entry}
    condtions: []
    actions:
      - delay: soon
"""
    await asyncio.to_thread(config.write_text, text)
    with pytest.raises(ConfigError) as err:
        await asyncio.to_thread(load, config)
    assert str(err.value).splitlines() == [
        "config.yaml:4: automation.0.triggers.0: needs above:, below: or both",
        "config.yaml:9: automation.1.condtions: unknown key 'condtions'",
        "config.yaml:11: automation.1.actions.0.delay: expected a time period (seconds, "
        "'HH:MM:SS', '5m' or {minutes: 5}), got 'soon'",
    ]
