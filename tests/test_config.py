"""What a lot owner sees when config.yaml (or a file it includes) is wrong: file, line, path."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from hub import validation as cv
from hub.config import (
    HUB_SCHEMA,
    ConfigError,
    HubConfig,
    humanize_error,
    load_config,
)
from hub.yaml_loader import NodeDict, load_yaml

RECORDER_SCHEMA = vol.Schema(
    {
        vol.Optional("keep_days", default=10): cv.positive_int,
        vol.Optional("exclude", default={}): {vol.Optional("domains"): [cv.slug]},
    }
)
MQTT_SCHEMA = vol.Schema(
    {vol.Required("broker"): cv.url, vol.Optional("username"): str, vol.Optional("password"): str}
)
AUTOMATION_SCHEMA = vol.Schema(
    vol.All(cv.ensure_list, [{vol.Required("id"): cv.slug, vol.Optional("alias"): str}])
)
SCHEMAS: dict[str, Any] = {
    "hub": HUB_SCHEMA,
    "recorder": RECORDER_SCHEMA,
    "mqtt": MQTT_SCHEMA,
    "automation": AUTOMATION_SCHEMA,
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def check(path: Path) -> dict[str, Any]:
    return load_config(path, SCHEMAS.get, known=SCHEMAS)


def issues_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check(path)
    return [str(issue) for issue in info.value.issues]


def test_three_mistakes_give_exactly_three_issues(tmp_path: Path) -> None:
    write(tmp_path, "secrets.yaml", "mqtt_password: hunter2\n")
    config = write(
        tmp_path,
        "config.yaml",
        """
        hub:
          name: North lot
        recordr:
          keep_days: 3
        mqtt:
          broker: mqtt://broker.local
          password: !secret mqtt_pasword
        recorder:
          keep_days: ten
        """,
    )
    assert issues_of(config) == [
        "config.yaml:3: recordr: unknown key 'recordr' (did you mean 'recorder'?)",
        "config.yaml:7: mqtt.password: secret 'mqtt_pasword' not found in secrets.yaml"
        " (did you mean 'mqtt_password'?)",
        "config.yaml:9: recorder.keep_days: expected int, got 'ten'",
    ]


def test_valid_config_returns_validated_sections(tmp_path: Path) -> None:
    write(tmp_path, "secrets.yaml", "mqtt_password: hunter2\n")
    config = write(
        tmp_path,
        "config.yaml",
        """
        mqtt:
          broker: mqtt://broker.local
          password: !secret mqtt_password
        recorder:
        automation: []
        """,
    )
    result = load_config(config, SCHEMAS.get, known=SCHEMAS)
    # An empty section means "on, with the defaults".
    assert result == {
        "mqtt": {"broker": "mqtt://broker.local", "password": "hunter2"},
        "recorder": {"keep_days": 10, "exclude": {}},
        "automation": [],
    }


def test_error_inside_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "config.yaml", "automation: !include automations.yaml\n")
    write(
        tmp_path,
        "automations.yaml",
        """
        - id: open_for_residents
          alias: Open the barrier
        - id: Close Gate
          alias: [oops]
        """,
    )
    assert issues_of(tmp_path / "config.yaml") == [
        "automations.yaml:3: automation.1.id: invalid slug 'Close Gate'"
        " (use lower-case letters, digits and _, e.g. 'close_gate')",
        "automations.yaml:4: automation.1.alias: expected str, got a list",
    ]


def test_included_file_in_subfolder_uses_its_own_folder(tmp_path: Path) -> None:
    write(tmp_path, "secrets.yaml", "broker_url: mqtt://10.0.0.2\n")
    write(tmp_path, "config.yaml", "mqtt: !include packages/mqtt.yaml\n")
    write(
        tmp_path,
        "packages/mqtt.yaml",
        """
        broker: !secret broker_url
        username: !include ../user.txt
        colour: blue
        """,
    )
    write(tmp_path, "user.txt", "lot_owner\n")
    assert issues_of(tmp_path / "config.yaml") == [
        "packages/mqtt.yaml:3: mqtt.colour: unknown key 'colour'"
    ]


def test_required_key_points_at_the_parent_and_unknown_nested_key_suggests(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        """
        hub:
          tme_zone: Europe/Berlin
        mqtt:
          username: lot
        recorder:
          exclude:
            domains: [camera, Sensor]
        """,
    )
    assert issues_of(config) == [
        "config.yaml:2: hub.tme_zone: unknown key 'tme_zone' (did you mean 'time_zone'?)",
        "config.yaml:3: mqtt.broker: required key not provided",
        "config.yaml:7: recorder.exclude.domains.1: invalid slug 'Sensor'"
        " (use lower-case letters, digits and _, e.g. 'sensor')",
    ]


def test_yaml_syntax_error_gives_its_line_and_other_files_still_report(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        """
        automation: !include automations.yaml
        mqtt:
          password: !secret nope
        """,
    )
    write(tmp_path, "automations.yaml", "- id: a\n  alias: x\n - id: b\n")
    issues = issues_of(config)
    # libyaml (the C loader, used where PyYAML has it) words the problem its own way.
    assert issues[0] in (
        "automations.yaml:3: invalid YAML: expected <block end>, but found"
        " '<block sequence start>' (while parsing a block collection on line 1)",
        "automations.yaml:3: invalid YAML: did not find expected '-' indicator"
        " (while parsing a block collection on line 1)",
    )
    assert issues[1:] == [
        "config.yaml:2: mqtt.broker: required key not provided",
        "config.yaml:3: mqtt.password: secret 'nope' not found: secrets.yaml does not exist",
    ]


def test_syntax_error_in_main_file(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "hub:\n  name: x\n\tport: 1\n")
    assert issues_of(config)[0] in (
        "config.yaml:3: invalid YAML: found character '\\t' that cannot start any token"
        " (while scanning for the next token)",
        # libyaml's wording (the C loader)
        "config.yaml:3: invalid YAML: found a tab character that violates indentation"
        " (while scanning a plain scalar on line 2)",
    )


def test_empty_files(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "# nothing yet\n")
    assert load_yaml(config) == {}
    assert isinstance(load_yaml(config), NodeDict)
    assert check(config) == {}
    write(tmp_path, "config.yaml", "automation: !include automations.yaml\n")
    write(tmp_path, "automations.yaml", "")
    assert check(config) == {"automation": []}


def test_missing_main_file_and_non_mapping_top_level(tmp_path: Path) -> None:
    assert issues_of(tmp_path / "config.yaml") == ["config.yaml: cannot read: file not found"]
    config = write(tmp_path, "config.yaml", "- hub\n- mqtt\n")
    assert issues_of(config) == ["config.yaml:1: expected a mapping of sections, got a list"]


def test_unknown_top_level_key_without_close_match(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "hub:\nspaceship: {}\n")
    schemas = {**SCHEMAS, "hub": vol.Schema(vol.Any(None, HUB_SCHEMA))}
    with pytest.raises(ConfigError) as info:
        load_config(config, schemas.get, known=schemas)
    assert str(info.value) == "config.yaml:2: spaceship: unknown key 'spaceship'"


def test_a_broken_schema_is_an_issue_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(value: Any) -> Any:
        raise KeyError("slots")

    config = write(tmp_path, "config.yaml", "occupancy: {}\nrecorder:\n  keep_days: 0\n")
    schemas = {**SCHEMAS, "occupancy": vol.Schema(explode)}
    with caplog.at_level(logging.ERROR), pytest.raises(ConfigError) as info:
        load_config(config, schemas.get, known=schemas)
    assert str(info.value).splitlines() == [
        "config.yaml:1: occupancy: could not be checked (KeyError: 'slots');"
        " please report this bug",
        "config.yaml:3: recorder.keep_days: expected a positive int, got 0",
    ]
    assert "occupancy" in caplog.text


def test_humanize_error() -> None:
    schema = vol.Schema({vol.Required("port"): vol.Coerce(int), "x": {"y": int}})
    with pytest.raises(vol.MultipleInvalid) as info:
        schema({"x": "nope", "z": 1})
    messages = sorted(humanize_error(err) for err in info.value.errors)
    assert messages == ["expected a mapping", "required key not provided", "unknown key"]
    assert humanize_error(vol.Invalid("expected int"), value="ten") == "expected int, got 'ten'"
    assert humanize_error(vol.Invalid("expected int, got 'ten'"), value="ten") == (
        "expected int, got 'ten'"
    )


def test_hub_schema_defaults_and_hub_config() -> None:
    assert HubConfig.from_dict(HUB_SCHEMA({})) == HubConfig()
    config = HubConfig.from_dict(
        HUB_SCHEMA(
            {
                "name": "North lot",
                "time_zone": "Europe/Berlin",
                "unit_system": "imperial",
                "currency": "GBP",
                "data_dir": "data",
                "port": "8080",
            }
        )
    )
    assert config == HubConfig("North lot", "Europe/Berlin", "imperial", "GBP", "data", 8080)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"time_zone": "Europe/Berlun"}, "unknown time zone 'Europe/Berlun'"),
        ({"unit_system": "furlongs"}, "expected 'metric' or 'imperial'"),
        ({"currency": "eur"}, "currency code like 'EUR', got 'eur'"),
        ({"port": 70000}, "expected a port number from 1 to 65535, got 70000"),
        ({"colour": "red"}, "extra keys not allowed"),
    ],
)
def test_hub_schema_rejects(section: dict[str, Any], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message.replace("(", r"\(")):
        HUB_SCHEMA(section)


def test_typo_inside_a_list_item_is_named_at_its_own_line(tmp_path: Path) -> None:
    from hub.integrations.gate import CONFIG_SCHEMA as GATE_SCHEMA

    config = write(
        tmp_path,
        "config.yaml",
        """
        gate:
          - id: entry
            backend: demo
          - id: exit
            name: Exit barrier
            backnd: demo
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_config(config, {"gate": GATE_SCHEMA}.get, known=["gate"])
    assert [str(issue) for issue in info.value.issues] == [
        "config.yaml:6: gate.1.backnd: unknown key 'backnd' (did you mean 'backend'?)"
    ]


def test_c_loader_is_used_where_pyyaml_has_it_and_lines_survive(tmp_path: Path) -> None:
    import yaml

    from hub import yaml_loader

    if getattr(yaml, "__with_libyaml__", False):
        assert issubclass(yaml_loader._Loader, yaml.CSafeLoader)
    config = write(tmp_path, "config.yaml", "hub:\n  name: x\n\nrecorder:\n  keep_days: ten\n")
    assert issues_of(config) == ["config.yaml:5: recorder.keep_days: expected int, got 'ten'"]
