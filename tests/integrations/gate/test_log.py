"""The gate command log: each command with its cause, followed through parent ids."""

from __future__ import annotations

from typing import Any

from hub.integrations.gate.log import build_log


def _event(kind: str, context: tuple[str, str | None, str | None], **data: Any) -> dict[str, Any]:
    context_id, parent_id, user_id = context
    return {
        "event_type": kind,
        "data": data,
        "time_fired": "2026-12-07T10:00:00+00:00",
        "context": {"id": context_id, "parent_id": parent_id, "user_id": user_id},
    }


EVENTS = [
    _event("plate_detected", ("read", None, None), plate="KA01AB1234", camera="camera.entry"),
    _event(
        "automation_triggered",
        ("run", "read", None),
        name="Open for residents",
        entity_id="automation.open",
    ),
    _event("gate_command", ("run", "read", None), entity_id="gate.entry", command="open"),
    _event("gate_command", ("press", None, "id-ana"), entity_id="gate.exit", command="close"),
    _event(
        "gate_command", ("mqtt", None, None), entity_id="gate.exit", command="open", reason="keypad"
    ),
]


def test_causes_in_words_newest_first() -> None:
    log = build_log(EVENTS, 10, None, {"id-ana": "ana"})
    assert [line["cause"] for line in log] == [
        "opened (keypad)",
        "closed by user ana",
        "opened by automation Open for residents because plate KA01AB1234 was read by camera.entry",
    ]
    assert [step["event_type"] for step in log[2]["chain"]] == [
        "gate_command",
        "automation_triggered",
        "plate_detected",
    ]


def test_filter_and_limit() -> None:
    assert [line["entity_id"] for line in build_log(EVENTS, 10, "gate.entry")] == ["gate.entry"]
    assert len(build_log(EVENTS, 1, None)) == 1


def test_a_loop_in_parent_ids_ends() -> None:
    looped = [
        _event("automation_triggered", ("a", "b", None), name="A"),
        _event("automation_triggered", ("b", "a", None), name="B"),
        _event("gate_command", ("a", "b", None), entity_id="gate.entry", command="open"),
    ]
    [line] = build_log(looped, 10, None)
    assert len(line["chain"]) <= 8
