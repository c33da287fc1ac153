"""The REST API: every route, and what each says back when the caller gets it wrong."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import voluptuous as vol
from aiohttp.test_utils import TestClient

from hub import validation as cv
from hub.core.bus import Event
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.recorder import CONFIG_SCHEMA, RecorderConfig, async_setup_recorder
from hub.web.schema_doc import documented
from tests.conftest import FROZEN_AT, Clock
from tests.states import get_state

from .conftest import stored_tokens

Client = TestClient[Any, Any]


async def _user_id(hub: Hub) -> str:
    """The id of the token the client uses: the user every API change is credited to."""
    tokens = await asyncio.to_thread(stored_tokens, hub.data_dir)
    user_id: str = tokens[0]["id"]
    return user_id


# -- states ------------------------------------------------------------------------------


async def test_get_states(hub: Hub, api_client: Client) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "12", {"total": 40})
    hub.states.async_set("gate.entry", "closed")

    response = await api_client.get("/api/states")

    assert response.status == 200
    body = await response.json()
    assert [state["entity_id"] for state in body] == ["sensor.lot_free_spaces", "gate.entry"]
    assert body[0] == get_state(hub, "sensor.lot_free_spaces").as_dict()
    assert body[0]["attributes"] == {"total": 40}
    assert body[0]["last_changed"].endswith("+00:00")


async def test_get_one_state(hub: Hub, api_client: Client) -> None:
    state = hub.states.async_set("gate.entry", "open", {"last_plate": "KA01AB1234"})
    assert state is not None

    response = await api_client.get("/api/states/gate.entry")

    assert response.status == 200
    assert await response.json() == state.as_dict()


async def test_get_unknown_state_is_404(api_client: Client) -> None:
    response = await api_client.get("/api/states/sensor.x")

    assert response.status == 404
    assert await response.json() == {"error": "entity sensor.x not found"}


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_invalid_entity_id_is_400(api_client: Client, method: str) -> None:
    response = await api_client.request(method, "/api/states/Gate.Entry", json={"state": "on"})

    assert response.status == 400
    assert await response.json() == {
        "error": "invalid entity id 'Gate.Entry': expected <domain>.<object_id>"
    }


async def test_post_state_creates_then_updates(hub: Hub, api_client: Client) -> None:
    body = {"state": "closed", "attributes": {"last_command": "close"}}
    response = await api_client.post("/api/states/gate.entry", json=body)

    assert response.status == 201
    assert response.headers["Location"] == "/api/states/gate.entry"
    created = await response.json()
    assert (created["entity_id"], created["state"]) == ("gate.entry", "closed")
    assert created["attributes"] == {"last_command": "close"}
    assert created["context"]["user_id"] == await _user_id(hub)
    state = hub.states.get("gate.entry")
    assert state is not None
    assert state.as_dict() == created
    assert state.context.user_id == await _user_id(hub)

    response = await api_client.post("/api/states/gate.entry", json={"state": "open"})

    assert response.status == 200
    updated = await response.json()
    assert updated["state"] == "open"
    assert updated["attributes"] == {"last_command": "close"}  # omitted: kept

    response = await api_client.post("/api/states/gate.entry", json={"state": "open"})

    assert response.status == 200  # unchanged: a no-op, still the current state
    assert await response.json() == updated


@pytest.mark.parametrize(
    ("value", "stored"), [(12, "12"), (2.5, "2.5"), (True, "true"), (False, "false"), ("", "")]
)
async def test_post_state_accepts_numbers_and_booleans(
    hub: Hub, api_client: Client, value: Any, stored: str
) -> None:
    response = await api_client.post("/api/states/sensor.x", json={"state": value})

    assert response.status == 201
    assert (await response.json())["state"] == stored
    assert get_state(hub, "sensor.x").state == stored


async def test_post_state_ignores_the_keys_home_assistant_ignores(
    hub: Hub, api_client: Client
) -> None:
    """A client posting a whole state back (as homeassistant-api does) sets only state
    and attributes; the times, id and context it sends are the hub's to decide."""
    body = {
        "entity_id": "sensor.other",
        "state": "on",
        "attributes": {"a": 1},
        "last_changed": "2001-01-01T00:00:00+00:00",
        "context": {"id": "x", "parent_id": None, "user_id": None},
    }
    response = await api_client.post("/api/states/sensor.x", json=body)

    assert response.status == 201
    state = hub.states.get("sensor.x")
    assert state is not None
    assert (state.state, dict(state.attributes)) == ("on", {"a": 1})
    assert state.last_changed.year > 2001
    assert state.context.id != "x"
    assert "sensor.other" not in hub.states


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "malformed JSON body: "),
        (b"", "a JSON body is required"),
        (b"[1, 2]", "the body must be a JSON object, not array"),
        (b'{"attributes": {}}', "invalid body: state: required key not provided"),
        (b'{"state": null}', "invalid body: state: expected a string, number or boolean"),
        (b'{"state": {"a": 1}}', "invalid body: state: expected a string, number or boolean"),
        (b'{"state": "on", "attributes": [1]}', "invalid body: attributes: expected a JSON object"),
        (b'{"state": "' + b"x" * 256 + b'"}', "state of sensor.x is longer than 255 characters"),
    ],
)
async def test_post_state_bad_body_is_400(
    hub: Hub, api_client: Client, body: bytes, error: str
) -> None:
    response = await api_client.post("/api/states/sensor.x", data=body)

    assert response.status == 400
    assert (await response.json())["error"].startswith(error)
    assert "sensor.x" not in hub.states


