"""Reading YAML: !secret, !include, !env_var, duplicate keys, and the lines values came from."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.yaml_loader import (
    UNRESOLVED,
    ConfigError,
    ConfigIssue,
    NodeDict,
    NodeList,
    load_yaml,
    read_yaml,
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_env_var_with_and_without_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARKHUB_USER", "attendant")
    monkeypatch.delenv("PARKHUB_PASSWORD", raising=False)
    monkeypatch.delenv("PARKHUB_BROKER", raising=False)
    config = write(
        tmp_path,
        "config.yaml",
        """
        mqtt:
          broker: !env_var PARKHUB_BROKER mqtt://localhost:1883
          username: !env_var PARKHUB_USER nobody
        """,
    )
    assert load_yaml(config) == {
        "mqtt": {"broker": "mqtt://localhost:1883", "username": "attendant"}
    }
    write(tmp_path, "config.yaml", "mqtt:\n  password: !env_var PARKHUB_PASSWORD\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(config)
    assert info.value.issues == [
        ConfigIssue(
            "config.yaml", 2, "mqtt.password", "environment variable 'PARKHUB_PASSWORD' is not set"
        )
    ]


def test_duplicate_key_is_an_issue_but_merge_keys_are_not(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        """
        base: &base {keep_days: 3, purge: true}
        recorder:
          <<: *base
          keep_days: 5
        hub:
          name: A
          port: 8123
          name: B
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_yaml(config)
    assert [str(i) for i in info.value.issues] == [
        "config.yaml:8: hub.name: duplicate key (first on line 6)"
    ]


def test_missing_include_and_include_loop(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        """
        automation: !include automations.yaml
        mqtt: !include mqtt.yaml
        """,
    )
    write(tmp_path, "mqtt.yaml", "broker: !include config.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(config)
    assert str(info.value).splitlines() == [
        "config.yaml:1: automation: cannot include 'automations.yaml': file not found",
        "mqtt.yaml:1: mqtt.broker: include loop: config.yaml -> mqtt.yaml -> config.yaml",
    ]


def test_nodes_remember_file_and_lines(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        """
        # the demo lot
        occupancy:
          slots:
            - id: a1
            - id: a2
        automation: !include automations.yaml
        """,
    )
    write(tmp_path, "automations.yaml", "# made in the panel\n- id: x\n")
    data = load_yaml(config)
    assert isinstance(data, NodeDict)
    assert (data.file, data.line, data.line_of("automation")) == ("config.yaml", 2, 6)
    slots = data["occupancy"]["slots"]
    assert isinstance(slots, NodeList)
    assert slots.item_lines == [4, 5]
    automations = data["automation"]
    assert isinstance(automations, NodeList)
    assert (automations.file, automations.line) == ("automations.yaml", 2)


def test_clock_times_stay_strings(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "opens: 10:30\nfor: 1:30:00\ncount: 0x10\nratio: 1.5\n")
    assert load_yaml(config) == {"opens": "10:30", "for": "1:30:00", "count": 16, "ratio": 1.5}


def test_secrets_file_can_be_given(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "mqtt:\n  password: !secret pw\n")
    secrets = write(tmp_path, "vault/prod.yaml", "pw: s3cret\n")
    assert load_yaml(config, secrets=secrets) == {"mqtt": {"password": "s3cret"}}


def test_secrets_file_problems_name_that_file(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "mqtt:\n  password: !secret pw\n")
    write(tmp_path, "secrets.yaml", "pw: a\nother: !secret pw\npw: b\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(config)
    assert str(info.value).splitlines() == [
        "secrets.yaml:2: other: !secret cannot be used inside secrets.yaml",
        "secrets.yaml:3: pw: duplicate key (first on line 1)",
    ]


def test_config_error_is_sorted_by_file_then_line() -> None:
    err = ConfigError(
        [
            ConfigIssue("config.yaml", 9, "b", "two"),
            ConfigIssue("automations.yaml", 4, "", "three"),
            ConfigIssue("config.yaml", 2, "a.0", "one"),
        ]
    )
    assert str(err) == "automations.yaml:4: three\nconfig.yaml:2: a.0: one\nconfig.yaml:9: b: two"


def test_read_yaml_returns_issues_and_marks_what_it_could_not_read(tmp_path: Path) -> None:
    config = write(tmp_path, "config.yaml", "mqtt:\n  broker: mqtt://a\n  password: !secret pw\n")
    data, issues = read_yaml(config)
    assert data == {"mqtt": {"broker": "mqtt://a", "password": UNRESOLVED}}
    assert issues == [
        ConfigIssue(
            "config.yaml", 3, "mqtt.password", "secret 'pw' not found: secrets.yaml does not exist"
        )
    ]
    data, issues = read_yaml(tmp_path / "missing.yaml")
    assert data is UNRESOLVED
    assert [str(issue) for issue in issues] == ["missing.yaml: cannot read: file not found"]
