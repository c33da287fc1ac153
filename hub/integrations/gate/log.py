"""REST: the gate command log, each command with the chain of causes behind it.

    GET /api/gate/log?limit=50&hours=24[&entity_id=gate.entry]

answers `{"log": [{time, entity_id, command, reason, plate, user_id, cause, chain}]}`,
newest first. The chain is followed through context parent ids in the recorder's
events: a `gate_command` shares its context with the automation run that called the
service (`automation_triggered`), whose parent is the event that triggered it (a
`plate_detected`, say). So a line reads "opened by automation Open the entry barrier
for residents because plate KA01AB1234 was read by camera.entry", or "opened by user
ana" when a person pressed the button.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.web.api_doc import api_doc
from hub.web.helpers import (
    async_register_route,
    json_error,
    json_response,
    user_names,
    validate,
)

from .const import EVENT_GATE_COMMAND

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["LOG_PATH", "async_register_log", "build_log", "describe_cause"]

LOG_PATH: Final = "/api/gate/log"
# Named here, not imported: integrations meet on event names, not on each other's code.
EVENT_PLATE_DETECTED: Final = "plate_detected"
EVENT_AUTOMATION_TRIGGERED: Final = "automation_triggered"
# How many parents to follow: a loop in bad data must not hang the request.
MAX_CHAIN: Final = 8
_PAST: Final = {"open": "opened", "close": "closed", "stop": "stopped"}

LOG_QUERY: Final = vol.Schema(
    {
        vol.Optional("limit", default=50): vol.All(
            vol.Coerce(int, msg="expected a whole number"), vol.Range(min=1, max=500)
        ),
        vol.Optional("hours", default=24): vol.All(
            vol.Coerce(float, msg="expected a number of hours"), vol.Range(min=0.1, max=24 * 31)
        ),
        vol.Optional("entity_id"): cv.entity_id,  # 255 characters at most, as everywhere
    }
)


def _link(event: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One step of a chain as the panel shows it (user ids as names)."""
    data = event.get("data") or {}
    step: dict[str, Any] = {"event_type": event["event_type"], "time": event.get("time_fired")}
    for key in ("name", "entity_id", "plate", "camera", "source", "listed", "confidence"):
        if data.get(key) is not None:
            step[key] = data[key]
    user_id = (event.get("context") or {}).get("user_id")
    step["user_id"] = user_id
    step["user"] = names.get(user_id, user_id) if user_id else None
    return step


def describe_cause(command: str, chain: list[dict[str, Any]], data: dict[str, Any]) -> str:
    """The chain in words: "opened by automation X because plate P was read by C"."""
    verb = _PAST.get(command, command)
    parts: list[str] = []
    user = chain[0].get("user") if chain else None
    for step in chain[1:]:
        kind = step["event_type"]
        if kind == EVENT_AUTOMATION_TRIGGERED:
            parts.append(f"by automation {step.get('name') or step.get('entity_id')}")
        elif kind == EVENT_PLATE_DETECTED:
            camera = step.get("camera") or "a camera"
            parts.append(f"because plate {step.get('plate')} was read by {camera}")
        elif step.get("user"):
            parts.append(f"because user {step['user']} did {kind}")
        else:
            parts.append(f"because of {kind}")
    if not parts:
        if user:
            return f"{verb} by user {user}"
        reason = data.get("reason")
        return f"{verb} ({reason})" if reason else f"{verb} by the hub"
    if user and not any(step["event_type"] == EVENT_AUTOMATION_TRIGGERED for step in chain):
        parts.insert(0, f"by user {user}")
    return f"{verb} " + " ".join(parts)


def build_log(
    events: list[dict[str, Any]],
    limit: int,
    entity_id: str | None,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Gate commands (newest first) with their causes, from recorder events."""
    names = names or {}
    by_context: dict[str, dict[str, Any]] = {}
    for event in events:
        context_id = (event.get("context") or {}).get("id")
        # A gate_command shares its context with the automation run: keep the cause.
        if context_id and event["event_type"] != EVENT_GATE_COMMAND:
            by_context[context_id] = event
    log: list[dict[str, Any]] = []
    for event in reversed(events):
        if event["event_type"] != EVENT_GATE_COMMAND:
            continue
        data = event.get("data") or {}
        if entity_id is not None and data.get("entity_id") != entity_id:
            continue
        chain = [_link(event, names)]
        context = event.get("context") or {}
        cause = by_context.get(context.get("id") or "")
        parent_id = context.get("parent_id")
        seen: set[str] = set()
        while len(chain) < MAX_CHAIN:
            if cause is None and parent_id:
                cause = by_context.get(parent_id)
            if cause is None:
                break
            chain.append(_link(cause, names))
            cause_context = cause.get("context") or {}
            seen.add(cause_context.get("id") or "")
            parent_id = cause_context.get("parent_id")
            cause = None
            if not parent_id or parent_id in seen:
                break
        command = str(data.get("command"))
        log.append(
            {
                "time": event.get("time_fired"),
                "entity_id": data.get("entity_id"),
                "command": command,
                "reason": data.get("reason"),
                "plate": data.get("plate"),
                "user": chain[0]["user"],
                "context_id": context.get("id"),
                "cause": describe_cause(command, chain, data),
                "chain": chain,
            }
        )
        if len(log) >= limit:
            break
    return log


def async_register_log(hub: Hub) -> None:
    @api_doc(
        "Gate commands with their cause chains, newest first",
        tag="gate",
        query=LOG_QUERY,
        response={"type": "object"},
        errors=(400,),
    )
    async def get_log(request: web.Request) -> web.Response:
        query = validate(LOG_QUERY, dict(request.query), "query")
        recorder = hub.recorder
        if recorder is None:
            return json_error(503, "the recorder is not running")
        start = hub.scheduler.utcnow() - timedelta(hours=query["hours"])
        events = await recorder.async_events(
            [EVENT_GATE_COMMAND, EVENT_AUTOMATION_TRIGGERED, EVENT_PLATE_DETECTED], start
        )
        names = user_names(request)
        log = build_log(events, query["limit"], query.get("entity_id"), names)
        return json_response({"log": log})

    async_register_route(hub, "GET", LOG_PATH, get_log)