# -- services ----------------------------------------------------------------------------


@pytest.fixture
def gate_service(hub: Hub) -> list[ServiceCall]:
    """`gate.open`, which needs an entity_id and opens that gate."""
    calls: list[ServiceCall] = []

    async def open_gate(call: ServiceCall) -> None:
        calls.append(call)
        if call.data["entity_id"] == "gate.broken":
            raise HubError("gate.broken does not answer")
        hub.states.async_set(call.data["entity_id"], "open", context=call.context)
        hub.states.async_set("sensor.unrelated", "1")  # another cause: not in the answer

    schema = vol.Schema(
        {
            vol.Required("entity_id", description="the gate to open"): str,
            vol.Optional("reason"): str,
        }
    )
    hub.services.async_register("gate", "open", open_gate, schema, "Open a barrier")
    return calls


async def test_call_service_answers_the_changed_states(
    hub: Hub, api_client: Client, gate_service: list[ServiceCall]
) -> None:
    hub.states.async_set("gate.entry", "closed")

    response = await api_client.post(
        "/api/services/gate/open", json={"entity_id": "gate.entry", "reason": "test"}
    )

    assert response.status == 200
    body = await response.json()
    assert body == [get_state(hub, "gate.entry").as_dict()]
    assert body[0]["state"] == "open"
    [call] = gate_service
    assert dict(call.data) == {"entity_id": "gate.entry", "reason": "test"}
    assert call.context.user_id == await _user_id(hub)


async def test_call_service_with_no_body(hub: Hub, api_client: Client) -> None:
    calls: list[ServiceCall] = []
    hub.services.async_register("lot", "refresh", calls.append)

    response = await api_client.post("/api/services/lot/refresh")

    assert response.status == 200
    assert await response.json() == []
    assert [dict(call.data) for call in calls] == [{}]


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/api/services/gate/fly", {}, "service gate.fly not found"),
        ("/api/services/gate/open", {}, "invalid data for gate.open: entity_id: required key"),
        (
            "/api/services/gate/open",
            {"entity_id": 5},
            "invalid data for gate.open: entity_id: expected str",
        ),
        ("/api/services/gate/open", [1], "service data must be a JSON object, not array"),
        ("/api/services/gate/open", {"entity_id": "gate.broken"}, "gate.broken does not answer"),
    ],
)
async def test_call_service_errors_are_400(
    api_client: Client, gate_service: list[ServiceCall], path: str, body: Any, error: str
) -> None:
    response = await api_client.post(path, json=body)

    assert response.status == 400
    assert (await response.json())["error"].startswith(error)


