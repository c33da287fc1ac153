"""Every anomaly kind, each with its plate(s), lot, session and camera."""

from __future__ import annotations

from typing import Any

from hub.core.hub import Hub
from tests.conftest import Clock

from .conftest import SetupParking, db_rows, recorded, state
from .payloads import read_plate


async def test_duplicate_entry_keeps_the_first_session(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    started = recorded(hub, "parking_session_started")
    read_plate(hub, "KA01AB1234")
    await clock.advance(minutes=20)
    second = read_plate(hub, "KA01AB1234")
    await hub.async_block_till_done()
    [anomaly] = anomalies
    assert anomaly.context == second
    assert anomaly.data["kind"] == "duplicate_entry"
    assert anomaly.data["plate"] == "KA01AB1234"
    assert anomaly.data["lot"] == "demo"
    assert anomaly.data["camera"] == "camera.entry"
    assert anomaly.data["session_id"] == started[0].data["id"]
    assert len(started) == 1
    assert len(await db_rows(hub)) == 1


async def test_exit_without_entry(hub: Hub, clock: Clock, setup_parking: SetupParking) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    read_plate(hub, "ZZ99ZZ", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    [anomaly] = anomalies
    assert anomaly.data["kind"] == "exit_without_entry"
    assert anomaly.data["plate"] == "ZZ99ZZ"
    assert anomaly.data["session_id"] is None
    assert anomaly.data["camera"] == "camera.exit"


async def test_blocked_plate_gets_no_session(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    read_plate(hub, "BAD666", list="banned", listed="block")
    await hub.async_block_till_done()
    [anomaly] = anomalies
    assert anomaly.data["kind"] == "blocked_plate"
    assert anomaly.data["plate"] == "BAD666"
    assert anomaly.data["list"] == "banned"
    assert anomaly.data["direction"] == "entry"
    assert state(hub, "sensor.demo_active_sessions") == "0"


async def test_near_match_at_exit_ends_the_inside_session(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    ended = recorded(hub, "parking_session_ended")
    read_plate(hub, "KA01AB1234")
    read_plate(hub, "NL42RES")
    await clock.advance(hours=1, minutes=30)
    read_plate(hub, "KA01AB1284", camera="camera.exit", direction="exit")  # 3 read as 8
    await hub.async_block_till_done()
    [anomaly] = anomalies
    assert anomaly.data["kind"] == "near_match"
    assert anomaly.data["plates"] == ["KA01AB1284", "KA01AB1234"]
    assert anomaly.data["plate"] == "KA01AB1284"
    [done] = ended
    assert anomaly.data["session_id"] == done.data["id"]
    assert done.data["plate"] == "KA01AB1234"
    assert done.data["exit_plate"] == "KA01AB1284"
    assert done.data["end_reason"] == "near_match"
    assert done.data["fee"] == 500
    assert state(hub, "sensor.demo_active_sessions") == "1"  # NL42RES is still in


async def test_near_match_from_the_readers_candidates(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    """A runner-up candidate that is inside is the car, however far the best read is."""
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    read_plate(hub, "PH12CAR")
    candidates: list[dict[str, Any]] = [{"plate": "PH12CAR", "confidence": 0.41, "votes": 2}]
    read_plate(hub, "RH72CAB", camera="camera.exit", direction="exit", candidates=candidates)
    await hub.async_block_till_done()
    assert [a.data["kind"] for a in anomalies] == ["near_match"]
    assert state(hub, "sensor.demo_active_sessions") == "0"


async def test_too_far_or_ambiguous_is_exit_without_entry(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    read_plate(hub, "AB12CD")
    read_plate(hub, "AB12CF")
    read_plate(hub, "AB12CE", camera="camera.exit", direction="exit")  # 1 from both
    read_plate(hub, "XY99ZZ", camera="camera.exit", direction="exit")  # near nothing
    await hub.async_block_till_done()
    assert [a.data["kind"] for a in anomalies] == ["exit_without_entry"] * 2
    assert state(hub, "sensor.demo_active_sessions") == "2"


async def test_long_stay(
    hub: Hub, clock: Clock, setup_parking: SetupParking, parking_config: dict[str, Any]
) -> None:
    parking_config["lots"]["demo"]["long_stay"] = "2d"
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    read_plate(hub, "KA01AB1234", list="residents", listed="allow")
    await clock.advance(days=1, hours=23)
    assert anomalies == []
    await clock.advance(hours=1)
    [anomaly] = anomalies
    assert anomaly.data["kind"] == "long_stay"
    assert anomaly.data["plate"] == "KA01AB1234"
    assert anomaly.data["days"] == 2
    await clock.advance(days=3)
    assert len(anomalies) == 1  # once per session


async def test_gate_passage_with_no_plate_read(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    anomalies = recorded(hub, "anomaly")
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.exit", "closed")

    # A read, then the gate opens: explained.
    read_plate(hub, "KA01AB1234")
    await clock.advance(seconds=3)
    hub.states.async_set("gate.entry", "open")
    await clock.advance(seconds=60)
    hub.states.async_set("gate.entry", "closed")

    # The gate opens, and the read comes a few seconds later: explained.
    await clock.advance(minutes=5)
    hub.states.async_set("gate.exit", "open")
    await clock.advance(seconds=5)
    read_plate(hub, "KA01AB1234", camera="camera.exit", direction="exit")
    await clock.advance(seconds=60)
    hub.states.async_set("gate.exit", "closed")
    assert anomalies == []

    # An entry read does not explain the exit gate; nothing within 30 s: reported.
    await clock.advance(minutes=5)
    read_plate(hub, "NL42RES")
    hub.states.async_set("gate.exit", "open")
    await clock.advance(seconds=29)
    assert anomalies == []
    await clock.advance(seconds=2)
    [anomaly] = anomalies
    assert anomaly.data["kind"] == "no_plate_passage"
    assert anomaly.data["gate"] == "gate.exit"
    assert anomaly.data["direction"] == "exit"
    assert anomaly.data["lot"] == "demo"
    assert anomaly.data["plate"] is None
