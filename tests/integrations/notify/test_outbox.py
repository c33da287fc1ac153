"""The outbox through the webhook platform: retries, backoff, giving up, rate limits, keys."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.hub import Hub
from tests.conftest import Clock

from .conftest import SetupNotify
from .receivers import Receiver

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]


def hook(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "retry_delay": 10,
        "max_tries": 5,
        "notifiers": [{"name": "ops", "platform": "webhook", "url": url, **extra}],
    }


async def status_of(hub: Hub, note_id: str) -> tuple[str, int] | None:
    result: tuple[str, int] | None = await hub.data["notify"].store.async_status(note_id)
    return result


async def test_503_three_times_then_200_is_delivered_exactly_once(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    receiver = Receiver(statuses=[503, 503, 503])
    server = await aiohttp_server(receiver.app())
    await setup_notify(
        hook(str(server.make_url("/hook")), secret="shh", headers={"X-Lot": "north"})
    )

    result = await hub.services.async_call(
        "notify", "ops", {"message": "Gate stuck", "title": "Alert", "data": {"gate": "entry"}}
    )
    await hub.async_block_till_done()
    assert len(receiver.requests) == 1
    # Backoff doubles: 10 s, 20 s, 40 s. Nothing is sent early.
    await clock.advance(9)
    assert len(receiver.requests) == 1
    await clock.advance(1)
    assert len(receiver.requests) == 2
    await clock.advance(19)
    assert len(receiver.requests) == 2
    await clock.advance(1)
    assert len(receiver.requests) == 3
    await clock.advance(40)
    assert len(receiver.requests) == 4
    await clock.advance(3600)
    assert len(receiver.requests) == 4, "a delivered notification was sent again"

    (note_id,) = result["ids"]
    assert receiver.accepted == [note_id]
    keys = {request["headers"]["Idempotency-Key"] for request in receiver.requests}
    assert keys == {note_id}, "every attempt must carry the same idempotency key"
    last = receiver.requests[-1]
    expected = hmac.new(b"shh", last["body"], hashlib.sha256).hexdigest()
    assert last["headers"]["X-ParkHub-Signature"] == f"sha256={expected}"
    assert last["headers"]["X-Lot"] == "north"
    assert receiver.json(3) | {"created": None} == {
        "id": note_id,
        "notifier": "ops",
        "title": "Alert",
        "message": "Gate stuck",
        "target": None,
        "data": {"gate": "entry"},
        "created": None,
    }
    assert [event.data["tries"] for event in events["notification_sent"]] == [4]
    assert events["notification_failed"] == []
    assert await status_of(hub, note_id) == ("sent", 4)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_gives_up_after_max_tries(
    hub: Hub, clock: Clock, setup_notify: SetupNotify, events: dict[str, list[Event]]
) -> None:
    port = await asyncio.to_thread(_closed_port)
    config = hook(f"http://127.0.0.1:{port}/hook")
    config["max_tries"] = 3
    await setup_notify(config)
    result = await hub.services.async_call("notify", "ops", {"message": "hello"})
    await clock.advance(10)
    assert events["notification_failed"] == []
    await clock.advance(20)
    (failed,) = events["notification_failed"]
    assert failed.data["id"] == result["ids"][0]
    assert failed.data["tries"] == 3
    assert failed.data["platform"] == "webhook"
    assert "127.0.0.1" in failed.data["error"]
    assert await status_of(hub, result["ids"][0]) == ("failed", 3)
    await clock.advance(3600)
    assert len(events["notification_failed"]) == 1


async def test_4xx_fails_at_once(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    receiver = Receiver(statuses=[404])
    server = await aiohttp_server(receiver.app())
    await setup_notify(hook(str(server.make_url("/hook"))))
    await hub.services.async_call("notify", "ops", {"message": "hello"})
    await hub.async_block_till_done()
    (failed,) = events["notification_failed"]
    assert failed.data["tries"] == 1
    assert "404" in failed.data["error"]
    await clock.advance(3600)
    assert len(receiver.requests) == 1


async def test_no_answer_in_time_is_retried(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    hold = asyncio.Event()
    receiver = Receiver(hold=hold)
    server = await aiohttp_server(receiver.app())
    await setup_notify(hook(str(server.make_url("/hook")), timeout=0.2))
    await hub.services.async_call("notify", "ops", {"message": "hello"})
    await hub.async_block_till_done()  # the attempt times out (0.2 s of real time)
    assert events["notification_sent"] == []
    hold.set()
    await clock.advance(10)
    assert len(receiver.requests) == 2
    assert len(events["notification_sent"]) == 1


async def test_rate_limit_holds_messages_per_recipient(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    config = hook(str(server.make_url("/hook")))
    config["rate_limit"] = {"count": 2, "period": 60}
    await setup_notify(config)
    for number in range(3):
        await hub.services.async_call("notify", "ops", {"message": f"m{number}", "target": "a"})
    await hub.services.async_call("notify", "ops", {"message": "other", "target": "b"})
    await hub.async_block_till_done()
    sent = [(receiver.json(i)["target"], receiver.json(i)["message"]) for i in range(4 - 1)]
    assert sorted(sent) == [("a", "m0"), ("a", "m1"), ("b", "other")]
    await clock.advance(59)
    assert len(receiver.requests) == 3
    await clock.advance(1)
    assert len(receiver.requests) == 4
    assert receiver.json(3)["message"] == "m2"
    assert len(events["notification_sent"]) == 4


async def test_a_callers_idempotency_key_queues_once(
    hub: Hub, setup_notify: SetupNotify, aiohttp_server: AiohttpServer
) -> None:
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    await setup_notify(hook(str(server.make_url("/hook"))))
    call = {"message": "overstay", "data": {"idempotency_key": "session-42-overstay"}}
    first = await hub.services.async_call("notify", "ops", call)
    second = await hub.services.async_call("notify", "ops", call)
    await hub.async_block_till_done()
    assert (first["queued"], second["queued"]) == (1, 0)
    assert first["ids"] == second["ids"]
    assert len(receiver.requests) == 1
    assert "idempotency_key" not in receiver.json(0)["data"]


async def test_at_most_eight_attempts_at_once(
    hub: Hub,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    """A backlog (say, after a restart) does not open a connection per notification."""
    hold = asyncio.Event()
    receiver = Receiver(hold=hold)
    server = await aiohttp_server(receiver.app())
    await setup_notify(hook(str(server.make_url("/hook"))))
    for number in range(12):
        await hub.services.async_call("notify", "ops", {"message": "m", "target": f"t{number}"})
    for _ in range(200):
        if len(receiver.requests) >= 8:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    assert len(receiver.requests) == 8
    hold.set()
    await hub.async_block_till_done()
    assert len(receiver.requests) == 12
    assert len(events["notification_sent"]) == 12


async def test_finished_notifications_are_purged_after_keep_days(
    hub: Hub, clock: Clock, setup_notify: SetupNotify, aiohttp_server: AiohttpServer
) -> None:
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    config = hook(str(server.make_url("/hook")))
    config["keep_days"] = 2
    await setup_notify(config)
    result = await hub.services.async_call("notify", "ops", {"message": "hello"})
    await hub.async_block_till_done()
    await clock.advance(days=2)
    assert await status_of(hub, result["ids"][0]) == ("sent", 1)
    await clock.advance(days=1)
    assert await status_of(hub, result["ids"][0]) is None