async def test_list_services(api_client: Client, gate_service: list[ServiceCall]) -> None:
    response = await api_client.get("/api/services")

    assert response.status == 200
    assert await response.json() == [
        {
            "domain": "gate",
            "services": {
                "open": {
                    "name": "Open",
                    "description": "Open a barrier",
                    "fields": {
                        "entity_id": {
                            "required": True,
                            "description": "the gate to open",
                            "selector": {"text": {}},
                            "schema": {"type": "string", "description": "the gate to open"},
                        },
                        "reason": {
                            "required": False,
                            "selector": {"text": {}},
                            "schema": {"type": "string"},
                        },
                    },
                }
            },
        }
    ]


async def test_list_services_describes_every_kind_of_schema(hub: Hub, api_client: Client) -> None:
    """`vol.All` around a dict (what made /api/services a 500), a hand-written validator
    marked with the schema it stands for, and one that says nothing: all described."""

    @documented(vol.Schema({vol.Required("plate"): cv.string}))
    def plate_data(value: Any) -> Any:
        return value

    def opaque(value: Any) -> Any:
        return value

    schemas = {
        "all": vol.Schema(
            vol.All(
                {vol.Required("session_id"): cv.string, vol.Optional("paid", default=True): bool},
                lambda data: data,
            )
        ),
        "documented": vol.Schema(plate_data),
        "opaque": vol.Schema(opaque),
        "periods": vol.Schema(
            {
                vol.Optional("duration", default=timedelta(minutes=5)): cv.time_period,
                vol.Optional("entity_id"): cv.entity_ids,
                vol.Optional("method"): vol.In(["cash", "card"]),
            }
        ),
    }
    for name, schema in schemas.items():
        hub.services.async_register("parking", name, lambda call: None, schema)

    response = await api_client.get("/api/services")

    assert response.status == 200
    [parking] = await response.json()
    services = parking["services"]
    assert services["all"]["fields"]["session_id"]["required"] is True
    assert services["all"]["fields"]["paid"]["default"] is True
    assert services["documented"]["fields"]["plate"]["required"] is True
    assert services["opaque"]["fields"] == {}
    periods = services["periods"]["fields"]
    assert periods["duration"]["default"] == 300
    assert periods["entity_id"]["selector"] == {"entity": {"multiple": True}}
    assert periods["method"]["selector"] == {"select": {"options": ["cash", "card"]}}


async def test_call_service_return_response(hub: Hub, api_client: Client) -> None:
    """Home Assistant's `?return_response`: the changed states and the handler's answer."""

    def quote(call: ServiceCall) -> dict[str, Any]:
        hub.states.async_set("sensor.quoted", "1", context=call.context)
        return {"fee": 250}

    hub.services.async_register("parking", "quote", quote)

    response = await api_client.post("/api/services/parking/quote?return_response", json={})

    assert response.status == 200
    body = await response.json()
    assert body["service_response"] == {"fee": 250}
    assert [state["entity_id"] for state in body["changed_states"]] == ["sensor.quoted"]


# -- events ------------------------------------------------------------------------------


async def test_fire_event(hub: Hub, api_client: Client) -> None:
    events: list[Event] = []
    hub.bus.async_listen("plate_detected", events.append)

    response = await api_client.post("/api/events/plate_detected", json={"plate": "KA01AB1234"})

    assert response.status == 200
    assert await response.json() == {"message": "Event plate_detected fired."}
    [event] = events
    assert dict(event.data) == {"plate": "KA01AB1234"}
    assert event.origin == "REMOTE"
    assert event.context.user_id == await _user_id(hub)

    response = await api_client.post("/api/events/plate_detected")

    assert response.status == 200
    assert dict(events[1].data) == {}


