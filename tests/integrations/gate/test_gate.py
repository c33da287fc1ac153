"""The gate domain: demo and HTTP-relay barriers, the services, and gate_command's context."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub.core.bus import Event
from hub.core.context import Context
from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub
from hub.integrations import gate
from tests.conftest import Clock
from tests.mqtt_broker import free_port


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


async def setup_gates(hub: Hub, *gates: dict[str, Any]) -> None:
    await gate.async_setup(hub, gate.CONFIG_SCHEMA(list(gates)))


async def test_demo_gate_moves_by_itself(hub: Hub, clock: Clock) -> None:
    await setup_gates(
        hub,
        {"id": "entry", "name": "Entry", "backend": "demo", "travel_time": 4},
        {"id": "exit", "backend": "demo"},
    )
    assert state_of(hub, "gate.entry") == "closed"
    assert state_of(hub, "gate.exit") == "closed"

    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
    assert state_of(hub, "gate.entry") == "opening"
    await clock.advance(seconds=3.9)
    assert state_of(hub, "gate.entry") == "opening"
    await clock.advance(seconds=0.1)
    assert state_of(hub, "gate.entry") == "open"

    await hub.services.async_call("gate", "toggle", {"entity_id": ["gate.entry", "gate.exit"]})
    assert state_of(hub, "gate.entry") == "closing"
    assert state_of(hub, "gate.exit") == "opening"
    # A new command mid-travel turns the barrier round.
    await clock.advance(seconds=2)
    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
    await clock.advance(seconds=4)
    assert state_of(hub, "gate.entry") == "open"
    assert state_of(hub, "gate.exit") == "open"


async def test_demo_gate_closes_by_itself_with_auto_close(hub: Hub, clock: Clock) -> None:
    await setup_gates(
        hub, {"id": "entry", "backend": "demo", "travel_time": 2, "auto_close": "00:00:10"}
    )
    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
    await clock.advance(seconds=2)
    assert state_of(hub, "gate.entry") == "open"
    await clock.advance(seconds=6)
    # Opened again while open (the next car): the wait before closing starts over.
    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
    await clock.advance(seconds=9.9)
    assert state_of(hub, "gate.entry") == "open"
    await clock.advance(seconds=0.1)
    assert state_of(hub, "gate.entry") == "closing"
    await clock.advance(seconds=2)
    assert state_of(hub, "gate.entry") == "closed"
    await clock.advance(seconds=60)
    assert state_of(hub, "gate.entry") == "closed"

    # Closed by hand before the time is up: it stays closed, no second close later.
    await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
    await clock.advance(seconds=3)
    await hub.services.async_call("gate", "close", {"entity_id": "gate.entry"})
    await clock.advance(seconds=2)
    assert state_of(hub, "gate.entry") == "closed"
    changes: list[Event] = []
    hub.bus.async_listen("state_changed", changes.append)
    await clock.advance(seconds=60)
    assert [e.data["entity_id"] for e in changes if e.data["entity_id"] == "gate.entry"] == []


async def test_every_command_fires_gate_command_with_its_cause(hub: Hub, clock: Clock) -> None:
    await setup_gates(hub, {"id": "entry", "backend": "demo", "travel_time": 1})
    commands: list[Event] = []
    hub.bus.async_listen("gate_command", commands.append)
    plate_read = Context()
    cause = plate_read.child()
    await hub.services.async_call(
        "gate",
        "open",
        {"entity_id": "gate.entry", "reason": "resident KA01AB1234", "plate": "KA01AB1234"},
        context=cause,
    )
    [event] = commands
    assert event.context == cause
    assert event.context.parent_id == plate_read.id
    assert event.data == {
        "entity_id": "gate.entry",
        "command": "open",
        "service": "open",
        "reason": "resident KA01AB1234",
        "plate": "KA01AB1234",
        "source": None,
    }
    opening = hub.states.get("gate.entry")
    assert opening is not None
    assert opening.context == cause
    await clock.advance(seconds=1)
    opened = hub.states.get("gate.entry")
    assert opened is not None
    assert opened.state == "open"
    assert opened.context == cause
    assert opened.attributes["last_plate"] == "KA01AB1234"
    assert opened.attributes["last_command"] == "open"


async def test_services_refuse_what_is_not_a_gate(hub: Hub) -> None:
    await setup_gates(hub, {"id": "entry", "backend": "demo"})
    hub.states.async_set("sensor.lot_free_spaces", "3")
    with pytest.raises(ServiceValidationError, match=r"sensor\.lot_free_spaces is not a gate"):
        await hub.services.async_call("gate", "open", {"entity_id": "sensor.lot_free_spaces"})
    with pytest.raises(ServiceValidationError, match="entity_id"):
        await hub.services.async_call("gate", "open", {})
    assert state_of(hub, "gate.entry") == "closed"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([{"id": "entry", "backend": "moat"}], "backend"),
        ([{"id": "Entry Gate", "backend": "demo"}], "invalid slug"),
        ([{"id": "entry", "backend": "demo", "colour": "red"}], "extra keys"),
        ([{"id": "a", "backend": "demo"}, {"id": "a", "backend": "demo"}], "used twice"),
        ([{"id": "a", "backend": "http"}], "open_url"),
        ([{"id": "a", "backend": "http", "open_url": "ftp://x/"}], "invalid URL"),
        ([{"id": "a", "backend": "mqtt", "command_topic": "a/#"}], "invalid topic"),
        ([{"id": "a", "backend": "mqtt", "qos": 3}], "QoS"),
    ],
)
def test_bad_gate_config_names_the_key(config: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        gate.CONFIG_SCHEMA(config)


async def test_mqtt_backend_without_mqtt_says_so(hub: Hub) -> None:
    with pytest.raises(HubError, match="backend mqtt needs the mqtt integration"):
        await setup_gates(hub, {"id": "a", "backend": "mqtt", "command_topic": "a/set"})


@pytest.fixture
async def relay(hub: Hub) -> Any:
    """A Shelly-style relay on loopback that records the calls it gets."""
    calls: list[tuple[str, str, str]] = []
    status = {"code": 200}

    async def handle(request: web.Request) -> web.Response:
        calls.append((request.method, request.path_qs, await request.text()))
        return web.Response(status=status["code"], text='{"ison": true}')

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, calls, status
    await server.close()


async def test_http_gate_calls_its_relay(hub: Hub, clock: Clock, relay: Any) -> None:
    server, calls, status = relay
    base = f"http://127.0.0.1:{server.port}"
    await setup_gates(
        hub,
        {
            "id": "side",
            "backend": "http",
            "open_url": f"{base}/relay/0?turn=on",
            "travel_time": 2,
            "auto_close": 10,
        },
        {
            "id": "garage",
            "backend": "http",
            "method": "post",
            "open_url": f"{base}/rpc/open",
            "close_url": f"{base}/rpc/close",
            "body": '{"id": 0}',
            "travel_time": 0,
        },
    )
    await hub.services.async_call("gate", "open", {"entity_id": "gate.side"})
    assert calls == [("GET", "/relay/0?turn=on", "")]
    assert state_of(hub, "gate.side") == "opening"
    await clock.advance(seconds=2)
    assert state_of(hub, "gate.side") == "open"
    await clock.advance(seconds=10)
    assert state_of(hub, "gate.side") == "closing"
    await clock.advance(seconds=2)
    assert state_of(hub, "gate.side") == "closed"

    with pytest.raises(ServiceValidationError, match=r"gate\.side has no close_url"):
        await hub.services.async_call("gate", "close", {"entity_id": "gate.side"})

    await hub.services.async_call("gate", "toggle", {"entity_id": "gate.garage"})
    await clock.advance(seconds=0)
    assert calls[-1] == ("POST", "/rpc/open", '{"id": 0}')
    assert state_of(hub, "gate.garage") == "open"

    status["code"] = 500
    with pytest.raises(HubError, match="relay answered HTTP 500"):
        await hub.services.async_call("gate", "close", {"entity_id": "gate.garage"})
    assert state_of(hub, "gate.garage") == "open"


async def test_http_gate_with_an_unreachable_relay(hub: Hub) -> None:
    await setup_gates(
        hub,
        {"id": "side", "backend": "http", "open_url": f"http://127.0.0.1:{free_port()}/on"},
    )
    with pytest.raises(HubError, match=r"gate\.side: relay at .* unreachable"):
        await hub.services.async_call("gate", "open", {"entity_id": "gate.side"})
    assert state_of(hub, "gate.side") == "closed"


@pytest.mark.parametrize(
    "data",
    [
        {"entity_id": "gate.entry"},
        {"entity_id": "gate.entry", "plate": "KA01AB1234", "reason": "resident", "source": "mqtt"},
        {"entity_id": ["gate.entry", "gate.exit"]},
        {"entity_id": "gate.entry, gate.exit"},
        {"entity_id": "GATE.Entry"},
        {"entity_id": "gate.entry", "plate": 1234},
    ],
)
def test_service_schema_fast_path_agrees_with_the_full_schema(data: dict[str, Any]) -> None:
    from hub.integrations.gate.component import _FULL_SCHEMA, SERVICE_SCHEMA

    assert SERVICE_SCHEMA(dict(data)) == _FULL_SCHEMA(dict(data))
