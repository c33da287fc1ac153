"""The event bus: keyed dispatch, unsubscribe, coroutine listeners, failing listeners."""

from __future__ import annotations

import asyncio

import pytest

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import MATCH_ALL
from hub.core.context import Context
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from tests.conftest import FROZEN_AT, Clock, LogGuard


async def test_listener_gets_event_with_data_and_context(hub: Hub, clock: Clock) -> None:
    seen: list[Event] = []
    hub.bus.async_listen("plate_detected", seen.append)
    context = Context(user_id="attendant")

    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"}, context=context)

    assert len(seen) == 1
    assert seen[0].data == {"plate": "KA01AB1234"}
    assert seen[0].context is context
    assert seen[0].as_dict()["event_type"] == "plate_detected"
    assert seen[0].time_fired == FROZEN_AT


async def test_only_listeners_of_that_type_run(hub: Hub) -> None:
    gate: list[Event] = []
    everything: list[Event] = []
    hub.bus.async_listen("gate_command", gate.append)
    hub.bus.async_listen(MATCH_ALL, everything.append)

    hub.bus.async_fire("overstay", {"plate": "X"})
    hub.bus.async_fire("gate_command", {"command": "OPEN"})

    assert [event.event_type for event in gate] == ["gate_command"]
    assert [event.event_type for event in everything] == ["overstay", "gate_command"]
    assert hub.bus.async_listeners() == {"gate_command": 1, MATCH_ALL: 1}


async def test_unsubscribe_stops_delivery(hub: Hub) -> None:
    seen: list[Event] = []
    unsubscribe = hub.bus.async_listen("anomaly", seen.append)
    hub.bus.async_fire("anomaly")
    unsubscribe()
    hub.bus.async_fire("anomaly")
    assert len(seen) == 1
    assert "anomaly" not in hub.bus.async_listeners()


async def test_each_unsubscribe_undoes_only_its_own_subscription(hub: Hub) -> None:
    """One function subscribed twice (two automations sharing a handler) is two subscriptions."""
    seen: list[Event] = []

    def listener(event: Event) -> None:
        seen.append(event)

    first = hub.bus.async_listen("overstay", listener)
    hub.bus.async_listen("overstay", listener)
    first()
    hub.bus.async_fire("overstay")
    assert len(seen) == 1


async def test_listen_once_fires_once_even_when_fired_from_inside(hub: Hub) -> None:
    seen: list[Event] = []

    def listener(event: Event) -> None:
        seen.append(event)
        hub.bus.async_fire("ping")  # re-entrant fire must not deliver twice

    hub.bus.async_listen_once("ping", listener)
    hub.bus.async_fire("ping")
    hub.bus.async_fire("ping")
    assert len(seen) == 1


async def test_listener_may_unsubscribe_itself_during_dispatch(hub: Hub) -> None:
    seen: list[str] = []
    unsubscribe_first: CALLBACK_TYPE | None = None

    def first(event: Event) -> None:
        seen.append("first")
        assert unsubscribe_first is not None
        unsubscribe_first()

    unsubscribe_first = hub.bus.async_listen("tick", first)
    hub.bus.async_listen("tick", lambda event: seen.append("second"))
    hub.bus.async_fire("tick")
    hub.bus.async_fire("tick")
    assert seen == ["first", "second", "second"]


async def test_coroutine_listener_that_waits_is_awaited_by_block_till_done(hub: Hub) -> None:
    steps: list[str] = []

    async def listener(event: Event) -> None:
        steps.append("started")
        await asyncio.sleep(0.01)
        steps.append("finished")

    hub.bus.async_listen("parking_session_started", listener)
    hub.bus.async_fire("parking_session_started")
    assert steps == ["started"]  # runs at once, up to its first wait
    await hub.async_block_till_done()
    assert steps == ["started", "finished"]


async def test_failing_listener_is_logged_and_others_still_run(
    hub: Hub, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    log_guard.allowed = True
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    async def broken_later(event: Event) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async listener bug")

    hub.bus.async_listen("gate_command", broken)
    hub.bus.async_listen("gate_command", broken_later)
    hub.bus.async_listen("gate_command", lambda event: seen.append("ok"))
    hub.bus.async_fire("gate_command")
    await hub.async_block_till_done()

    assert seen == ["ok"]
    assert "listener bug" in caplog.text
    assert "async listener bug" in caplog.text


async def test_overlong_event_type_is_refused(hub: Hub) -> None:
    with pytest.raises(ServiceValidationError, match="longer than"):
        hub.bus.async_fire("x" * 65)