@pytest.mark.parametrize(
    ("event_type", "body", "error"),
    [
        ("x", b"[1]", "event data must be a JSON object, not array"),
        ("x", b"{", "malformed JSON body: "),
        ("state_changed", b"{}", "state_changed events can only be fired by the hub itself"),
        ("e" * 65, b"{}", "event type is longer than 64 characters"),
    ],
)
async def test_fire_event_errors_are_400(
    api_client: Client, event_type: str, body: bytes, error: str
) -> None:
    response = await api_client.post(f"/api/events/{event_type}", data=body)

    assert response.status == 400
    assert (await response.json())["error"].startswith(error)


async def test_list_events(hub: Hub, api_client: Client) -> None:
    hub.bus.async_listen("plate_detected", lambda event: None)
    hub.bus.async_listen("plate_detected", lambda event: None)

    response = await api_client.get("/api/events")

    assert response.status == 200
    assert {"event": "plate_detected", "listener_count": 2} in await response.json()


# -- history -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/history", "/api/history/statistics?entity_id=sensor.x"])
async def test_history_without_recorder_is_503(api_client: Client, path: str) -> None:
    response = await api_client.get(path)

    assert response.status == 503
    assert await response.json() == {"error": "the recorder is not running"}


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("start=yesterday", "start: not an ISO 8601 time: 'yesterday'"),
        ("end=2026-13-01", "end: not an ISO 8601 time: '2026-13-01'"),
        ("entity_id=sensor.x,Bad", "invalid entity id 'Bad': expected <domain>.<object_id>"),
        ("start=2026-03-02T09:00&end=2026-03-02T08:00", "start must be before end"),
    ],
)
async def test_history_bad_query_is_400(api_client: Client, query: str, error: str) -> None:
    for path in ("/api/history", "/api/history/statistics"):
        response = await api_client.get(f"{path}?{query}")

        assert response.status == 400
        assert await response.json() == {"error": error}


async def test_statistics_need_entity_ids(api_client: Client) -> None:
    response = await api_client.get("/api/history/statistics")

    assert response.status == 400
    assert await response.json() == {
        "error": "entity_id is required: the sensors to give statistics for"
    }


async def test_history_round_trip(hub: Hub, clock: Clock, api_client: Client) -> None:
    await async_setup_recorder(hub, RecorderConfig.from_dict(CONFIG_SCHEMA({}), hub.data_dir))
    hub.states.async_set("sensor.lot_free_spaces", "10")
    hub.states.async_set("gate.entry", "closed")
    await clock.advance(minutes=30)
    hub.states.async_set("sensor.lot_free_spaces", "20")
    await clock.advance(hours=2)

    response = await api_client.get("/api/history?entity_id=sensor.lot_free_spaces")

    assert response.status == 200
    body = await response.json()
    assert list(body) == ["sensor.lot_free_spaces"]
    assert [(row["state"], row["last_changed"]) for row in body["sensor.lot_free_spaces"]] == [
        ("10", "2026-03-02T08:00:00+00:00"),
        ("20", "2026-03-02T08:30:00+00:00"),
    ]

    # Naive times are UTC; an unencoded "+" (a space) in the offset is forgiven.
    response = await api_client.get(
        "/api/history", params={"start": "2026-03-02T08:15:00", "end": "2026-03-02T09:00:00 00:00"}
    )
    body = await response.json()
    assert sorted(body) == ["gate.entry", "sensor.lot_free_spaces"]
    assert [row["state"] for row in body["sensor.lot_free_spaces"]] == ["10", "20"]

    start = (FROZEN_AT - timedelta(hours=1)).isoformat()
    response = await api_client.get(
        "/api/history/statistics", params={"entity_id": "sensor.lot_free_spaces", "start": start}
    )
    assert response.status == 200
    first, second = (await response.json())["sensor.lot_free_spaces"]
    assert first["start"] == "2026-03-02T08:00:00+00:00"
    assert (first["min"], first["max"]) == (10, 20)
    assert first["mean"] == pytest.approx(15)
    assert second == {"start": "2026-03-02T09:00:00+00:00", "mean": 20, "min": 20, "max": 20}
