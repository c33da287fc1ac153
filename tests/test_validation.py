"""The shared validators: what they accept, what they turn it into, and what they say when not."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
import voluptuous as vol

from hub import validation as cv


def fails(validator: Any, value: Any, message: str) -> None:
    with pytest.raises(vol.Invalid) as info:
        validator(value)
    assert info.value.msg == message


def test_string() -> None:
    assert cv.string("North lot") == "North lot"
    assert cv.string(2024) == "2024"
    fails(cv.string, None, "expected a string, got nothing")
    fails(cv.string, {"a": 1}, "expected a string, got a mapping")
    fails(cv.string, [1], "expected a string, got a list")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(True, True), ("yes", True), ("On", True), ("1", True), (1, True), ("enable", True)],
        *[(False, False), ("no", False), ("OFF", False), ("false", False), (0, False)],
    ],
)
def test_boolean(value: Any, expected: bool) -> None:
    assert cv.boolean(value) is expected


def test_boolean_rejects() -> None:
    fails(cv.boolean, "maybe", "expected a boolean (true/false, yes/no, on/off), got 'maybe'")
    fails(cv.boolean, 2, "expected a boolean (true/false, yes/no, on/off), got 2")


def test_positive_int_and_port() -> None:
    assert cv.positive_int(3) == 3
    assert cv.positive_int("10") == 10
    assert cv.positive_int(7.0) == 7
    fails(cv.positive_int, "ten", "expected int, got 'ten'")
    fails(cv.positive_int, 0, "expected a positive int, got 0")
    fails(cv.positive_int, True, "expected int, got True")
    fails(cv.positive_int, 1.5, "expected int, got 1.5")
    assert cv.port("1883") == 1883
    fails(cv.port, 0, "expected a port number from 1 to 65535, got 0")
    fails(cv.port, 65536, "expected a port number from 1 to 65535, got 65536")


def test_slug() -> None:
    assert cv.slug("entry_gate_2") == "entry_gate_2"
    fails(
        cv.slug,
        "Entry Gate",
        "invalid slug 'Entry Gate' (use lower-case letters, digits and _, e.g. 'entry_gate')",
    )
    fails(cv.slug, "---", "invalid slug '---' (use lower-case letters, digits and _)")


def test_entity_id() -> None:
    assert cv.entity_id("gate.entry") == "gate.entry"
    assert cv.entity_id(" Gate.Entry ") == "gate.entry"
    for bad in ("gate", "gate.", ".entry", "gate.entry.2", "gate.en try", "gate-x.entry"):
        fails(cv.entity_id, bad, f"invalid entity id {bad!r}")


def test_entity_ids() -> None:
    assert cv.entity_ids("gate.entry, gate.exit") == ["gate.entry", "gate.exit"]
    assert cv.entity_ids(["gate.entry"]) == ["gate.entry"]
    assert cv.entity_ids("gate.entry") == ["gate.entry"]
    with pytest.raises(vol.Invalid) as info:
        cv.entity_ids(["gate.entry", "nope"])
    assert (info.value.msg, info.value.path) == ("invalid entity id 'nope'", [1])


def test_entity_ids_error_path_inside_a_schema() -> None:
    schema = vol.Schema({"target": cv.entity_ids})
    with pytest.raises(vol.MultipleInvalid) as info:
        schema({"target": ["gate.entry", "Gate Exit"]})
    assert info.value.errors[0].path == ["target", 1]


def test_ensure_list() -> None:
    assert cv.ensure_list(None) == []
    assert cv.ensure_list("a") == ["a"]
    items = [1, 2]
    assert cv.ensure_list(items) is items


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        ("90", timedelta(seconds=90)),
        ("00:05", timedelta(minutes=5)),
        ("01:30:15", timedelta(hours=1, minutes=30, seconds=15)),
        ("-00:30", timedelta(minutes=-30)),
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ({"minutes": 5}, timedelta(minutes=5)),
        ({"days": 1, "hours": 2, "seconds": 3}, timedelta(days=1, hours=2, seconds=3)),
        (timedelta(minutes=1), timedelta(minutes=1)),
    ],
)
def test_time_period(value: Any, expected: timedelta) -> None:
    assert cv.time_period(value) == expected


def test_time_period_rejects() -> None:
    expected = "expected a time period (seconds, 'HH:MM:SS', '5m' or {minutes: 5}), got "
    fails(cv.time_period, "soon", expected + "'soon'")
    fails(cv.time_period, "10:75", expected + "'10:75'")
    fails(cv.time_period, "5y", expected + "'5y'")
    fails(cv.time_period, True, expected + "True")
    with pytest.raises(vol.Invalid) as info:
        cv.time_period({"minutes": "five"})
    assert (info.value.msg, info.value.path) == ("expected a number, got 'five'", ["minutes"])
    with pytest.raises(vol.Invalid) as info:
        cv.time_period({"weeks": 1})
    assert info.value.path == ["weeks"]


def test_positive_time_period() -> None:
    assert cv.positive_time_period("5m") == timedelta(minutes=5)
    fails(cv.positive_time_period, 0, "expected a time period longer than zero, got 0")
    fails(
        cv.positive_time_period, "-00:01", "expected a time period longer than zero, got '-00:01'"
    )


def test_time_of_day() -> None:
    assert cv.time_of_day("07:30") == time(7, 30)
    assert cv.time_of_day("23:59:59") == time(23, 59, 59)
    for bad in ("24:00", "7", "07:60", 730):
        fails(
            cv.time_of_day,
            bad,
            f"expected a time of day (HH:MM or HH:MM:SS), got {cv.describe_value(bad)}",
        )


def test_time_zone() -> None:
    assert cv.time_zone("Europe/Berlin") == "Europe/Berlin"
    assert cv.time_zone("UTC") == "UTC"
    fails(
        cv.time_zone,
        "Europe/Berlim",
        "unknown time zone 'Europe/Berlim' (did you mean 'Europe/Berlin'?)",
    )
    fails(
        cv.time_zone,
        "../../etc/passwd",
        "unknown time zone '../../etc/passwd' (expected a name like 'Europe/Berlin')",
    )


def test_url() -> None:
    for good in (
        "http://lot.local/hook",
        "https://api.example.com",
        "mqtt://broker:1883",
        "mqtts://user:pw@broker.example.com:8883",
        "rtsp://10.0.0.5:554/stream1",
    ):
        assert cv.url(good) == good
    for bad in ("ftp://x", "http://", "broker.local", "mqtt://broker:port"):
        with pytest.raises(vol.Invalid, match=r"^invalid URL"):
            cv.url(bad)


def test_template() -> None:
    text = "resident {{ trigger.plate | upper }}"
    assert cv.template(text) == text
    assert cv.template("{{ states('sensor.x') | unknown_filter }}")  # filters resolve later
    fails(
        cv.template,
        "{{ trigger.plate ",
        "invalid template: unexpected end of template, expected 'end of print statement'."
        " (template line 1)",
    )
    with pytest.raises(vol.Invalid, match=r"^invalid template: Unexpected end of template"):
        cv.template("{% if x %}\nopen")


def test_polygon() -> None:
    assert cv.polygon([[0, 0], [10, 0], [10, 5.5]]) == [(0.0, 0.0), (10.0, 0.0), (10.0, 5.5)]
    fails(cv.polygon, [[0, 0], [1, 1]], "a polygon needs at least 3 points, got 2")
    fails(cv.polygon, "0,0 1,1 2,2", "expected a list of [x, y] points, got '0,0 1,1 2,2'")
    with pytest.raises(vol.Invalid) as info:
        cv.polygon([[0, 0], [1, "a"], [2, 2]])
    assert (info.value.msg, info.value.path) == (
        "expected an [x, y] pair of numbers, got a list",
        [1],
    )
