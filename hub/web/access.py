"""Enforcing the policy table: who is asking, may they, and what may a resident see.

`AccessControl` (one per web app, `ACCESS_KEY`) knows the credentials (users, tokens,
login sessions), and answers for both doors the same way: the REST middleware below
and the WebSocket dispatcher (`ws_connection.py`) call `authorize`, so a rule in
`policy.py` holds over REST and WebSocket alike. Residents' reads go through
`visible_state` / `visible_event`, which keep only lot availability and their own
vehicles' parking events.

It also closes what must close: every second `async_revalidate` re-reads users.json and
auth.json if they changed (the CLI writes them) and closes any WebSocket whose token,
session or user is gone, or whose user's role changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.core.bus import Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.context import Context
from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.core.states import State
from hub.plates import normalize_plate

from . import policy
from .auth import TokenInfo, TokenStore
from .helpers import AUTH_KEY, CONTEXT_KEY, json_error, read_json
from .policy import Access
from .sessions import (
    COOKIE_NAME,
    CSRF_HEADER,
    SESSIONS_FILE,
    LoginLimiter,
    LoginSession,
    SessionStore,
)
from .users import User, UserStore

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .audit import AuditLog

__all__ = [
    "ACCESS_KEY",
    "AccessControl",
    "OwnerCheck",
    "access_middleware",
    "async_revalidate_loop",
]

_LOGGER = logging.getLogger(__name__)

# How often open WebSockets are checked against users.json and auth.json.
REVALIDATE_INTERVAL: Final = 1.0
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_TEMPLATE_MARKS: Final = ("{{", "{%", "{#")
# notify's event for a delivered notification; a resident gets those of their own.
_NOTIFICATION_SENT: Final = "notification_sent"

# (hub, the resident, the service data as sent) -> whether it acts only on their things.
OwnerCheck = Callable[["Hub", User, Mapping[str, Any]], bool]


def _has_template(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return any(mark in value for mark in _TEMPLATE_MARKS)
    if depth > 32:
        return True  # nesting this deep is refused anyway
    if isinstance(value, Mapping):
        return any(_has_template(item, depth + 1) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_template(item, depth + 1) for item in value)
    return False


class AccessControl:
    """Credentials, the policy's enforcement, and residents' views of the hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.users = UserStore(hub.data_dir, hub.async_add_executor_job)
        self.tokens = TokenStore(hub.data_dir, hub.async_add_executor_job, self.users)
        self.sessions = SessionStore(hub.data_dir / SESSIONS_FILE, hub.async_add_executor_job)
        self.limiter = LoginLimiter()
        self.audit: AuditLog | None = None
        self.onboarding_code: str | None = None
        self.owner_checks: dict[str, OwnerCheck] = {}
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        # Residents' copies of availability states (without plates), by entity id.
        self._redacted: dict[str, tuple[State, State]] = {}
        # Off only for bench/auth.py's side-by-side figure; never in a running hub.
        self.enforce = True

    # -- who is asking -----------------------------------------------------------------

    def session_principal(self, session: LoginSession) -> TokenInfo | None:
        user = self.users.get(session.user_id)
        if user is None or not session.made_with(user.password):  # gone, or password changed
            return None
        return TokenInfo(session.id, user.name, user.role, user.id, user.name, "cookie")

    def cookie_session(self, request: web.Request) -> LoginSession | None:
        value = request.cookies.get(COOKIE_NAME)
        return self.sessions.get(value) if value else None

    async def async_authenticate(self, request: web.Request) -> TokenInfo | str | None:
        """The caller, None when they sent nothing, or an error message for bad credentials."""
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return "missing bearer token (Authorization: Bearer <token>)"
            info = await self.tokens.async_validate(token.strip())
            return info if info is not None else "invalid access token"
        session = self.cookie_session(request)
        if session is not None:
            return self.session_principal(session) or "your session has ended: log in again"
        if COOKIE_NAME in request.cookies:
            return "your session has ended: log in again"
        return None

    def vehicles(self, principal: TokenInfo) -> tuple[str, ...]:
        user = self.users.get(principal.user_id) if principal.user is not None else None
        return user.vehicles if user is not None else ()

    # -- may they ----------------------------------------------------------------------

    def authorize(
        self,
        principal: TokenInfo,
        rule: Access,
        *,
        what: str,
        service: tuple[str, str] | None = None,
        data: Any = None,
        event_type: str | None = None,
    ) -> None:
        """Raise Unauthorized unless `principal` may do `what` under `rule`."""
        if not self.enforce:
            return
        level = policy.role_level(principal.role)
        if rule is Access.BY_EVENT:
            if event_type is None or not policy.event_allowed(principal.role, event_type):
                raise Unauthorized(f"{principal.role} may not fire {event_type} events")
            return
        if rule is Access.BY_SERVICE:
            if service is None:
                raise Unauthorized(f"{what}: no service named")
            self.authorize_service(principal, *service, data)
            return
        if level < rule:
            raise Unauthorized(f"{what} needs the {rule.name.lower()} role")

    def authorize_service(self, principal: TokenInfo, domain: str, service: str, data: Any) -> None:
        """The one check for a service call, from REST or WebSocket."""
        domain, service = domain.lower(), service.lower()
        rule = policy.service_rule(domain, service)
        level = policy.role_level(principal.role)
        if level < rule:
            raise Unauthorized(f"{domain}.{service} needs the {rule.name.lower()} role")
        if level >= Access.ADMIN:
            return
        # Templates are rendered only from what an admin wrote.
        if _has_template(data):
            raise Unauthorized(f"{domain}.{service}: templates in service data are for admins")
        if level >= Access.OPERATOR:
            return
        check = self.owner_checks.get(f"{domain}.{service}")
        user = self.users.get(principal.user_id) if principal.user is not None else None
        if check is None or user is None or not isinstance(data, Mapping):
            raise Unauthorized(f"{domain}.{service} is not open to residents")
        if not check(self.hub, user, data):
            raise Unauthorized(f"{domain}.{service}: only for your own vehicles")

    def authorize_ws(
        self,
        principal: TokenInfo,
        command: str,
        schema: Callable[[dict[str, Any]], dict[str, Any]],
        message: dict[str, Any],
    ) -> dict[str, Any]:
        """Check a WebSocket command against the table; returns the validated message.

        A plain rule is checked before the schema (a refused caller learns nothing about
        the format); a service or event rule after it, since it needs the names."""
        rule = policy.ws_rule(command)
        what = f"WebSocket command {command}"
        if rule < Access.BY_SERVICE:
            self.authorize(principal, rule, what=what)
            return schema(message)
        checked = schema(message)
        data = {**checked.get("service_data", {}), **checked.get("target", {})}
        self.authorize(
            principal,
            rule,
            what=what,
            service=(str(checked.get("domain")), str(checked.get("service"))),
            data=data,
            event_type=checked.get("event_type"),
        )
        return checked

    def audit_ws(
        self,
        conn: Any,
        command: str,
        checked: Mapping[str, Any],
        err: Exception | None,
        context: Context | None,
    ) -> None:
        if self.audit is None:
            return
        action = command
        if command == "call_service":
            action = f"{checked.get('domain')}.{checked.get('service')}"
        data = {**checked.get("service_data", {}), **checked.get("target", {})}
        data.update({key: checked[key] for key in ("event_type",) if key in checked})
        self.audit.record(
            conn.auth,
            conn.remote,
            f"ws {action}",
            audit_target({}, data),
            "ok" if err is None else _outcome(err),
            None if context is None else context.id,
        )

    def audit_gate_command(self, event: Event) -> None:
        """Every barrier command, whoever caused it: a user (by their context), an
        automation (a context with a parent: the plate read), or MQTT / a keypad."""
        if self.audit is None:
            return
        data, context = event.data, event.context
        user = self.users.get(context.user_id) if context.user_id else None
        if user is not None:
            who, role = user.name, user.role
        elif context.parent_id is not None:
            who, role = "automation", None
        else:
            who, role = str(data.get("source") or "hub"), None
        details = [str(data.get("entity_id")), str(data.get("command"))]
        details += [f"{key}={data[key]}" for key in ("plate", "reason") if data.get(key)]
        self.audit.record_row(who, role, "", "gate_command", " ".join(details), "sent", context.id)

    def async_register_owner_check(self, service: str, check: OwnerCheck) -> None:
        """Let residents call `domain.service` when `check` says it is about their things."""
        self.owner_checks[service] = check

    # -- what a resident sees ----------------------------------------------------------

    def restricted(self, principal: TokenInfo) -> bool:
        """Whether reads must be filtered (residents), or everything is shown."""
        return self.enforce and policy.role_level(principal.role) < Access.OPERATOR

    def visible_state(self, principal: TokenInfo, state: State) -> State | None:
        if not self.restricted(principal):
            return state
        cached = self._redacted.get(state.entity_id)
        if cached is not None and cached[0] is state:
            return cached[1]
        shown = _resident_state(state)
        if shown is not None and shown is not state:
            # One copy per state, so its JSON is built once for every resident and call.
            self._redacted[state.entity_id] = (state, shown)
        return shown

    def visible_event(self, principal: TokenInfo, event: Event) -> Event | None:
        if not self.restricted(principal):
            return event
        if event.event_type == EVENT_STATE_CHANGED:
            entity_id = event.data.get("entity_id")
            if not isinstance(entity_id, str) or policy.readable_entity(entity_id) is None:
                return None
            old, new = event.data.get("old_state"), event.data.get("new_state")
            data = {
                "entity_id": entity_id,
                "old_state": _resident_state(old) if isinstance(old, State) else None,
                "new_state": self.visible_state(principal, new) if isinstance(new, State) else None,
            }
            return Event(
                event.event_type, data, event.origin, event.context, event.time_fired_timestamp
            )
        if event.event_type.startswith("parking_"):
            plate = normalize_plate(event.data.get("plate"))
            if plate and plate in self.vehicles(principal):
                return event
        if event.event_type == _NOTIFICATION_SENT:  # the panel refreshes on it: their own
            note = event.data
            mine = principal.user is not None and note.get("target") == principal.user
            if mine and note.get("platform") == "panel":
                return event
        return None

    # -- closing what must close -------------------------------------------------------

    def still_valid(self, principal: TokenInfo) -> bool:
        user = self.users.get(principal.user_id) if principal.user is not None else None
        if principal.via == "cookie":
            stamp = user.password if user is not None else None
            if stamp is None or not self.sessions.is_live(principal.id, stamp):
                return False
        elif not self.tokens.is_known(principal.id):
            return False
        if principal.user is None:
            return True
        return user is not None and user.role == principal.role

    def close_invalid(self) -> int:
        """Close every WebSocket whose credential or user is gone; how many."""
        closed = 0
        for conn in list(self.connections):
            if not self.still_valid(conn.auth):
                conn.async_close_for("credentials revoked")
                closed += 1
        return closed

    async def async_revalidate(self) -> int:
        await self.users.async_refresh()
        await self.tokens.async_load()
        return self.close_invalid()


