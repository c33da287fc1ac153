"""SMS through a local Twilio-compatible server: auth, form fields, retries, refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from tests.conftest import Clock
from tests.postgres import sqlite_only  # noqa: F401 (db_url: SQLite only)

from .conftest import SetupNotify
from .receivers import FakeTwilio

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]


async def setup_sms(
    setup_notify: SetupNotify, aiohttp_server: AiohttpServer, twilio: FakeTwilio, **extra: Any
) -> None:
    server = await aiohttp_server(twilio.app())
    await setup_notify(
        {
            "notifiers": [
                {
                    "name": "owner_sms",
                    "platform": "sms",
                    "account_sid": twilio.sid,
                    "auth_token": extra.pop("auth_token", twilio.token),
                    "from": "+3197010000000",
                    "base_url": str(server.make_url("/")),
                    **extra,
                }
            ]
        }
    )


async def test_sms_posts_twilio_form_with_basic_auth(
    hub: Hub,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    twilio = FakeTwilio()
    await setup_sms(setup_notify, aiohttp_server, twilio, target=["+31612345678"])
    await hub.services.async_call(
        "notify", "owner_sms", {"title": "Overstay", "message": "KA01AB1234 is over 2 h"}
    )
    await hub.services.async_call(
        "notify", "owner_sms", {"message": "Gate open", "target": ["+31600000001", "+31600000002"]}
    )
    await hub.async_block_till_done()
    assert sorted(twilio.messages, key=lambda m: m["To"]) == [
        {"To": "+31600000001", "From": "+3197010000000", "Body": "Gate open"},
        {"To": "+31600000002", "From": "+3197010000000", "Body": "Gate open"},
        {
            "To": "+31612345678",
            "From": "+3197010000000",
            "Body": "Overstay\nKA01AB1234 is over 2 h",
        },
    ]
    assert sorted(event.data["target"] for event in events["notification_sent"]) == [
        "+31600000001",
        "+31600000002",
        "+31612345678",
    ]


async def test_sms_retry_reuses_the_idempotency_token(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    twilio = FakeTwilio(statuses=[500, 503])
    await setup_sms(setup_notify, aiohttp_server, twilio)
    result = await hub.services.async_call(
        "notify", "owner_sms", {"message": "hi", "target": "+31611111111"}
    )
    await clock.advance(10)
    await clock.advance(20)
    assert twilio.attempts == 3
    assert twilio.tokens == result["ids"]
    assert len(twilio.messages) == 1
    assert [event.data["tries"] for event in events["notification_sent"]] == [3]


async def test_sms_refusals_fail_without_retrying(
    hub: Hub,
    clock: Clock,
    setup_notify: SetupNotify,
    aiohttp_server: AiohttpServer,
    events: dict[str, list[Event]],
) -> None:
    twilio = FakeTwilio()
    await setup_sms(setup_notify, aiohttp_server, twilio, auth_token="wrong")
    await hub.services.async_call("notify", "owner_sms", {"message": "hi", "target": "+31611"})
    await clock.advance(3600)
    (failed,) = events["notification_failed"]
    assert "401" in failed.data["error"]
    assert "Authenticate" in failed.data["error"]
    assert twilio.attempts == 1


async def test_sms_needs_a_target(
    hub: Hub, setup_notify: SetupNotify, aiohttp_server: AiohttpServer
) -> None:
    await setup_sms(setup_notify, aiohttp_server, FakeTwilio())
    with pytest.raises(ServiceValidationError, match="no target given and none configured"):
        await hub.services.async_call("notify", "owner_sms", {"message": "hi"})
