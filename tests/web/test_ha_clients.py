"""Home Assistant's PyPI clients against a hub served on loopback.

`hass-client` (WebSocket, aiohttp) and `homeassistant-api` (REST on aiohttp; WebSocket on
the blocking `websockets` client, run in a thread as a script would) are used as their
users use them: connect, read the states, the config and the services, subscribe to
events, call a service (with and without its response), fire an event, render a
template, read history. Nothing is stubbed: the hub is a real one with a recorder,
serving HTTP on a free port.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import homeassistant_api as ha_api
import pytest
import voluptuous as vol
from hass_client import HomeAssistantClient

from hub import validation as cv
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from hub.web import async_start_web, create_token
from tests.mqtt_broker import free_port
from tests.states import get_state

RECEIVE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class ServedHub:
    hub: Hub
    url: str
    token: str


@pytest.fixture
async def served(hub: Hub) -> ServedHub:
    """A hub with a recorder, a gate and `gate.open`, serving its API on loopback."""
    await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir))
    token = await asyncio.to_thread(create_token, hub.data_dir, "ha client")
    hub.states.async_set("gate.entry", "closed", {"friendly_name": "Entry"})

    def open_gate(call: ServiceCall) -> dict[str, Any]:
        for entity_id in call.data["entity_id"]:
            hub.states.async_set(entity_id, "open", context=call.context)
        return {"opened": call.data["entity_id"]}

    schema = vol.Schema(
        {
            vol.Required("entity_id", description="the gates to open"): cv.entity_ids,
            vol.Optional("reason"): cv.string,
        }
    )
    hub.services.async_register("gate", "open", open_gate, schema, "Open one or more gates")
    port = free_port()
    await async_start_web(hub, "127.0.0.1", port)
    return ServedHub(hub, f"http://127.0.0.1:{port}", token)


async def _next(queue: asyncio.Queue[Any]) -> Any:
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        return await queue.get()


async def test_hass_client(served: ServedHub) -> None:
    hub = served.hub
    events: asyncio.Queue[Any] = asyncio.Queue()
    async with HomeAssistantClient(f"{served.url}/api/websocket", served.token) as client:
        states = await client.get_states()
        assert {"entity_id": "gate.entry", "state": "closed"}.items() <= states[0].items()

        config = await client.get_config()
        assert config["location_name"] == "ParkHub"
        assert config["unit_system"]["temperature"] == "°C"
        services = await client.get_services()
        assert services["gate"]["open"]["fields"]["entity_id"]["required"] is True

        await client.subscribe_events(events.put_nowait, "parkhub_test")
        await client.subscribe_events(events.put_nowait, "state_changed")
        result = await client.call_service("gate", "open", target={"entity_id": "gate.entry"})
        assert result["response"] == {"opened": ["gate.entry"]}
        changed = await _next(events)
        assert changed["event_type"] == "state_changed"
        assert changed["data"]["new_state"]["state"] == "open"
        assert changed["context"]["id"] == result["context"]["id"]

        fired = await client.send_command(
            "fire_event", event_type="parkhub_test", event_data={"plate": "AB12CD"}
        )
        event = await _next(events)
        assert (event["event_type"], event["data"]) == ("parkhub_test", {"plate": "AB12CD"})
        assert event["context"]["id"] == fired["context"]["id"]
    assert get_state(hub, "gate.entry").state == "open"


async def test_homeassistant_api_rest(served: ServedHub) -> None:
    hub = served.hub
    # async_cache_session=False: the library caches GETs for 5 minutes by default.
    client = ha_api.Client(
        f"{served.url}/api", served.token, use_async=True, async_cache_session=False
    )
    async with client:
        assert (await client.async_get_config())["time_zone"] == "UTC"
        assert "history" in await client.async_get_components()
        [state] = await client.async_get_states()
        assert (state.entity_id, state.state) == ("gate.entry", "closed")

        domains = await client.async_get_domains()
        open_gate = domains["gate"].services["open"]
        assert open_gate.description == "Open one or more gates"
        changed = await client.async_trigger_service("gate", "open", entity_id="gate.entry")
        assert [(s.entity_id, s.state) for s in changed] == [("gate.entry", "open")]
        states, response = await client.async_trigger_service_with_response(
            "gate", "open", entity_id="gate.entry"
        )
        assert response == {"opened": ["gate.entry"]}
        assert states == ()  # already open: nothing changed

        # set_state posts the whole State model back: the keys HA ignores are ignored.
        new = await client.async_set_state(
            ha_api.State(entity_id="sensor.visitors", state="3", attributes={}, context=None)
        )
        assert new.state == "3"
        assert get_state(hub, "sensor.visitors").state == "3"

        seen: list[Any] = []
        hub.bus.async_listen("parkhub_test", seen.append)
        await client.async_fire_event("parkhub_test", plate="AB12CD")
        assert [event.data for event in seen] == [{"plate": "AB12CD"}]

        rendered = await client.async_get_rendered_template("{{ states('gate.entry') }}")
        assert rendered == "open"

        entry = await client.async_get_entity(entity_id="gate.entry")
        assert entry is not None
        start = hub.scheduler.utcnow() - timedelta(minutes=5)
        histories = [h async for h in client.async_get_entity_histories((entry,), start)]
        assert [[s.state for s in h.states] for h in histories] == [["closed", "open"]]


def _websocket_session(url: str, token: str) -> dict[str, Any]:
    """The library's (blocking) WebSocket client, as a script uses it; runs in a thread."""
    seen: dict[str, Any] = {}
    with ha_api.WebsocketClient(url, token) as client:  # auth, then supported_features
        seen["states"] = [state.entity_id for state in client.get_states()]
        seen["location"] = client.get_config()["location_name"]
        seen["fields"] = client.get_domains()["gate"].services["open"].fields
        client.trigger_service("gate", "open", entity_id="gate.entry")  # no response key
        seen["response"] = client.trigger_service_with_response(
            "gate", "open", entity_id="gate.entry"
        )
        with client.listen_events("parkhub_test") as events:
            seen["context"] = client.fire_event("parkhub_test", plate="AB12CD")
            seen["event"] = next(events)
    return seen


async def test_homeassistant_api_websocket(served: ServedHub) -> None:
    url = f"ws://127.0.0.1:{served.url.rsplit(':', 1)[1]}/api/websocket"
    async with asyncio.timeout(RECEIVE_TIMEOUT * 2):
        seen = await asyncio.to_thread(_websocket_session, url, served.token)

    assert seen["states"] == ["gate.entry"]
    assert seen["location"] == "ParkHub"
    assert "entity_id" in (seen["fields"] or {})
    assert seen["response"] == {"opened": ["gate.entry"]}
    assert seen["event"].data == {"plate": "AB12CD"}
    assert seen["event"].context.id == seen["context"].id