def _resident_state(state: State) -> State | None:
    hidden = policy.readable_entity(state.entity_id)
    if hidden is None:
        return None
    if not hidden.intersection(state.attributes):
        return state
    attributes = {key: value for key, value in state.attributes.items() if key not in hidden}
    return State(
        state.entity_id,
        state.state,
        attributes,
        state.last_changed_timestamp,
        state.last_updated_timestamp,
        state.context,
    )


ACCESS_KEY: Final = web.AppKey("access", AccessControl)


async def async_revalidate_loop(app: web.Application) -> AsyncIterator[None]:
    """A cleanup_ctx: load the credentials, then re-check open sockets every second."""
    access = app[ACCESS_KEY]
    await access.users.async_refresh()
    await access.tokens.async_load()
    await access.hub.async_add_executor_job(access.sessions.load)

    async def loop() -> None:
        while True:
            await asyncio.sleep(REVALIDATE_INTERVAL)
            try:
                await access.async_revalidate()
            except Exception:
                _LOGGER.exception("Checking open WebSockets against revoked credentials failed")

    task = asyncio.get_running_loop().create_task(loop(), name="web revalidate")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


_UNCHECKED: Final = TokenInfo("unchecked", "unchecked", "admin", "unchecked")


def _challenge(message: str) -> web.Response:
    return json_error(401, message, {"WWW-Authenticate": "Bearer"})


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is asking, may they (the route's rule), and CSRF for cookie requests."""
    route = request.match_info.route
    resource = route.resource
    access = request.app[ACCESS_KEY]
    if not access.enforce:  # bench/auth.py's "check off" figure only
        request[AUTH_KEY] = _UNCHECKED
        return await handler(request)
    if resource is None:  # no such route: aiohttp answers 404 / 405, under /api/ only to users
        if request.path.startswith("/api/"):
            found = await access.async_authenticate(request)
            if not isinstance(found, TokenInfo):
                return _challenge(found or "missing bearer token (Authorization: Bearer <token>)")
        return await handler(request)
    rule = policy.route_rule(request.method, resource.canonical)
    found = await access.async_authenticate(request)
    if isinstance(found, str):
        if rule is Access.PUBLIC:
            return await handler(request)
        return _challenge(found)
    if found is None:
        if rule is Access.PUBLIC:
            return await handler(request)
        return _challenge("missing bearer token (Authorization: Bearer <token>)")
    request[AUTH_KEY] = found
    if rule is Access.PUBLIC:  # login, onboarding: they check what they need themselves
        return await handler(request)
    unsafe = request.method not in _SAFE_METHODS
    if found.via == "cookie" and unsafe and access.enforce:
        session = access.cookie_session(request)
        if session is None or not SessionStore.csrf_ok(session, request.headers.get(CSRF_HEADER)):
            raise Unauthorized(f"missing or wrong {CSRF_HEADER} header (GET /auth/session)")
    what = f"{request.method} {resource.canonical}"
    info = request.match_info
    data: Any = None
    if rule is Access.BY_SERVICE:
        # Parsed as the handler parses it (read_json: the raw bytes, whatever charset the
        # Content-Type claims), so the owner and template checks see the data that runs.
        with contextlib.suppress(ServiceValidationError):
            data = await read_json(request, default={})
        what = f"{info['domain']}.{info['service']}"
    audited = (
        unsafe and access.audit is not None and not resource.canonical.startswith(_SELF_AUDITED)
    )
    try:
        if rule is Access.BY_SERVICE:
            access.authorize(
                found, rule, what=what, service=(info["domain"], info["service"]), data=data
            )
        elif rule is Access.BY_EVENT:
            access.authorize(found, rule, what=what, event_type=info["event_type"])
        else:
            access.authorize(found, rule, what=what)
        response = await handler(request)
    except Exception as err:
        if audited:
            _audit_request(request, found, what, data, _outcome(err))
        raise
    if audited:
        _audit_request(request, found, what, data, str(response.status))
    return response


# Routes that write their own, more telling, audit rows (auth_api.py).
_SELF_AUDITED: Final = ("/auth/", "/api/onboarding", "/api/auth/", "/api/users")


def _outcome(err: Exception) -> str:
    if isinstance(err, web.HTTPException):
        return str(err.status)
    if isinstance(err, Unauthorized):
        return f"403 {err}"
    return f"error: {type(err).__name__}: {err}"


def audit_target(match_info: Mapping[str, str], data: Any) -> str:
    """What a change acted on: the route's parameters, and the entity or plate it named."""
    parts = [
        f"{key}={value}" for key, value in match_info.items() if key not in ("domain", "service")
    ]
    if isinstance(data, Mapping):
        for key in ("entity_id", "plate", "session_id", "reservation_id", "amount", "list"):
            if key in data:
                parts.append(f"{key}={data[key]}")
    return " ".join(parts)


def _audit_request(
    request: web.Request, principal: TokenInfo, what: str, data: Any, result: str
) -> None:
    access = request.app[ACCESS_KEY]
    if access.audit is None:
        return
    context = request.get(CONTEXT_KEY)
    access.audit.record(
        principal,
        request.remote or "unknown",
        what,
        audit_target(request.match_info, data),
        result,
        None if context is None else context.id,
    )
