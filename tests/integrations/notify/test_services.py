"""notify.<name>: templates in message, title, target and data; config mistakes named."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import voluptuous as vol
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.integrations.notify import CONFIG_SCHEMA

from .conftest import SetupNotify
from .receivers import Receiver

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]


async def test_everything_is_templatable(
    hub: Hub, setup_notify: SetupNotify, aiohttp_server: AiohttpServer
) -> None:
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    url = str(server.make_url("/hook"))
    await setup_notify({"notifiers": [{"name": "ops", "platform": "webhook", "url": url}]})
    hub.states.async_set("sensor.demo_lot_free_spaces", "3")
    hub.states.async_set("input_text.duty_phone", "+31600000009")
    await hub.services.async_call(
        "notify",
        "ops",
        {
            "title": "{{ plate }} overstayed",
            "message": "Free: {{ states('sensor.demo_lot_free_spaces') }}",
            "target": "{{ states('input_text.duty_phone') }}",
            "data": {
                "plate": "KA01AB1234",
                "spaces": "{{ states('sensor.demo_lot_free_spaces') }}",
            },
        },
    )
    await hub.async_block_till_done()
    body = receiver.json(0)
    assert body["title"] == "KA01AB1234 overstayed"
    assert body["message"] == "Free: 3"
    assert body["target"] == "+31600000009"
    assert body["data"] == {"plate": "KA01AB1234", "spaces": "3"}
    hub.states.async_set("sensor.on_duty", "a, b", {"phones": ["+31600000001", "+31600000002"]})
    await hub.services.async_call(
        "notify", "ops", {"message": "m", "target": "{{ state_attr('sensor.on_duty', 'phones') }}"}
    )
    await hub.async_block_till_done()
    assert sorted(receiver.json(i)["target"] for i in (1, 2)) == ["+31600000001", "+31600000002"]


async def test_template_errors_name_the_field(hub: Hub, setup_notify: SetupNotify) -> None:
    await setup_notify({"notifiers": [{"name": "panel", "platform": "panel"}]})
    with pytest.raises(ServiceValidationError, match=r"^title: "):
        await hub.services.async_call("notify", "panel", {"message": "ok", "title": "{{ 1 / 0 }}"})
    with pytest.raises(ServiceValidationError, match="message"):
        await hub.services.async_call("notify", "panel", {"title": "no message"})


@pytest.mark.parametrize(
    ("notifier", "error"),
    [
        ({"name": "x", "platform": "pager"}, "unknown notify platform 'pager'"),
        ({"name": "x", "platform": "webhook"}, "required key not provided"),
        ({"name": "x", "platform": "webhook", "url": "ftp://h/x"}, "invalid URL"),
        ({"name": "x", "platform": "panel", "colour": "red"}, "extra keys not allowed"),
        ({"name": "Bad Name", "platform": "panel"}, "invalid slug"),
    ],
)
def test_config_mistakes_are_named(notifier: dict[str, Any], error: str) -> None:
    with pytest.raises(vol.Invalid, match=error):
        CONFIG_SCHEMA({"notifiers": [notifier]})


def test_notifier_names_are_unique() -> None:
    panel = {"name": "panel", "platform": "panel"}
    with pytest.raises(vol.Invalid, match="used twice"):
        CONFIG_SCHEMA({"notifiers": [panel, panel]})
    assert CONFIG_SCHEMA(None)["notifiers"] == []
