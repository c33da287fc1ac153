"""The WebSocket API: the auth handshake, each command, subscriptions and slow clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import voluptuous as vol
from aiohttp import WSCloseCode, WSMsgType
from aiohttp.test_utils import TestClient

from hub.core.context import Context
from hub.core.exceptions import HubError, Unauthorized
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.web import ws, ws_connection
from tests.conftest import FROZEN_AT, Clock, LogGuard
from tests.states import get_state

from .conftest import RECEIVE_TIMEOUT, WSClient, connect_ws, stored_tokens

Client = TestClient[Any, Any]
START = FROZEN_AT.timestamp()


# -- the handshake -----------------------------------------------------------------------


async def test_auth_ok(raw_client: Client, token: str) -> None:
    socket = await raw_client.ws_connect("/api/websocket")

    assert await socket.receive_json() == {"type": "auth_required", "ha_version": "0.1.0"}
    await socket.send_json({"type": "auth", "access_token": token})
    assert await socket.receive_json() == {"type": "auth_ok", "ha_version": "0.1.0"}
    await socket.close()


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"type": "auth", "access_token": "wrong"}, "invalid access token"),
        (
            {"type": "auth"},
            "auth message incorrectly formatted: access_token: required key not provided",
        ),
        ("not json", "auth message incorrectly formatted: malformed JSON"),
    ],
)
async def test_auth_invalid_closes(raw_client: Client, auth: Any, message: str) -> None:
    socket = await raw_client.ws_connect("/api/websocket")
    await socket.receive_json()

    if isinstance(auth, str):
        await socket.send_str(auth)
    else:
        await socket.send_json(auth)

    assert await socket.receive_json() == {"type": "auth_invalid", "message": message}
    assert (await socket.receive()).type is WSMsgType.CLOSE


async def test_auth_timeout_closes(raw_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "AUTH_TIMEOUT", 0.05)
    socket = await raw_client.ws_connect("/api/websocket")
    await socket.receive_json()

    closing = await socket.receive(timeout=RECEIVE_TIMEOUT)

    assert closing.type is WSMsgType.CLOSE
    assert (closing.data, closing.extra) == (WSCloseCode.POLICY_VIOLATION, "auth timeout")


# -- messages and simple commands --------------------------------------------------------


async def test_ping(ws_client: WSClient) -> None:
    msg_id = await ws_client.send_command(type="ping")

    assert await ws_client.receive_json() == {"id": msg_id, "type": "pong"}


async def test_get_states(hub: Hub, ws_client: WSClient) -> None:
    state = hub.states.async_set("gate.entry", "closed", {"last_command": "close"})
    assert state is not None

    msg_id = await ws_client.send_command(type="get_states")

    assert await ws_client.receive_result(msg_id) == {
        "id": msg_id,
        "type": "result",
        "success": True,
        "result": [state.as_dict()],
    }


def _error(msg_id: int | None, code: str, message: str) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "result",
        "success": False,
        "error": {"code": code, "message": message},
    }


async def test_bad_messages_get_errors_not_a_disconnect(ws_client: WSClient) -> None:
    socket = ws_client.ws
    await socket.send_str("{broken")
    reply = await ws_client.receive_json()
    assert reply["error"]["code"] == "invalid_format"
    assert reply["error"]["message"].startswith("malformed JSON")

    await socket.send_json([1, 2])
    assert await ws_client.receive_json() == _error(
        None, "invalid_format", "a message must be a JSON object"
    )
    await socket.send_bytes(b"{}")
    assert await ws_client.receive_json() == _error(
        None, "invalid_format", "expected a text frame with JSON"
    )
    await socket.send_json({"type": "ping"})
    assert await ws_client.receive_json() == _error(
        None, "invalid_format", "id must be a positive integer"
    )
    await socket.send_json({"id": True, "type": "ping"})
    assert await ws_client.receive_json() == _error(
        None, "invalid_format", "id must be a positive integer"
    )
    await socket.send_json({"id": 5})
    assert await ws_client.receive_json() == _error(5, "invalid_format", "type must be a string")
    await socket.send_json({"id": 6, "type": "fly"})
    assert await ws_client.receive_json() == _error(6, "unknown_command", "unknown command 'fly'")
    await socket.send_json({"id": 7, "type": "ping", "extra": 1})
    assert await ws_client.receive_json() == _error(
        7, "invalid_format", "extra: extra keys not allowed"
    )
    await socket.send_json({"id": 7, "type": "ping"})
    assert await ws_client.receive_json() == _error(
        7, "id_reuse", "identifier values have to increase"
    )
    await socket.send_json({"id": 8, "type": "ping"})
    assert await ws_client.receive_json() == {"id": 8, "type": "pong"}


# -- subscribe_events --------------------------------------------------------------------


async def test_subscribe_and_unsubscribe_events(hub: Hub, ws_client: WSClient) -> None:
    sub_id = await ws_client.send_command(type="subscribe_events", event_type="plate_detected")
    assert (await ws_client.receive_result(sub_id))["success"] is True
    assert hub.bus.async_listeners()["plate_detected"] == 1

    context = Context(user_id="camera")
    hub.bus.async_fire("other_event", {"x": 1})
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"}, context=context)

    message = await ws_client.receive_json()
    assert message == {
        "id": sub_id,
        "type": "event",
        "event": {
            "event_type": "plate_detected",
            "data": {"plate": "KA01AB1234"},
            "origin": "LOCAL",
            "time_fired": message["event"]["time_fired"],
            "context": context.as_dict(),
        },
    }

    unsub_id = await ws_client.send_command(type="unsubscribe_events", subscription=sub_id)
    assert (await ws_client.receive_result(unsub_id))["success"] is True
    assert "plate_detected" not in hub.bus.async_listeners()
    hub.bus.async_fire("plate_detected", {"plate": "X"})
    ping_id = await ws_client.send_command(type="ping")
    assert await ws_client.receive_json() == {"id": ping_id, "type": "pong"}

    again = await ws_client.send_command(type="unsubscribe_events", subscription=sub_id)
    assert await ws_client.receive_result(again) == _error(
        again, "not_found", f"subscription {sub_id} not found"
    )


async def test_subscribe_all_events_sees_state_changes(hub: Hub, ws_client: WSClient) -> None:
    sub_id = await ws_client.send_command(type="subscribe_events")
    await ws_client.receive_result(sub_id)

    state = hub.states.async_set("gate.entry", "open")
    assert state is not None

    message = await ws_client.receive_json()
    assert message["event"]["event_type"] == "state_changed"
    assert message["event"]["data"] == {
        "entity_id": "gate.entry",
        "old_state": None,
        "new_state": state.as_dict(),
    }


async def test_subscriptions_end_with_the_socket(hub: Hub, ws_client: WSClient) -> None:
    baseline = hub.bus.async_listeners()  # the hub's own (the audit log's gate_command)
    for event_type in ("plate_detected", "overstay"):
        await ws_client.receive_result(
            await ws_client.send_command(type="subscribe_events", event_type=event_type)
        )
    await ws_client.receive_result(await ws_client.send_command(type="subscribe_entities"))
    await ws_client.receive_json()  # the initial states
    assert hub.bus.async_listeners() == {
        **baseline,
        "plate_detected": 1,
        "overstay": 1,
        "state_changed": 1,
    }

    await ws_client.close()
    await hub.async_block_till_done()

    assert hub.bus.async_listeners() == baseline


# -- subscribe_entities ------------------------------------------------------------------


async def test_subscribe_entities_full_then_diffs(
    hub: Hub, clock: Clock, ws_client: WSClient
) -> None:
    hub.states.async_set("gate.entry", "closed", {"last_command": "close", "speed": 1})
    entry_context = get_state(hub, "gate.entry").context.id

    sub_id = await ws_client.send_command(type="subscribe_entities")
    await ws_client.receive_result(sub_id)
    assert await ws_client.receive_json() == {
        "id": sub_id,
        "type": "event",
        "event": {
            "a": {
                "gate.entry": {
                    "s": "closed",
                    "a": {"last_command": "close", "speed": 1},
                    "c": entry_context,
                    "lc": START,
                }
            }
        },
    }

    # A state change (with a user): new state, new last_changed, the context with its user.
    await clock.advance(seconds=10)
    context = Context(user_id="u1")
    hub.states.async_set(
        "gate.entry", "open", {"last_command": "close", "speed": 1}, context=context
    )
    assert (await ws_client.receive_json())["event"] == {
        "c": {
            "gate.entry": {
                "+": {"s": "open", "lc": START + 10, "c": {"user_id": "u1", "id": context.id}}
            }
        }
    }

    # Attributes only: last_updated moves, one attribute changes and one goes away.
    await clock.advance(seconds=5)
    context2 = Context(user_id="u1")
    hub.states.async_set("gate.entry", "open", {"last_command": "open"}, context=context2)
    assert (await ws_client.receive_json())["event"] == {
        "c": {
            "gate.entry": {
                "+": {"lu": START + 15, "c": context2.id, "a": {"last_command": "open"}},
                "-": {"a": ["speed"]},
            }
        }
    }

    # A new entity is added whole; a removed one is named.
    new = hub.states.async_set("sensor.lot_free_spaces", "4")
    assert new is not None
    assert (await ws_client.receive_json())["event"] == {
        "a": {"sensor.lot_free_spaces": {"s": "4", "a": {}, "c": new.context.id, "lc": START + 15}}
    }
    hub.states.async_remove("gate.entry")
    assert (await ws_client.receive_json())["event"] == {"r": ["gate.entry"]}


async def test_subscribe_entities_by_id(hub: Hub, ws_client: WSClient) -> None:
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.exit", "closed")

    sub_id = await ws_client.send_command(
        type="subscribe_entities", entity_ids=["gate.exit", "gate.exit", "gate.new"]
    )
    await ws_client.receive_result(sub_id)
    assert list((await ws_client.receive_json())["event"]["a"]) == ["gate.exit"]

    hub.states.async_set("gate.entry", "open")  # not subscribed
    hub.states.async_set("gate.exit", "open")
    changed = (await ws_client.receive_json())["event"]["c"]
    assert list(changed) == ["gate.exit"]
    assert changed["gate.exit"]["+"]["s"] == "open"
    hub.states.async_set("gate.new", "closed")
    assert list((await ws_client.receive_json())["event"]["a"]) == ["gate.new"]


async def test_subscribe_entities_rejects_bad_ids(ws_client: WSClient) -> None:
    msg_id = await ws_client.send_command(type="subscribe_entities", entity_ids=["Gate"])

    assert await ws_client.receive_result(msg_id) == _error(
        msg_id, "invalid_format", "entity_ids.0: invalid entity id 'Gate'"
    )


# -- call_service ------------------------------------------------------------------------


@pytest.fixture
def gate_calls(hub: Hub) -> list[ServiceCall]:
    calls: list[ServiceCall] = []

    async def open_gate(call: ServiceCall) -> dict[str, Any] | None:
        calls.append(call)
        entity_id = call.data["entity_id"]
        if entity_id == "gate.broken":
            raise HubError("gate.broken does not answer")
        if entity_id == "gate.private":
            raise Unauthorized("residents may not open gate.private")
        if entity_id == "gate.buggy":
            raise RuntimeError("a bug")
        hub.states.async_set(entity_id, "open", context=call.context)
        return {"opened": entity_id} if call.data.get("report") else None

    schema = vol.Schema({vol.Required("entity_id"): str, vol.Optional("report"): bool})
    hub.services.async_register("gate", "open", open_gate, schema)
    return calls


async def test_call_service(hub: Hub, ws_client: WSClient, gate_calls: list[ServiceCall]) -> None:
    msg_id = await ws_client.send_command(
        type="call_service", domain="gate", service="open", target={"entity_id": "gate.entry"}
    )

    result = await ws_client.receive_result(msg_id)
    assert result["success"] is True
    [call] = gate_calls
    assert result["result"] == {"context": call.context.as_dict()}
    tokens = await asyncio.to_thread(stored_tokens, hub.data_dir)
    assert call.context.user_id == tokens[0]["id"]
    assert get_state(hub, "gate.entry").context is call.context

    msg_id = await ws_client.send_command(
        type="call_service",
        domain="gate",
        service="open",
        service_data={"entity_id": "gate.exit", "report": True},
    )
    result = await ws_client.receive_result(msg_id)
    assert result["result"]["response"] == {"opened": "gate.exit"}


@pytest.mark.parametrize(
    ("message", "code", "error"),
    [
        ({"domain": "gate", "service": "fly"}, "not_found", "service gate.fly not found"),
        (
            {"domain": "gate", "service": "open", "service_data": {"entity_id": 1}},
            "invalid_format",
            "invalid data for gate.open: entity_id: expected str",
        ),
        ({"domain": "gate"}, "invalid_format", "service: required key not provided"),
        (
            {"domain": "gate", "service": "open", "target": {"entity_id": "gate.broken"}},
            "hub_error",
            "gate.broken does not answer",
        ),
        (
            {"domain": "gate", "service": "open", "target": {"entity_id": "gate.private"}},
            "unauthorized",
            "residents may not open gate.private",
        ),
    ],
)
async def test_call_service_errors(
    ws_client: WSClient,
    gate_calls: list[ServiceCall],
    message: dict[str, Any],
    code: str,
    error: str,
) -> None:
    msg_id = await ws_client.send_command(type="call_service", **message)

    assert await ws_client.receive_result(msg_id) == _error(msg_id, code, error)


async def test_call_service_bug_is_unknown_error(
    ws_client: WSClient, gate_calls: list[ServiceCall], log_guard: LogGuard
) -> None:
    log_guard.allowed = True
    msg_id = await ws_client.send_command(
        type="call_service", domain="gate", service="open", target={"entity_id": "gate.buggy"}
    )

    assert await ws_client.receive_result(msg_id) == _error(
        msg_id, "unknown_error", "unknown error"
    )
    [record] = log_guard.records
    assert record.getMessage() == "Error handling WebSocket command call_service"
    # The connection lives on.
    ping_id = await ws_client.send_command(type="ping")
    assert await ws_client.receive_json() == {"id": ping_id, "type": "pong"}


# -- slow clients ------------------------------------------------------------------------


async def test_client_too_far_behind_is_dropped(
    hub: Hub, raw_client: Client, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws_connection, "MAX_PENDING", 20)
    client = await connect_ws(raw_client, token)
    sub_id = await client.send_command(type="subscribe_events", event_type="flood")
    await client.receive_result(sub_id)

    for number in range(25):  # all at once: the writer gets no turn in between
        hub.bus.async_fire("flood", {"n": number})

    closing = await client.ws.receive(timeout=RECEIVE_TIMEOUT)
    assert closing.type is WSMsgType.CLOSE
    assert (closing.data, closing.extra) == (WSCloseCode.TRY_AGAIN_LATER, "too far behind")
    await hub.async_block_till_done()
    assert "flood" not in hub.bus.async_listeners()


async def test_drop_is_logged(
    hub: Hub,
    raw_client: Client,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(ws_connection, "MAX_PENDING", 3)
    client = await connect_ws(raw_client, token)
    await client.receive_result(await client.send_command(type="subscribe_events"))

    for _ in range(4):
        hub.bus.async_fire("flood")

    assert (await client.ws.receive(timeout=RECEIVE_TIMEOUT)).type is WSMsgType.CLOSE
    assert "Disconnecting WebSocket client <ActiveConnection test admin>" in caplog.text
    assert "3 messages were waiting for it" in caplog.text


async def test_unserializable_data_is_logged_not_sent(
    hub: Hub, ws_client: WSClient, log_guard: LogGuard
) -> None:
    log_guard.allowed = True
    sub_id = await ws_client.send_command(type="subscribe_events", event_type="odd")
    await ws_client.receive_result(sub_id)
    hub.services.async_register("lot", "odd", lambda call: object())

    hub.bus.async_fire("odd", {"thing": object()})
    msg_id = await ws_client.send_command(type="call_service", domain="lot", service="odd")

    # No event message came before the result, and the result says what went wrong.
    assert await ws_client.receive_result(msg_id) == _error(
        msg_id, "unknown_error", "result is not JSON serializable"
    )
    messages = [record.getMessage() for record in log_guard.records]
    assert messages[0].startswith("Cannot send a odd event over the WebSocket: ")
    assert messages[1].startswith("Cannot send result to <ActiveConnection test admin>: ")


async def test_coalesced_messages_arrive_as_one_array(hub: Hub, ws_client: WSClient) -> None:
    """With Home Assistant's `coalesce_messages`, what waits goes out in one frame."""

    async def receive(count: int) -> tuple[list[dict[str, Any]], int]:
        messages: list[dict[str, Any]] = []
        arrays = 0
        while len(messages) < count:
            frame = await ws_client.receive_json()
            arrays += isinstance(frame, list)
            messages += frame if isinstance(frame, list) else [frame]
        return messages, arrays

    msg_id = await ws_client.send_command(
        type="supported_features", features={"coalesce_messages": 1}
    )
    [answer], _ = await receive(1)  # from now on always an array, even of one
    assert answer["id"] == msg_id
    assert answer["success"]
    hub.states.async_set("gate.entry", "closed")
    sub_id = await ws_client.send_command(type="subscribe_entities", entity_ids=["gate.entry"])
    subscribed, arrays = await receive(2)  # the result, then the state now
    assert [message["type"] for message in subscribed] == ["result", "event"]
    assert arrays == 1  # both were waiting when the writer woke
    for state in ("opening", "open", "closing"):  # three changes before the writer runs
        hub.states.async_set("gate.entry", state)
    changes, arrays = await receive(3)
    assert arrays == 1
    assert all(message["id"] == sub_id for message in changes)
    assert [message["event"]["c"]["gate.entry"]["+"]["s"] for message in changes] == [
        "opening",
        "open",
        "closing",
    ]


async def test_every_staff_subscriber_gets_each_change_in_order(
    hub: Hub, ws_client: WSClient
) -> None:
    """All-entities subscriptions share one batched listener (ws_broadcast)."""
    await ws_client.send_command(type="supported_features", features={"coalesce_messages": 1})
    plain = await ws_client.send_command(type="subscribe_entities")  # this client: coalescing
    messages: list[dict[str, Any]] = []
    while len(messages) < 3:  # features result, subscribe result, the states now
        frame = await ws_client.receive_json()
        messages += frame if isinstance(frame, list) else [frame]
    for state in ("opening", "open"):
        hub.states.async_set("gate.entry", state)
    await asyncio.sleep(0)
    hub.states.async_set("gate.entry", "closing")
    seen: list[str] = []
    while len(seen) < 3:
        frame = await ws_client.receive_json()
        for message in frame if isinstance(frame, list) else [frame]:
            assert message["id"] == plain
            event = message["event"]
            change = event["a"]["gate.entry"] if "a" in event else event["c"]["gate.entry"]["+"]
            seen.append(change["s"])
    assert seen == ["opening", "open", "closing"]
